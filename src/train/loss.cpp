// Sparse soft-target KL, its dense reference, token cross-entropy, and the gathered-logits
// forward. All log-softmaxes are fp32 over the first `vocab` columns.
#include "lightreasoner/train/loss.h"

#include <cmath>

#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

namespace {

torch::Tensor shared_log_probs(const torch::Tensor& logits, int64_t vocab) {
  LR_CHECK(logits.dim() == 2 && logits.size(1) >= vocab && vocab > 0,
           "loss: logits " << logits.sizes() << " do not cover the shared vocabulary of " << vocab);
  return torch::log_softmax(logits.slice(1, 0, vocab).to(torch::kFloat32), -1);  // [N, vocab] fp32
}

// Σ_k p log p per row, with 0 log 0 = 0 (a constant: no gradient).
torch::Tensor neg_entropy(const torch::Tensor& p) {
  auto positive = p > 0;
  return torch::where(positive, p * torch::log(torch::where(positive, p, torch::ones_like(p))),
                      torch::zeros_like(p))
      .sum(-1);  // [N]
}

}  // namespace

torch::Tensor soft_target_kl(const torch::Tensor& logits, const torch::Tensor& target_ids,
                             const torch::Tensor& target_p, int64_t vocab) {
  auto log_q = shared_log_probs(logits, vocab);                    // [N, vocab]
  auto log_q_at = log_q.gather(1, target_ids);                     // [N, K]
  auto p = target_p.to(torch::kFloat32);                           // [N, K]
  auto kl = neg_entropy(p) - (p * log_q_at).sum(-1);               // [N]
  return kl.mean();
}

torch::Tensor soft_target_kl_reference(const torch::Tensor& logits, const torch::Tensor& target_ids,
                                       const torch::Tensor& target_p, int64_t vocab) {
  auto log_q = shared_log_probs(logits, vocab);                                           // [N, vocab]
  auto dense = torch::zeros_like(log_q).scatter_add(1, target_ids, target_p.to(torch::kFloat32));  // [N, vocab]
  auto positive = dense > 0;
  auto safe = torch::where(positive, dense, torch::ones_like(dense));
  auto terms = torch::where(positive, dense * (torch::log(safe) - log_q), torch::zeros_like(dense));
  return terms.sum(-1).mean();
}

torch::Tensor token_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_ids, int64_t vocab) {
  auto log_q = shared_log_probs(logits, vocab);  // [N, vocab]
  return torch::nll_loss(log_q, target_ids.select(1, 0));
}

torch::Tensor supervised_logits(model::CausalLM& model, const SupervisedBatch& batch) {
  auto hidden = batch.packed()  // [B, L, d]
                    ? model.forward_packed(batch.input_ids, batch.rows)
                    : model.forward(batch.input_ids);
  const auto d = hidden.size(2);
  auto at = hidden.reshape({-1, d}).index_select(0, batch.positions);  // [N, d]
  return model.logits(at);                                             // [N, V]
}

torch::Tensor batch_loss(model::CausalLM& model, const SupervisedBatch& batch, LossKind kind, int64_t vocab) {
  auto logits = supervised_logits(model, batch);
  return kind == LossKind::kSoftTargetKL ? soft_target_kl(logits, batch.target_ids, batch.target_p, vocab)
                                         : token_cross_entropy(logits, batch.target_ids, vocab);
}

double mean_target_entropy(const std::vector<TrainRow>& rows) {
  double sum = 0.0;
  int64_t n = 0;
  for (const auto& row : rows) {
    for (const auto& step : row.steps) {
      for (float p : step.p)
        if (p > 0) sum -= static_cast<double>(p) * std::log(static_cast<double>(p));
      ++n;
    }
  }
  return n > 0 ? sum / static_cast<double>(n) : 0.0;
}

}  // namespace lightreasoner::train
