// Loader for Hugging Face tokenizer.json files whose model is BPE: byte-level (Qwen2/2.5/3,
// Llama 3) or with byte fallback (Llama 2 / Mistral conversions, stories260K).
#pragma once

#include <filesystem>
#include <memory>

#include "lightreasoner/tokenizer/tokenizer.h"
#include "tokenizer_config.h"

namespace lightreasoner::tokenizer {

std::unique_ptr<Tokenizer> load_json_tokenizer(const std::filesystem::path& tokenizer_json, const TokenizerConfig& config);

}  // namespace lightreasoner::tokenizer
