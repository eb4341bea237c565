// Test helpers for the tokenizer suites: the fixture tokenizers loaded once per process, and
// reading the JSON reference files. Header-only; included by tests/test_tokenizer*.cpp.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "support.h"

namespace lrtest {

// The tokenizer in tests/fixtures/<folder>, loaded on first use and kept for the process.
inline const lightreasoner::tokenizer::Tokenizer& fixture_tokenizer(const std::string& folder) {
  static std::map<std::string, std::unique_ptr<lightreasoner::tokenizer::Tokenizer>> cache;
  auto& slot = cache[folder];
  if (!slot) slot = lightreasoner::tokenizer::load_tokenizer(lrtest::fixture_dir() / folder);
  return *slot;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(lightreasoner::read_file(path));
}

}  // namespace lrtest
