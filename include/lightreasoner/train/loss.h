// The two training objectives on a packed batch (batch.h): KL(target ‖ model) over sparse soft
// targets (LightReasoner, docs/method.md#loss) and token cross-entropy (SFT, docs/method.md#sft-baseline). The
// lm_head runs only at the supervised positions; the log-softmax runs in fp32 over the shared
// vocabulary. A dense reference of the KL is kept beside the sparse one for tests.
#pragma once

#include <torch/torch.h>

#include "lightreasoner/model/transformer.h"
#include "lightreasoner/train/batch.h"

namespace lightreasoner::train {

enum class LossKind {
  kSoftTargetKL,       // mean over steps of Σ_a p(a) (log p(a) − log q(a)), p sparse
  kTokenCrossEntropy,  // mean over completion tokens of −log q(token)
};

// logits [N, V'] (any float dtype, V' ≥ vocab); target_ids/target_p [N, K] zero-padded.
// Returns the mean KL as a 0-dim fp32 tensor.
torch::Tensor soft_target_kl(const torch::Tensor& logits, const torch::Tensor& target_ids,
                             const torch::Tensor& target_p, int64_t vocab);
// The same via a dense [N, vocab] target (slow reference).
torch::Tensor soft_target_kl_reference(const torch::Tensor& logits, const torch::Tensor& target_ids,
                                       const torch::Tensor& target_p, int64_t vocab);
// Mean −log softmax(logits[:, :vocab])[n, target_ids[n, 0]].
torch::Tensor token_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_ids, int64_t vocab);

// Logits at the supervised positions only: [N, V] in the model dtype.
torch::Tensor supervised_logits(model::CausalLM& model, const SupervisedBatch& batch);
torch::Tensor batch_loss(model::CausalLM& model, const SupervisedBatch& batch, LossKind kind, int64_t vocab);

// Mean entropy of the rows' targets: the soft cross-entropy's minimum (the KL's is 0).
double mean_target_entropy(const std::vector<TrainRow>& rows);

}  // namespace lightreasoner::train
