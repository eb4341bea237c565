// Internal to generate/: what the static (generator.cpp) and continuous (continuous.cpp) engines
// share: argument validation, the final device → host collection, the clock.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <vector>

#include "lightreasoner/generate/generator.h"

namespace lightreasoner::generate::detail {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);

void validate(const model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
              const GenerationOptions& options);

// What both decode loops read off the model and the options, each default once.
struct LoopSetup {
  torch::Device device;
  torch::TensorOptions index_options;  // int64 on the model's device
  int64_t vocab;
  int64_t max_new;
  int64_t check_every;  // steps between host checks: 1 on CPU (a check is free), 8 on accelerators
};
LoopSetup loop_setup(const model::CausalLM& model, const GenerationOptions& options);

// out_ids [B * max_new] (or [B, max_new]) and lengths [B] on the device → result.completions,
// finish reasons and new_tokens; out_logprobs / out_logits when requested.
void collect(GenerationResult& result, int64_t B, int64_t max_new, const torch::Tensor& out_ids,
             const torch::Tensor& lengths, const torch::Tensor& out_logprobs, const torch::Tensor& out_logits,
             const std::vector<bool>& stopped, const GenerationOptions& options);

}  // namespace lightreasoner::generate::detail
