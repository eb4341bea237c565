// The scoring driver of `sample`: from expert and amateur LOGITS for N rollout positions, the
// per-step KL of every position and the sparse targets of the selected ones. Positions are taken
// in chunks sized so the [chunk, V] fp32 working set stays within a byte budget; the logits can
// be given whole or produced chunk by chunk by a callback (e.g. the models' lm_head). Only the
// [N] KL and the sparse targets leave the device. The unchunked reference path is kept beside it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/divergence.h"
#include "lightreasoner/contrast/targets.h"

namespace lightreasoner::contrast {

struct ContrastOptions {
  SelectionOptions selection;
  TargetKind kind = TargetKind::kContrast;
  double alpha = config::TargetConfig{}.alpha;  // the config's default, written once there
  int64_t memory_budget_bytes = int64_t{1} << 30;  // bound on the [chunk, V] fp32 working set
  // CPU only: also cap the working set at this many bytes so a chunk stays cache-resident; the
  // pass is a dozen elementwise sweeps, and sweeping cache instead of DRAM is ~4x faster
  // (bench/RESULTS.md). 0 = budget only. On accelerators the budget alone decides.
  int64_t cpu_cache_bytes = int64_t{4} << 20;
};

// One selected step's target, on the host.
struct StepTarget {
  int64_t position = 0;  // row in the scored positions
  float kl = 0.0f;
  std::vector<int64_t> ids;           // ascending
  std::vector<float> probs;           // target, sums to 1
  std::vector<float> expert_probs;    // πE(id)
  std::vector<float> amateur_probs;   // πA(id)
  int64_t amateur_top_id = -1;        // the amateur's argmax, often off the mask
  float amateur_top_prob = 0.0f;
};

struct ContrastResult {
  std::vector<float> kl;            // [N] KL(πE‖πA) of every position
  std::vector<StepTarget> selected;  // in position order
};

// Logits of positions [begin, end): ([end-begin, V_E], [end-begin, V_A]), any float dtype/device.
using LogitsChunkFn = std::function<std::pair<torch::Tensor, torch::Tensor>(int64_t begin, int64_t end)>;

// Positions per chunk for a vocabulary of `vocab` columns on `device` (at least 1).
int64_t positions_per_chunk(int64_t vocab, const ContrastOptions& options, const torch::Device& device);

// step_index: [N] int64 rollout step t of each position (for skip_first_step); undefined = 0..N-1.
// `vocab` is the larger of V_E and V_A and `device` where the logits live (they size the chunks).
ContrastResult build_contrast_chunked(int64_t positions, int64_t vocab, const torch::Device& device,
                                      const LogitsChunkFn& logits, const torch::Tensor& step_index,
                                      const ContrastOptions& options);
// Whole [N, V_E] / [N, V_A] logits, processed in budget-sized chunks.
ContrastResult build_contrast(const torch::Tensor& expert_logits, const torch::Tensor& amateur_logits,
                              const torch::Tensor& step_index, const ContrastOptions& options);
// Reference: everything on the full [N, V] at once, targets for every row then picked.
ContrastResult build_contrast_reference(const torch::Tensor& expert_logits, const torch::Tensor& amateur_logits,
                                        const torch::Tensor& step_index, const ContrastOptions& options);

}  // namespace lightreasoner::contrast
