// Shared pieces of the libFuzzer harnesses (fuzz/fuzz_*.cpp, built with -DLR_FUZZ=ON by
// scripts/fuzz.sh): one input is split into parts at a separator line, parts are written as files
// into a private scratch folder (the parsers under test read files by path), and the one expected
// failure, lightreasoner::Error, is caught. Anything else escaping a harness (a raw nlohmann or
// std exception, a crash, a sanitizer report, a hang, an allocation over the limit) is a finding.
#pragma once

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/utf8.h"

namespace lrfuzz {

// Log lines (a loaded model, an attached adapter) would cost more than the parsing fuzzed.
inline const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

// Separates the parts of a multi-part input (config + overrides, file + text to encode, ...).
inline constexpr std::string_view kSeparator = "\n#~#\n";

// The first `count` parts of the input (missing parts are empty; the last part keeps the rest).
inline std::vector<std::string> split_parts(const uint8_t* data, size_t size, size_t count) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  while (parts.size() + 1 < count) {
    const size_t at = rest.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.emplace_back(rest.substr(0, at));
    rest.remove_prefix(at + kSeparator.size());
  }
  parts.emplace_back(rest);
  parts.resize(count);
  return parts;
}

// A scratch folder private to this process, created once, emptied of nothing: harnesses overwrite
// the same few file names on every input.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("LR_FUZZ_SCRATCH");
    std::filesystem::path path = std::filesystem::path(base ? base : "/tmp") /
                                 ("lr-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

inline std::filesystem::path write_scratch(const std::string& name, std::string_view content) {
  const auto path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return path;
}

// Valid UTF-8 only, for the graders, which take model output already decoded to valid UTF-8:
// invalid sequences become U+FFFD.
inline std::string to_valid_utf8(std::string_view text) {
  std::string out;
  lightreasoner::tokenizer::utf8::append_lossy(text, out);
  return out;
}

}  // namespace lrfuzz

// Runs `body`, accepting the project's one error type as the expected outcome of bad input.
#define LR_FUZZ_EXPECT_ERRORS(body)              \
  do {                                           \
    try {                                        \
      body;                                      \
    } catch (const ::lightreasoner::Error&) {    \
    }                                            \
  } while (0)
