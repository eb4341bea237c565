// Test helpers for model and generation suites: tiny random models written by our own `init`
// code into a fresh temp directory (no downloads), and tensor comparison with readable output.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "support.h"

namespace lrtest {

// A tiny random model directory of the given architecture (see model::preset_config "tiny").
// std 0.1 (not HF's 0.02) and perturbed norms make the distributions peaked enough that greedy
// ids and every weight matter.
inline std::filesystem::path make_tiny_model(const std::string& arch, const std::string& tag = "",
                                             uint64_t seed = 7) {
  auto dir = temp_dir("tiny-" + arch + tag);
  lightreasoner::model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  lightreasoner::model::init_model_dir(arch, "tiny", init, {}, dir);
  return dir;
}

// The same kind of model at `dir` with stories260K's tokenizer copied in, so that the CLI
// commands (which load the tokenizer from the model directory) run on it.
inline std::filesystem::path make_stories_model(const std::filesystem::path& dir, const std::string& arch,
                                                uint64_t seed) {
  lightreasoner::model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  lightreasoner::model::ModelDirOptions options;
  options.tokenizer_dir = fixture_dir() / "stories260K/hf";
  lightreasoner::model::init_model_dir(arch, "tiny", init, options, dir);
  return dir;
}

inline std::shared_ptr<lightreasoner::model::CausalLM> load_tiny(const std::filesystem::path& dir,
                                                                 torch::ScalarType dtype = torch::kFloat32) {
  lightreasoner::model::LoadOptions options;
  options.dtype = dtype;
  return lightreasoner::model::load_model(dir, options);
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Per-logit bound on |logits computed in `dtype` − exact logits| for `ids` [1, T] on a model
// whose fp32 twin is `f32` (same weights), from the dtype's unit roundoff u (2^-8 for bf16,
// 2^-24 for fp32). Along a token's path through the network every op rounds its output (and each
// weight was rounded once): about 20 roundings per decoder layer on the longest path (norm 2,
// value projection 2, rope 1, scores 1, softmax 1, weighted sum 1, o_proj 2, residual 1, norm 2,
// gate/up 2, SiLU 1, product 1, down 2, residual 1) plus 4 (embedding, final norm 2, lm_head
// weight); `extra_roundings` adds path-specific ones. In fp32 the matmuls also accumulate in the
// compute dtype: a length-n dot product adds n roundings (v/o/gate-up projections over hidden, down
// over intermediate, scores over head_dim, the weighted sum over T, the lm_head over hidden); bf16
// matmuls accumulate in fp32, whose roundings are 2^16 times smaller and are left out. Each is a
// relative error ≤ u, about uniform
// (standard deviation u/√3) and independent of the others, so at the final hidden state h they add
// in quadrature to a relative noise of √k·u/√3 per element, which reaches logit j as
// Σ_i h_i W_ji ε_i: standard deviation √k·u/√3·‖h ∘ W_j‖₂. Bound: 5 standard deviations (the
// largest of a few thousand normal deviates stays below 4.5) plus the final rounding u·|logit_j|.
// Returns [T, V] in fp64.
inline torch::Tensor logit_rounding_bound(lightreasoner::model::CausalLM& f32, const torch::Tensor& ids,
                                          torch::ScalarType dtype, int64_t extra_roundings = 0) {
  torch::NoGradGuard no_grad;
  const double u = dtype == torch::kBFloat16 ? std::ldexp(1.0, -8) : dtype == torch::kFloat16 ? std::ldexp(1.0, -11)
                                                                                                : std::ldexp(1.0, -24);
  const auto& c = f32.config();
  int64_t k = 20 * c.num_hidden_layers + 4 + extra_roundings;
  if (dtype == torch::kFloat32)
    k += (3 * c.hidden_size + c.intermediate_size + c.head_dim() + ids.size(1)) * c.num_hidden_layers + c.hidden_size;
  auto h = f32.forward(ids).squeeze(0).to(torch::kFloat64);   // [T, d]
  auto w = f32.lm_head_weight().to(torch::kFloat64);          // [V, d]
  auto spread = torch::mm(h.square(), w.square().t()).sqrt();  // [T, V]: ‖h ∘ W_j‖₂
  auto logits = torch::mm(h, w.t());                           // [T, V]
  return 5.0 * std::sqrt(static_cast<double>(k)) * u / std::sqrt(3.0) * spread + u * logits.abs();
}

}  // namespace lrtest
