// DecodeGraphs: the fixed-shape decode step, eager or replayed from a captured CUDA graph.
// Capture protocol (as torch.cuda.graphs does it): a few eager warm-up steps on a side stream
// (cuBLAS workspaces, the RoPE table, allocator pools), then capture on that stream. Warm-ups
// and the capture must leave the cache as they found it: the device lengths are saved and
// restored (the K/V they wrote sit at slots the next real step overwrites).
#include "lightreasoner/generate/decode_graph.h"

#include <torch/version.h>

#include "lightreasoner/core/error.h"

#if defined(LR_WITH_CUDA_GRAPHS)
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace lightreasoner::generate {

bool cuda_graphs_compiled() {
#if defined(LR_WITH_CUDA_GRAPHS)
  return true;
#else
  return false;
#endif
}

struct DecodeGraphs::Impl {
  Impl(model::CausalLM& model_, model::SlotCache& cache_, int64_t pad_) : model(model_), cache(cache_), pad(pad_) {}
  model::CausalLM& model;
  model::SlotCache& cache;
  int64_t pad;
#if defined(LR_WITH_CUDA_GRAPHS)
  struct Bucket {
    at::cuda::CUDAGraph graph;
    torch::Tensor tokens;  // [b] static input
    torch::Tensor logits;  // [b, V] static output
  };
  std::map<int64_t, std::unique_ptr<Bucket>> buckets;
#endif

  torch::Tensor eager(const torch::Tensor& tokens) {
    auto hidden = model.decode_slots(tokens, cache);
    return model.logits(hidden);
  }

#if defined(LR_WITH_CUDA_GRAPHS)
  Bucket& bucket_for(int64_t active) {
    int64_t b = 1;
    while (b < active) b *= 2;
    b = std::min(b, cache.slots());
    auto it = buckets.find(b);
    if (it != buckets.end()) return *it->second;
    auto bucket = std::make_unique<Bucket>();
    bucket->tokens = torch::full({b}, pad, torch::TensorOptions().dtype(torch::kInt64).device(model.device()));
    auto saved = cache.lengths().clone();
    auto saved_host = cache.host_lengths();
    auto main_stream = c10::cuda::getCurrentCUDAStream();
    auto side = c10::cuda::getStreamFromPool();
    at::cuda::CUDAEvent ready;
    ready.record(main_stream);
    ready.block(side);
    {
      c10::cuda::CUDAStreamGuard guard(side);
      for (int i = 0; i < 3; ++i) (void)eager(bucket->tokens);  // warm-up
      bucket->graph.capture_begin();
      bucket->logits = eager(bucket->tokens);
      bucket->graph.capture_end();
    }
    at::cuda::CUDAEvent captured;
    captured.record(side);
    captured.block(main_stream);
    cache.lengths().copy_(saved);
    cache.restore_host_lengths(saved_host);
    return *buckets.emplace(b, std::move(bucket)).first->second;
  }
#endif
};

DecodeGraphs::DecodeGraphs(model::CausalLM& model, model::SlotCache& cache, int64_t pad_token_id)
    : impl_(std::make_unique<Impl>(model, cache, pad_token_id)) {
  cache.set_fixed_span(true);
}

DecodeGraphs::~DecodeGraphs() { impl_->cache.set_fixed_span(false); }

int64_t DecodeGraphs::graphs_captured() const {
#if defined(LR_WITH_CUDA_GRAPHS)
  return static_cast<int64_t>(impl_->buckets.size());
#else
  return 0;
#endif
}

torch::Tensor DecodeGraphs::step(const torch::Tensor& tokens) {
#if defined(LR_WITH_CUDA_GRAPHS)
  if (impl_->model.device().is_cuda()) {
    const int64_t active = tokens.size(0);
    auto& bucket = impl_->bucket_for(active);
    bucket.tokens.fill_(impl_->pad);
    bucket.tokens.narrow(0, 0, active).copy_(tokens);
    bucket.graph.replay();
    impl_->cache.advance_host(active);
    return bucket.logits.narrow(0, 0, active);
  }
#endif
  return impl_->eager(tokens);
}

}  // namespace lightreasoner::generate
