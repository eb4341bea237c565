// Batched generation for later commands (sample, eval, generate): token-id prompts in, per-row
// completion ids, finish reason and optional per-step log-probs/logits out. Left-padded batch with
// HF positions (cumsum(mask) - 1), one prefill into a static KV cache, then a decode loop that
// keeps state on the device; finished rows are dropped from the batch (cache compaction) at each
// check. Tokenization and text stop strings are the caller's: see StopCheck.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/generate/logits_processors.h"
#include "lightreasoner/model/transformer.h"

namespace lightreasoner::generate {

enum class FinishReason { kEos, kLength, kStop };
const char* finish_reason_name(FinishReason reason);  // "eos", "length", "stop"

// Called for each new token of an unfinished row with that row's completion so far; returning
// true finishes the row (reason kStop) right after that token. The calls are batched at the
// finished-row checkpoints (check_every), so on an accelerator a row may compute a few tokens past
// its stop, which are then dropped: the result is the same as checking every step.
using StopCheck = std::function<bool(int64_t row, const std::vector<int64_t>& completion_ids)>;
// Text stop strings through a decoder the caller supplies (the tokenizer): stops a row once its
// decoded completion contains any of `stops`.
StopCheck stop_strings_check(std::vector<std::string> stops,
                             std::function<std::string(const std::vector<int64_t>&)> decode);

struct GenerationOptions {
  int64_t max_new_tokens = 128;
  SamplingParams sampling;             // temperature 0 = greedy
  uint64_t seed = 0;                   // for sampling; the same seed and batch give the same ids
  std::vector<int64_t> eos_token_ids;  // stop a row on any of these (the eos id is kept in its ids)
  int64_t pad_token_id = 0;            // fills left padding (never attended to)
  bool return_logprobs = false;        // log-softmax at temperature 1 of each chosen token (fp32)
  bool return_logits = false;          // every step's raw fp32 logits, [n_new, V] per row (large!)
  int64_t check_every = 0;             // steps between finished-row checks; 0 = 1 on CPU, 8 on CUDA
  StopCheck stop_check;
  // Progress hook after each step: (steps done, rows still in the batch).
  std::function<void(int64_t, int64_t)> on_step;
};

struct Completion {
  std::vector<int64_t> ids;     // new tokens only, including the eos that ended the row
  FinishReason finish = FinishReason::kLength;
  std::vector<float> logprobs;  // when requested, one per id
  torch::Tensor logits;         // when requested, [ids.size(), V] fp32 on CPU
};

struct GenerationStats {
  int64_t prompt_tokens = 0;  // real (unpadded) prompt tokens
  int64_t new_tokens = 0;
  int64_t steps = 0;          // decode steps run (tokens per row at most)
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

struct GenerationResult {
  std::vector<Completion> completions;  // in prompt order
  GenerationStats stats;
};

GenerationResult generate(model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                          const GenerationOptions& options);

}  // namespace lightreasoner::generate
