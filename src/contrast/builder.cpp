// Chunked KL + selection + sparse targets over N positions, and the unchunked reference.
// The fast path builds targets only for the selected rows of each chunk and only on their support
// (targets_on_support); the reference forms dense [N, V] targets for all rows (dense_targets).
// Both move to the host only [N] KL and the sparse entries.
#include "lightreasoner/contrast/builder.h"

#include <algorithm>
#include <cmath>

#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

// fp32 [V] rows alive at once per position: the two input rows (counted at fp32 whatever their
// dtype), two log-softmaxes, πE, the floored log-ratio and its product with πE.
constexpr int64_t kLiveRowsPerPosition = 7;

torch::Tensor default_step_index(const torch::Tensor& step_index, int64_t positions) {
  if (step_index.defined()) {
    LR_CHECK(step_index.dim() == 1 && step_index.size(0) == positions,
             "step_index must be [" << positions << "], got " << step_index.sizes());
    return step_index.to(torch::kInt64);
  }
  return torch::arange(positions, torch::kInt64);
}

void check_finite_kl(const torch::Tensor& kl, int64_t first_position) {
  torch::Tensor bad = kl.isnan().nonzero();
  LR_CHECK(bad.size(0) == 0, "KL is NaN at position " << first_position + bad[0][0].item<int64_t>()
                                                       << ": the logits hold NaN or +inf");
}

// Sparse targets of the rows `keep` of one block, appended (position order) to `out`. Only the
// support's K entries are gathered and moved to the host, where the per-row softmax over those
// few scores is done (targets_on_support); the dense [S, V] target is never formed.
void append_targets(const torch::Tensor& expert_lp, const torch::Tensor& amateur_lp, const torch::Tensor& kl,
                    const torch::Tensor& keep, int64_t first_position, const ContrastOptions& options,
                    std::vector<StepTarget>& out) {
  torch::Tensor rows = keep.nonzero().select(1, 0);  // [S]
  if (rows.size(0) == 0) return;
  torch::Tensor expert = expert_lp.index_select(0, rows);    // [S, V]
  torch::Tensor amateur = amateur_lp.index_select(0, rows);  // [S, V]
  torch::Tensor support = target_support(options.kind, expert, plausibility_mask(expert, options.alpha));
  torch::Tensor entries = support.nonzero();  // [K, 2] row-major: ids ascend within a row
  torch::Tensor entry_rows = entries.select(1, 0), entry_ids = entries.select(1, 1);
  auto [amateur_top_lp, amateur_top_id] = amateur.max(-1);  // [S], [S]

  // The only device → host transfers: a few [K] and [S] vectors.
  torch::Tensor rows_host = entry_rows.cpu(), ids_host = entry_ids.cpu();
  torch::Tensor le = expert.index({entry_rows, entry_ids}).cpu(), la = amateur.index({entry_rows, entry_ids}).cpu();
  torch::Tensor kept_rows = rows.cpu(), kept_kl = kl.index_select(0, rows).cpu();
  torch::Tensor top_id = amateur_top_id.cpu(), top_lp = amateur_top_lp.cpu();

  const auto* row_ptr = rows_host.data_ptr<int64_t>();
  const auto* id_ptr = ids_host.data_ptr<int64_t>();
  const auto* le_ptr = le.data_ptr<float>();
  const auto* la_ptr = la.data_ptr<float>();
  const int64_t entry_count = rows_host.size(0);
  int64_t k = 0;
  for (int64_t s = 0; s < kept_rows.size(0); ++s) {
    StepTarget step;
    step.position = first_position + kept_rows[s].item<int64_t>();
    step.kl = kept_kl[s].item<float>();
    step.amateur_top_id = top_id[s].item<int64_t>();
    step.amateur_top_prob = std::exp(top_lp[s].item<float>());
    const int64_t begin = k;
    while (k < entry_count && row_ptr[k] == s) {
      step.ids.push_back(id_ptr[k]);
      step.expert_probs.push_back(std::exp(le_ptr[k]));
      step.amateur_probs.push_back(std::exp(la_ptr[k]));
      ++k;
    }
    step.probs = targets_on_support(options.kind, le_ptr + begin, la_ptr + begin, static_cast<size_t>(k - begin));
    out.push_back(std::move(step));
  }
}

}  // namespace

int64_t positions_per_chunk(int64_t vocab, const ContrastOptions& options, const torch::Device& device) {
  LR_CHECK(vocab > 0, "vocabulary size must be positive (got " << vocab << ")");
  const int64_t per_position = kLiveRowsPerPosition * vocab * static_cast<int64_t>(sizeof(float));
  int64_t bytes = options.memory_budget_bytes;
  if (device.is_cpu() && options.cpu_cache_bytes > 0) bytes = std::min(bytes, options.cpu_cache_bytes);
  return std::max<int64_t>(1, bytes / per_position);
}

