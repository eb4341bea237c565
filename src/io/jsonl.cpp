// JSON Lines reader (line numbers, BOM, bad-record policy) and crash-tolerant appending writer.
#include "lightreasoner/io/jsonl.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lightreasoner/core/error.h"

namespace lightreasoner::io {

namespace fs = std::filesystem;

BadRecordPolicy parse_bad_record_policy(const std::string& name) {
  if (name == "stop") return BadRecordPolicy::kStop;
  if (name == "skip") return BadRecordPolicy::kSkip;
  LR_FAIL("bad-record policy must be 'stop' or 'skip' (got '" << name << "')");
}

bool JsonlRecord::has(const std::string& name) const { return value.is_object() && value.contains(name); }

const Json& JsonlRecord::field(const std::string& name) const {
  auto it = value.find(name);
  LR_CHECK(it != value.end(), where() << ": missing field '" << name << "'");
  return *it;
}

std::string JsonlRecord::string_field(const std::string& name) const {
  const Json& f = field(name);
  LR_CHECK(f.is_string(), where() << ": field '" << name << "' must be a string (got " << f.dump().substr(0, 60) << ")");
  return f.get<std::string>();
}

std::string JsonlRecord::first_string_field(const std::vector<std::string>& names, std::string* which) const {
  for (const auto& name : names) {
    if (has(name)) {
      if (which) *which = name;
      return string_field(name);
    }
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
  LR_FAIL(where() << ": missing field: expected one of " << list);
}

JsonlReader::JsonlReader(fs::path path, BadRecordPolicy policy)
    : path_(std::move(path)), policy_(policy), in_(path_, std::ios::binary) {
  LR_CHECK(in_.good(), "cannot open '" << path_.string() << "': " << std::strerror(errno));
}

bool JsonlReader::next(JsonlRecord& record) {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (line_ == 1 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // UTF-8 BOM
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;  // empty line
    Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    std::string reason;
    if (value.is_discarded()) {
      try {
        Json ignored = Json::parse(text);  // throws: only for the position in the message
      } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
        reason = std::string("not valid JSON: ") + e.what();
      }
      if (reason.empty()) reason = "not valid JSON";
    } else if (!value.is_object()) {
      reason = "expected a JSON object, got " + std::string(value.type_name());
    }
    if (!reason.empty()) {
      std::string where = path_.string() + ":" + std::to_string(line_);
      LR_CHECK(policy_ == BadRecordPolicy::kSkip, where << ": " << reason);
      if (bad_ == 0) first_bad_ = "first at line " + std::to_string(line_) + ": " + reason;
      ++bad_;
      continue;
    }
    record.path = path_.string();
    record.line = line_;
    record.value = std::move(value);
    return true;
  }
  LR_CHECK(!in_.bad(), "error reading '" << path_.string() << "' after line " << line_);
  return false;
}

std::string JsonlReader::summary() const {
  if (bad_ == 0) return "";
  return std::to_string(bad_) + " bad record(s) skipped in " + path_.string() + " (" + first_bad_ + ")";
}

std::vector<JsonlRecord> read_jsonl(const fs::path& path, BadRecordPolicy policy) {
  JsonlReader reader(path, policy);
  std::vector<JsonlRecord> out;
  JsonlRecord record;
  while (reader.next(record)) out.push_back(record);
  if (reader.bad_records() > 0) spdlog::warn("{}", reader.summary());
  return out;
}

int64_t drop_torn_last_line(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  auto size = static_cast<int64_t>(fs::file_size(path));
  if (size == 0) return 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  LR_CHECK(f != nullptr, "cannot open '" << path.string() << "': " << std::strerror(errno));
  // Scan backwards in blocks for the last '\n'.
  int64_t keep = 0;
  std::vector<char> block(1 << 16);
  int64_t end = size;
  bool found = false;
  while (end > 0 && !found) {
    int64_t start = std::max<int64_t>(0, end - static_cast<int64_t>(block.size()));
    std::fseek(f, static_cast<long>(start), SEEK_SET);
    size_t n = std::fread(block.data(), 1, static_cast<size_t>(end - start), f);
    for (int64_t i = static_cast<int64_t>(n) - 1; i >= 0; --i) {
      if (block[static_cast<size_t>(i)] == '\n') {
        keep = start + i + 1;
        found = true;
        break;
      }
    }
    end = start;
  }
  std::fclose(f);
  if (keep == size) return 0;
  LR_CHECK(::truncate(path.c_str(), keep) == 0,
           "cannot truncate torn last line of '" << path.string() << "': " << std::strerror(errno));
  return size - keep;
}

JsonlWriter::JsonlWriter(fs::path path, bool append) : path_(std::move(path)) {
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
  if (append) {
    torn_bytes_ = drop_torn_last_line(path_);
    if (torn_bytes_ > 0) {
      spdlog::warn("{}: dropped a torn last line ({} bytes) left by an interrupted run", path_.string(), torn_bytes_);
    }
  }
  file_ = std::fopen(path_.c_str(), append ? "ab" : "wb");
  LR_CHECK(file_ != nullptr, "cannot open '" << path_.string() << "' for writing: " << std::strerror(errno));
}

JsonlWriter::~JsonlWriter() {
  if (file_) {
    try {
      flush();
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
    }
    std::fclose(file_);
  }
}

void JsonlWriter::write(const Json& record) {
  // error_handler_t::replace: invalid UTF-8 in model output must not abort a long run.
  write_line(record.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace));
}

void JsonlWriter::write_line(const std::string& json_text) {
  LR_CHECK(json_text.find('\n') == std::string::npos, "a jsonl record must not contain a raw newline");
  buffer_ += json_text;
  buffer_ += '\n';
}

void JsonlWriter::flush() {
  if (!buffer_.empty()) {
    size_t written = std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    LR_CHECK(written == buffer_.size(), "short write to '" << path_.string() << "': " << std::strerror(errno));
    buffer_.clear();
  }
  LR_CHECK(std::fflush(file_) == 0, "cannot flush '" << path_.string() << "': " << std::strerror(errno));
  ::fsync(::fileno(file_));
}

}  // namespace lightreasoner::io
