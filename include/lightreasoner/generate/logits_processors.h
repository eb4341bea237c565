// Next-token selection as a chain of small pure functions on [B, V] float32 logits, in Hugging
// Face's order: temperature → top-k → top-p → min-p → select (greedy argmax, or a seeded draw
// without a host sync: argmax(p / Exponential(1)), gpt-fast's trick). Each stage only masks or
// rescales; none of them knows about models, caches or stopping.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace lightreasoner::generate {

struct SamplingParams {
  double temperature = 0.0;  // 0: greedy (the other fields are then ignored, as HF do_sample=False)
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  double min_p = 0.0;        // 0: off
  bool greedy() const { return temperature <= 0.0; }
  void validate() const;     // throws Error naming the bad field
};

torch::Tensor apply_temperature(const torch::Tensor& logits, double temperature);
// Keeps the tokens whose logit is >= the k-th largest (ties kept, as HF); others → -inf.
torch::Tensor apply_top_k(const torch::Tensor& logits, int64_t k);
// Keeps the smallest set of most probable tokens whose mass reaches p (HF TopPLogitsWarper:
// drops tokens whose ascending cumulative mass is <= 1 - p; the most probable always stays).
torch::Tensor apply_top_p(const torch::Tensor& logits, double p);
// Drops tokens whose probability is below min_p times the top probability.
torch::Tensor apply_min_p(const torch::Tensor& logits, double min_p);
// temperature → top-k → top-p → min-p (identity for the stages that are off).
torch::Tensor process_logits(const torch::Tensor& logits, const SamplingParams& params);

torch::Tensor select_greedy(const torch::Tensor& logits);  // [B, V] → [B] int64
// One draw per row from softmax(logits), using `generator` (on the logits' device).
torch::Tensor select_sample(const torch::Tensor& logits, at::Generator& generator);

// A generator on `device` seeded with `seed` (private: does not touch the global one).
at::Generator make_generator(const torch::Device& device, uint64_t seed);

// process_logits + select, or greedy.
torch::Tensor next_tokens(const torch::Tensor& logits, const SamplingParams& params, at::Generator& generator);

}  // namespace lightreasoner::generate
