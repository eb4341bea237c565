// Batched generation for later commands (sample, eval, generate): token-id prompts in, per-row
// completion ids, finish reason and optional per-step log-probs/logits out. generate() is
// continuous batching over a slot cache (model/kv_slots.h): up to max_batch prompts decode
// together, each at its own length; at every check finished rows leave and the next prompts are
// prefilled into the freed slots, so a long tail never holds a whole batch. generate_static() is
// the earlier engine, kept as the reference: one left-padded batch with HF positions
// (cumsum(mask) - 1), one prefill into a shared-length KV cache, finished rows dropped at each
// check. Greedy ids are the same from both and from one prompt at a time (tested). Tokenization
// and text stop strings are the caller's: see StopCheck.
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
  int64_t max_batch = 0;               // generate(): rows decoding at once (cache slots); 0 = every prompt
  // generate(): replay the decode step from CUDA graphs (decode_graph.h). Off by default until a
  // GPU run has shown it correct and faster; on a CPU it runs the graph's fixed-shape step eagerly.
  bool cuda_graphs = false;
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
  int64_t steps = 0;          // token-selection rounds (static: tokens per row at most)
  int64_t prefills = 0;       // prefill forwards (continuous batching: one per admission of new prompts)
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

struct GenerationResult {
  std::vector<Completion> completions;  // in prompt order
  GenerationStats stats;
};

GenerationResult generate(model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                          const GenerationOptions& options);
// The reference engine (one static left-padded batch; max_batch ignored).
GenerationResult generate_static(model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                 const GenerationOptions& options);

}  // namespace lightreasoner::generate
