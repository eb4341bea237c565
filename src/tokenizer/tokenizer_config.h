// Reads the few keys of tokenizer_config.json that change how text is encoded: add_bos_token /
// add_eos_token and the bos/eos/pad/unk token strings (plain strings or {"content": ...}).
// Everything else in the file (chat_template, model_max_length, ...) is ignored here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace lightreasoner::tokenizer {

struct TokenizerConfig {
  std::optional<bool> add_bos_token, add_eos_token;
  std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
  std::string source;  // the file read, or "" when absent
};

// Missing file: an empty config. Malformed JSON or wrongly typed keys: Error naming file and key.
TokenizerConfig read_tokenizer_config(const std::filesystem::path& path);

}  // namespace lightreasoner::tokenizer
