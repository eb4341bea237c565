// What the trainer supervises, independent of where it came from: a "row" is one sequence
// (prompt + completion) with the completion steps t it supervises and each step's sparse target
// (the contrast dataset's soft labels, or the next token itself for SFT), and its packing into
// model inputs: `trajectory` (one sequence per row, all its steps) or `step` (one sequence per
// step, supervised at its last real position). No model, loss or optimiser here.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lightreasoner/contrast/dataset.h"

namespace lightreasoner::train {

struct SupervisedStep {
  int64_t t = 0;              // completion index: predicts completion_ids[t] from prompt + completion[:t]
  std::vector<int64_t> ids;   // target support
  std::vector<float> p;       // target probabilities (1.0 for a plain next-token target)
};

struct TrainRow {
  std::string id;
  std::vector<int64_t> prompt_ids;
  std::vector<int64_t> completion_ids;
  std::vector<SupervisedStep> steps;  // ascending t
};

enum class Packing { kTrajectory, kStep };
Packing parse_packing(const std::string& name);  // "trajectory" | "step"

struct RowLimits {
  int64_t max_seq_len = 512;  // input tokens of one sequence; later steps are dropped (counted)
  int64_t vocab = 0;          // target ids must be < vocab (the shared vocabulary)
};

struct PreparedRows {
  std::vector<TrainRow> rows;
  int64_t steps = 0;               // supervised steps kept
  int64_t steps_truncated = 0;     // dropped: beyond max_seq_len
  int64_t rows_without_steps = 0;  // rollouts with no selected step (nothing to learn)
};

// Contrast records → rows; validates ids against the vocabulary (errors name the record id).
PreparedRows rows_from_contrast(const std::vector<contrast::ContrastRecord>& records, const RowLimits& limits);
// SFT example → a row supervising every completion token (target = the token itself).
TrainRow sft_row(std::string id, std::vector<int64_t> prompt_ids, std::vector<int64_t> completion_ids);
// Drops steps beyond max_seq_len and rows left empty; validates ids against the vocabulary.
PreparedRows limit_rows(std::vector<TrainRow> rows, const RowLimits& limits);

// A packed micro-batch: sequences right-padded with id 0 (causal attention keeps pads out of
// every real position), plus the flat positions whose logits are supervised and their targets.
struct SupervisedBatch {
  torch::Tensor input_ids;   // [B, L] int64
  torch::Tensor positions;   // [N] int64 into the flattened [B*L]: the position predicting step t
  torch::Tensor target_ids;  // [N, K] int64, zero-padded
  torch::Tensor target_p;    // [N, K] fp32, zero-padded (p = 0 contributes nothing)
  int64_t steps = 0;         // N
  int64_t tokens = 0;        // real input tokens (what the forward pays for)
};

SupervisedBatch pack_rows(const std::vector<const TrainRow*>& rows, Packing packing, torch::Device device);

// The number of packed sequences a row becomes (1, or its step count with `step` packing).
int64_t sequences_of(const TrainRow& row, Packing packing);

}  // namespace lightreasoner::train
