// CUDA graphs for the continuous-batching decode step (generate(), options.cuda_graphs): one graph
// per batch-size bucket (powers of two up to the slot count), captured on first use, each running
// the fixed-shape step (SlotCache::set_fixed_span: all slots read, masked on the device) from
// embedding to logits. Token selection stays outside the graph, so sampling's RNG is untouched.
// Compiled only against LibTorch >= 2 with CUDA (LR_WITH_CUDA_GRAPHS); elsewhere, and on a CPU
// device, step() runs the same fixed-shape step eagerly, which is what the CPU tests check. Off
// by default until a GPU run has shown it correct and faster.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>

#include "lightreasoner/model/transformer.h"

namespace lightreasoner::generate {

// True when this build can capture CUDA graphs.
bool cuda_graphs_compiled();

class DecodeGraphs {
 public:
  DecodeGraphs(model::CausalLM& model, model::SlotCache& cache, int64_t pad_token_id);
  ~DecodeGraphs();
  // One decode step for rows [0, active) of the cache; tokens [active] → logits [active, V].
  torch::Tensor step(const torch::Tensor& tokens);
  int64_t graphs_captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lightreasoner::generate
