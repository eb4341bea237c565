// Teacher-forced scoring of finished rollouts by both models: KL, selection, masks and targets per
// step (the `sample` recipe around it is pipeline/sample.cpp).
#include "lightreasoner/contrast/sample.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

ScoredRollouts score_rollouts(model::CausalLM& expert, model::CausalLM& amateur,
                              const std::vector<std::vector<int64_t>>& prompts,
                              const std::vector<std::vector<int64_t>>& completions, const ContrastOptions& options,
                              ScoreTimings* timings) {
  LR_CHECK(prompts.size() == completions.size(), "score_rollouts: " << prompts.size() << " prompts but "
                                                                    << completions.size() << " completions");
  torch::NoGradGuard no_grad;
  const auto device = expert.device();
  const int64_t batch = static_cast<int64_t>(prompts.size());
  ScoredRollouts scored;
  // Row i's input is prompt + completion[:-1] (the last token is predicted, never an input),
  // right-padded: causal attention keeps pads out of every real position.
  int64_t width = 0, positions = 0;
  for (int64_t i = 0; i < batch; ++i) {
    LR_CHECK(!prompts[i].empty() && !completions[i].empty(), "score_rollouts: row " << i << " is empty");
    width = std::max<int64_t>(width, prompts[i].size() + completions[i].size() - 1);
    scored.first_position.push_back(positions);
    positions += static_cast<int64_t>(completions[i].size());
  }
  auto ids = torch::zeros({batch, width}, torch::kInt64);  // [B, L]
  std::vector<int64_t> flat_index;   // position in [B*L] that predicts each step
  std::vector<int64_t> step_index;   // t of each step
  flat_index.reserve(positions);
  step_index.reserve(positions);
  auto ids_a = ids.accessor<int64_t, 2>();
  for (int64_t i = 0; i < batch; ++i) {
    const auto& p = prompts[i];
    const auto& c = completions[i];
    int64_t len = 0;
    for (auto id : p) ids_a[i][len++] = id;
    for (size_t t = 0; t + 1 < c.size(); ++t) ids_a[i][len++] = c[t];
    for (size_t t = 0; t < c.size(); ++t) {
      flat_index.push_back(i * width + static_cast<int64_t>(p.size()) - 1 + static_cast<int64_t>(t));
      step_index.push_back(static_cast<int64_t>(t));
    }
  }
  ids = ids.to(device);
  auto gather = torch::tensor(flat_index, torch::kInt64).to(device);  // [N]
  auto d_expert = expert.config().hidden_size;
  auto d_amateur = amateur.config().hidden_size;
  // Final hidden states at the scored positions only; lm_head is applied chunk by chunk below.
  // Clock reads that first wait for the device, only when a split was asked for.
  auto clock = [&] {
    if (timings && device.is_cuda()) torch::cuda::synchronize();
    return std::chrono::steady_clock::now();
  };
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const auto start = clock();
  auto hidden_expert = expert.forward(ids).reshape({batch * width, d_expert}).index_select(0, gather);    // [N, dE]
  auto hidden_amateur = amateur.forward(ids).reshape({batch * width, d_amateur}).index_select(0, gather);  // [N, dA]
  const auto bodies_done = clock();
  double lm_head_seconds = 0;
  int64_t vocab = std::max(expert.config().vocab_size, amateur.config().vocab_size);
  LogitsChunkFn logits = [&](int64_t begin, int64_t end) {
    const auto t0 = timings ? clock() : bodies_done;
    auto pair = std::make_pair(expert.logits(hidden_expert.slice(0, begin, end)),
                               amateur.logits(hidden_amateur.slice(0, begin, end)));
    if (timings) lm_head_seconds += seconds(t0, clock());
    return pair;
  };
  scored.result = build_contrast_chunked(positions, vocab, device, logits, torch::tensor(step_index, torch::kInt64),
                                         options);
  if (timings) {
    const auto end = clock();
    timings->body_seconds += seconds(start, bodies_done);
    timings->lm_head_seconds += lm_head_seconds;
    timings->targets_seconds += seconds(bodies_done, end) - lm_head_seconds;
  }
  return scored;
}

}  // namespace lightreasoner::contrast
