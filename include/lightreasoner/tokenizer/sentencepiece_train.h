// Sentencepiece model training for the toy-world experiments, by running the `spm_train` program
// (Debian package `sentencepiece`). In-process training through the shim is not possible: the
// trainer logs to std::cerr, which crashes under the shim's RTLD_DEEPBIND isolation.
#pragma once

#include <string>
#include <vector>

namespace lightreasoner::tokenizer {

// Runs `spm_train` with the given flags, e.g. {"--input=corpus.txt", "--model_prefix=out/tokenizer",
// "--vocab_size=512", "--model_type=bpe", "--byte_fallback=true"}; its log goes to
// <model_prefix>.train.log. Throws Error (with the log's tail) when spm_train is missing or fails.
void train_sentencepiece(const std::vector<std::string>& flags);

}  // namespace lightreasoner::tokenizer
