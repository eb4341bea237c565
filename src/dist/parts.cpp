// Part-file names and the order-restoring merge behind data-parallel sample and eval.
#include "lightreasoner/dist/parts.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::dist {

namespace fs = std::filesystem;

fs::path part_path(const fs::path& output, int rank, int world_size) {
  return output.parent_path() / (output.stem().string() + ".part-" + std::to_string(rank) + "-of-" +
                                 std::to_string(world_size) + output.extension().string());
}

std::vector<fs::path> existing_parts(const fs::path& output) {
  std::vector<fs::path> parts;
  const fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
  if (!fs::is_directory(dir)) return parts;
  const std::string prefix = output.stem().string() + ".part-";
  const std::string ext = output.extension().string();
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ext && name.find("-of-") != std::string::npos)
      parts.push_back(entry.path());
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

LineKey field_key(const std::string& name) {
  return [name](const io::Json& record) -> std::optional<std::string> {
    if (!record.is_object() || !record.contains(name) || !record[name].is_string()) return std::nullopt;
    return record[name].get<std::string>();
  };
}

int64_t merge_parts(const fs::path& output, const std::vector<fs::path>& parts, const std::vector<std::string>& order,
                    const LineKey& key) {
  std::unordered_map<std::string, size_t> rank_of;
  for (size_t i = 0; i < order.size(); ++i) rank_of.emplace(order[i], i);
  std::vector<std::string> ordered(order.size());
  std::vector<bool> filled(order.size(), false);
  std::vector<std::string> unordered;
  std::unordered_map<std::string, bool> seen_unordered;
  std::vector<fs::path> inputs;
  if (fs::exists(output)) inputs.push_back(output);
  inputs.insert(inputs.end(), parts.begin(), parts.end());
  for (const auto& input : inputs) {
    io::drop_torn_last_line(input);
    std::ifstream in(input, std::ios::binary);
    LR_CHECK(in, "cannot read '" << input.string() << "'");
    std::string line;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.empty()) continue;
      const auto id = key(io::Json::parse(line, nullptr, /*allow_exceptions=*/false));
      LR_CHECK(id, input.string() << ":" << line_number << ": not a record of this output (no key to order it by)");
      if (auto it = rank_of.find(*id); it != rank_of.end()) {
        if (!filled[it->second]) {
          ordered[it->second] = line;
          filled[it->second] = true;
        }
      } else if (seen_unordered.emplace(*id, true).second) {
        unordered.push_back(line);
      }
    }
  }
  AtomicFileWriter writer(output);
  int64_t lines = 0;
  auto emit = [&](const std::string& line) {
    writer.write(line);
    writer.write("\n");
    ++lines;
  };
  for (size_t i = 0; i < ordered.size(); ++i)
    if (filled[i]) emit(ordered[i]);
  for (const auto& line : unordered) emit(line);
  writer.commit();
  for (const auto& part : parts) fs::remove(part);
  return lines;
}

}  // namespace lightreasoner::dist
