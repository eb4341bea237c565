// Sentencepiece model training (SentencePieceTrainer::Train) through the isolated sentencepiece
// shim, for the toy-world experiments. Only the call; choosing corpus and flags is the caller's job.
#pragma once

#include <string>

namespace lightreasoner::tokenizer {

// `args` is sentencepiece's flag string, e.g. "--input=corpus.txt --model_prefix=out/m
// --vocab_size=512 --model_type=bpe --byte_fallback=true". Throws Error with sentencepiece's message.
void train_sentencepiece(const std::string& args);

}  // namespace lightreasoner::tokenizer
