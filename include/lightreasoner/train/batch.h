// What the trainer supervises, independent of where it came from: a "row" is one sequence
// (prompt + completion) with the completion steps t it supervises and each step's sparse target
// (the contrast dataset's soft labels, or the next token itself for SFT); which examples each
// optimizer update holds (UpdateSchedule: train.batch_size examples per update, in a (seed,
// epoch)-shuffled order), and their packing into model inputs: `trajectory` (the update's steps of
// one row share one sequence) or `step` (one sequence per step, supervised at its last real
// position), each sequence a padded row of its own or, with train.pack_tokens, several laid end
// to end in one row. The packing changes the speed, never which steps an update holds or its loss.
// No model, loss or optimiser here.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/model/transformer.h"

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
const char* packing_name(Packing packing);

// train.order: how the examples are shuffled. `steps`: every example independently (what the
// official fine-tuning's Trainer does with its dataset of single steps); `rollouts`: the rows are
// shuffled and each row's examples stay consecutive, so an update holds few rows and trajectory
// packing runs each row's steps in one forward (faster; the updates are more correlated).
enum class Order { kSteps, kRollouts };
Order parse_order(const std::string& name);  // "steps" | "rollouts"
const char* order_name(Order order);

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

// A micro-batch as model inputs: rows right-padded with id 0 (causal attention keeps pads out of
// every real position), plus the flat positions whose logits are supervised and their targets.
// Unpacked, each sequence is a row of its own; packed (train.pack_tokens > 0), sequences are laid
// end to end in rows and position_ids / segment_ids tell the model where each one starts
// (CausalLM::forward_packed): the same loss and gradients without the padding's compute.
struct SupervisedBatch {
  torch::Tensor input_ids;   // [B, L] int64
  torch::Tensor positions;   // [N] int64 into the flattened [B*L]: the position predicting step t
  torch::Tensor target_ids;  // [N, K] int64, zero-padded
  torch::Tensor target_p;    // [N, K] fp32, zero-padded (p = 0 contributes nothing)
  int64_t steps = 0;         // N
  int64_t tokens = 0;        // real input tokens (what the forward pays for)
  model::PackedRows rows;  // packed only: where each sequence lies (empty otherwise)
  bool packed() const { return rows.sequences > 0; }
};

// One packed sequence: the steps `steps` (indices into row->steps, ascending) of one row; its
// input is prompt + completion[:the last of their t].
struct Segment {
  const TrainRow* row = nullptr;
  std::vector<size_t> steps;
};
// pack_tokens 0: one row per sequence. pack_tokens > 0: sequences laid end to end, each into the
// first row with room for it (in order), rows of at most max(pack_tokens, the longest sequence).
SupervisedBatch pack_segments(const std::vector<Segment>& segments, torch::Device device, int64_t pack_tokens = 0);
// Every step of every row, as `packing` says.
SupervisedBatch pack_rows(const std::vector<const TrainRow*>& rows, Packing packing, torch::Device device,
                          int64_t pack_tokens = 0);

// The trainer's data order. An *example* is what train.batch_size counts: one supervised step
// (contrast training: the official dataset's item), or one whole row (`rows_are_examples`: SFT,
// whose item is a sequence). Update u holds the examples [u*B, (u+1)*B) of an endless stream made
// of (seed, epoch)-shuffled epochs, split into grad_accum micro-batches and, inside each, into one
// slice per data-parallel rank; all of it depends on (seed, u) only, so a resumed, data-parallel
// or differently packed run trains on exactly the same examples in the same updates.
class UpdateSchedule {
 public:
  UpdateSchedule(const std::vector<TrainRow>& rows, Order order, bool rows_are_examples, uint64_t seed);
  int64_t examples() const { return n_examples_; }         // per epoch
  int64_t supervised_steps() const { return n_steps_; }    // per epoch
  struct Micro {
    std::vector<Segment> segments;  // this rank's sequences
    int64_t steps = 0;              // supervised steps of this rank's slice
    int64_t global_steps = 0;       // supervised steps of the whole micro-batch, all ranks
  };
  // Update `update` (0-based) of `batch` examples in `accum` micro-batches over `world` ranks: the
  // micro-batches of rank `rank`. Needs batch >= accum * world (every slice non-empty).
  std::vector<Micro> update(int64_t update, int64_t batch, int64_t accum, int64_t world, int64_t rank,
                            Packing packing);

 private:
  struct Example {
    uint32_t row, first_step, end_step;
  };
  const Example& at(int64_t k);  // the k-th example of the stream
  std::vector<Example> base_;    // every example, in row order
  std::vector<uint32_t> row_first_;  // index into base_ of each row's first example
  const std::vector<TrainRow>* rows_;
  Order order_;
  uint64_t seed_;
  int64_t n_examples_ = 0, n_steps_ = 0;
  int64_t epoch_ = -1;
  std::vector<uint32_t> epoch_order_;  // indices into base_, the current epoch's order
};

}  // namespace lightreasoner::train
