// The sentencepiece backend (tokenizer.model, e.g. Llama 2) and the run-time loading of the
// sentencepiece shim module; `train_sentencepiece` exposes sentencepiece training through it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "lightreasoner/tokenizer/tokenizer.h"
#include "tokenizer_config.h"

namespace lightreasoner::tokenizer {

std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::filesystem::path& model, const TokenizerConfig& config);

}  // namespace lightreasoner::tokenizer
