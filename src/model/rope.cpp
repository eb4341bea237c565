// Rotary embedding tables and application. inv_freq follows transformers' modeling_rope_utils
// step by step in float32 so the cos/sin tables match Hugging Face bit for bit where possible;
// scalar bookkeeping (yarn correction range, dynamic base) is done in double as Python does.
#include "lightreasoner/model/rope.h"

#include <cmath>

#include "lightreasoner/core/error.h"

namespace lightreasoner::model {
namespace {

constexpr double kPi = 3.14159265358979323846;

// 1 / base^(arange(0, dim, 2) / dim), float32.
torch::Tensor default_inv_freq(double base, int64_t dim) {
  auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  return 1.0 / torch::pow(base, exponents);
}

torch::Tensor llama3_inv_freq(const RopeConfig& rope, int64_t dim) {
  auto inv_freq = default_inv_freq(rope.theta, dim);
  const double old_context = static_cast<double>(*rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / rope.low_freq_factor;
  const double high_freq_wavelen = old_context / rope.high_freq_factor;
  auto wavelen = 2 * kPi / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
  auto smooth = (old_context / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  auto is_medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(is_medium, smoothed, scaled);
}

torch::Tensor yarn_inv_freq(const RopeConfig& rope, int64_t dim) {
  const double base = rope.theta;
  const double max_pos = static_cast<double>(*rope.original_max_position_embeddings);
  auto pos_freqs = torch::pow(base, torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim));
  auto extrapolation = 1.0 / pos_freqs;
  auto interpolation = 1.0 / (rope.factor * pos_freqs);
  auto correction_dim = [&](double rotations) {
    return (static_cast<double>(dim) * std::log(max_pos / (rotations * 2 * kPi))) / (2 * std::log(base));
  };
  double low = std::max(std::floor(correction_dim(rope.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(rope.beta_slow)), static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  auto ramp = ((torch::arange(dim / 2, torch::kFloat32) - low) / (high - low)).clamp(0, 1);
  auto extrapolation_factor = 1 - ramp;
  return interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor;
}

}  // namespace

torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len) {
  const RopeConfig& rope = config.rope;
  const int64_t dim = config.rotary_dim();
  switch (rope.type) {
    case RopeType::kDefault: return default_inv_freq(rope.theta, dim);
    case RopeType::kLinear: return default_inv_freq(rope.theta, dim) / rope.factor;
    case RopeType::kDynamic: {
      const double max_pos = static_cast<double>(config.max_position_embeddings);
      if (static_cast<double>(seq_len) <= max_pos) return default_inv_freq(rope.theta, dim);
      const double d = static_cast<double>(dim);
      const double base = rope.theta * std::pow((rope.factor * static_cast<double>(seq_len) / max_pos) - (rope.factor - 1),
                                                d / (d - 2));
      return default_inv_freq(base, dim);
    }
    case RopeType::kYarn: return yarn_inv_freq(rope, dim);
    case RopeType::kLlama3: return llama3_inv_freq(rope, dim);
  }
  LR_FAIL("unknown rope type");
}

double rope_attention_scaling(const ModelConfig& config) {
  if (config.rope.type != RopeType::kYarn) return 1.0;
  if (config.rope.attention_factor) return *config.rope.attention_factor;
  return config.rope.factor <= 1 ? 1.0 : 0.1 * std::log(config.rope.factor) + 1.0;
}

RopeTables rope_tables(const torch::Tensor& inv_freq, const torch::Tensor& position_ids, double attention_scaling,
                       torch::ScalarType dtype) {
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) *
               inv_freq.to(position_ids.device()).view({1, 1, -1});  // [B, T, dim/2]
  auto emb = torch::cat({freqs, freqs}, -1);                           // [B, T, dim]
  auto cos = emb.cos(), sin = emb.sin();
  if (attention_scaling != 1.0) {
    cos = cos * attention_scaling;
    sin = sin * attention_scaling;
  }
  return {cos.to(dtype), sin.to(dtype)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const RopeTables& tables) {
  // rotate_half. One split rather than two narrows: in training, a narrow's backward fills a
  // zero tensor of the whole input per half and adds them; the split's concatenates once.
  const auto halves = x.chunk(2, -1);
  auto rotated = torch::cat({-halves[1], halves[0]}, -1);
  auto cos = tables.cos.unsqueeze(1), sin = tables.sin.unsqueeze(1);                  // [B, 1, T, D]
  return x * cos + rotated * sin;
}

}  // namespace lightreasoner::model