ContrastResult build_contrast_chunked(int64_t positions, int64_t vocab, const torch::Device& device,
                                      const LogitsChunkFn& logits, const torch::Tensor& step_index,
                                      const ContrastOptions& options) {
  LR_CHECK(positions >= 0, "positions must be >= 0 (got " << positions << ")");
  const torch::Tensor steps = default_step_index(step_index, positions);
  const int64_t chunk = positions_per_chunk(vocab, options, device);
  ContrastResult result;
  result.kl.reserve(static_cast<size_t>(positions));
  for (int64_t begin = 0; begin < positions; begin += chunk) {
    const int64_t end = std::min(positions, begin + chunk);
    auto [expert_logits, amateur_logits] = logits(begin, end);
    LR_CHECK(expert_logits.size(0) == end - begin,
             "logits callback returned " << expert_logits.size(0) << " rows for positions [" << begin << ", " << end
                                         << ")");
    auto [expert_lp, amateur_lp] = shared_log_probs(expert_logits, amateur_logits);  // [C, V] each
    torch::Tensor kl = kl_per_step(expert_lp, amateur_lp);                          // [C]
    torch::Tensor keep = select_steps(kl, steps.slice(0, begin, end), options.selection);
    torch::Tensor kl_host = kl.cpu();
    check_finite_kl(kl_host, begin);
    const float* kl_ptr = kl_host.data_ptr<float>();
    result.kl.insert(result.kl.end(), kl_ptr, kl_ptr + kl_host.size(0));
    append_targets(expert_lp, amateur_lp, kl, keep, begin, options, result.selected);
  }
  return result;
}

ContrastResult build_contrast(const torch::Tensor& expert_logits, const torch::Tensor& amateur_logits,
                              const torch::Tensor& step_index, const ContrastOptions& options) {
  LR_CHECK(expert_logits.dim() == 2 && amateur_logits.dim() == 2 && expert_logits.size(0) == amateur_logits.size(0),
           "logits must be [N, V_E] and [N, V_A], got " << expert_logits.sizes() << " and " << amateur_logits.sizes());
  const int64_t vocab = std::max(expert_logits.size(1), amateur_logits.size(1));
  return build_contrast_chunked(
      expert_logits.size(0), vocab, expert_logits.device(),
      [&](int64_t begin, int64_t end) {
        return std::make_pair(expert_logits.slice(0, begin, end), amateur_logits.slice(0, begin, end));
      },
      step_index, options);
}

ContrastResult build_contrast_reference(const torch::Tensor& expert_logits, const torch::Tensor& amateur_logits,
                                        const torch::Tensor& step_index, const ContrastOptions& options) {
  auto [expert_lp, amateur_lp] = shared_log_probs(expert_logits, amateur_logits);  // [N, V] each
  const int64_t positions = expert_lp.size(0);
  torch::Tensor kl = kl_per_step(expert_lp, amateur_lp);  // [N]
  torch::Tensor keep = select_steps(kl, default_step_index(step_index, positions), options.selection);
  torch::Tensor mask = plausibility_mask(expert_lp, options.alpha);
  torch::Tensor support = target_support(options.kind, expert_lp, mask);
  torch::Tensor dense = dense_targets(options.kind, expert_lp, amateur_lp, mask);  // [N, V] for every row
  auto [amateur_top_lp, amateur_top_id] = amateur_lp.max(-1);

  ContrastResult result;
  torch::Tensor kl_host = kl.cpu(), keep_host = keep.cpu();
  check_finite_kl(kl_host, 0);
  for (int64_t n = 0; n < positions; ++n) {
    result.kl.push_back(kl_host[n].item<float>());
    if (!keep_host[n].item<bool>()) continue;
    StepTarget step;
    step.position = n;
    step.kl = kl_host[n].item<float>();
    torch::Tensor ids = support[n].nonzero().select(1, 0).cpu();
    for (int64_t k = 0; k < ids.size(0); ++k) {
      const int64_t id = ids[k].item<int64_t>();
      step.ids.push_back(id);
      step.probs.push_back(dense[n][id].item<float>());
      step.expert_probs.push_back(expert_lp[n][id].exp().item<float>());
      step.amateur_probs.push_back(amateur_lp[n][id].exp().item<float>());
    }
    step.amateur_top_id = amateur_top_id[n].item<int64_t>();
    step.amateur_top_prob = amateur_top_lp[n].exp().item<float>();
    result.selected.push_back(std::move(step));
  }
  return result;
}

}  // namespace lightreasoner::contrast
