// Rows from contrast records / SFT examples, and their packing into right-padded micro-batches
// with the supervised positions gathered at |prompt| + t − 1 (never a padding position).
#include "lightreasoner/train/batch.h"

#include <algorithm>

#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

Packing parse_packing(const std::string& name) {
  if (name == "trajectory") return Packing::kTrajectory;
  LR_CHECK(name == "step", "train.packing must be \"trajectory\" or \"step\", got \"" << name << "\"");
  return Packing::kStep;
}

PreparedRows limit_rows(std::vector<TrainRow> rows, const RowLimits& limits) {
  PreparedRows out;
  for (auto& row : rows) {
    LR_CHECK(!row.prompt_ids.empty(), "record '" << row.id << "': empty prompt_ids (step 0 needs a prompt token)");
    std::vector<SupervisedStep> kept;
    for (auto& step : row.steps) {
      // t == |completion| is valid: the input is prompt + completion[:t] (an imported official
      // record ends at its last selected step's prefix).
      LR_CHECK(step.t >= 0 && step.t <= static_cast<int64_t>(row.completion_ids.size()),
               "record '" << row.id << "': step t " << step.t << " outside the completion of "
                          << row.completion_ids.size() << " tokens");
      LR_CHECK(!step.ids.empty() && step.ids.size() == step.p.size(),
               "record '" << row.id << "' step t " << step.t << ": " << step.ids.size() << " target ids but "
                          << step.p.size() << " probabilities");
      for (auto id : step.ids)
        LR_CHECK(id >= 0 && (limits.vocab <= 0 || id < limits.vocab),
                 "record '" << row.id << "' step t " << step.t << ": target id " << id
                            << " is outside the shared vocabulary of " << limits.vocab
                            << " (was the dataset made with another model?)");
      // The input is prompt + completion[:t]: |prompt| + t tokens.
      if (static_cast<int64_t>(row.prompt_ids.size()) + step.t > limits.max_seq_len) {
        ++out.steps_truncated;
        continue;
      }
      kept.push_back(std::move(step));
    }
    row.steps = std::move(kept);
    if (row.steps.empty()) {
      ++out.rows_without_steps;
      continue;
    }
    out.steps += static_cast<int64_t>(row.steps.size());
    out.rows.push_back(std::move(row));
  }
  return out;
}

PreparedRows rows_from_contrast(const std::vector<contrast::ContrastRecord>& records, const RowLimits& limits) {
  std::vector<TrainRow> rows;
  rows.reserve(records.size());
  for (const auto& record : records) {
    TrainRow row;
    row.id = record.id;
    row.prompt_ids = record.prompt_ids;
    row.completion_ids = record.completion_ids;
    for (const auto& s : record.steps) {
      SupervisedStep step;
      step.t = s.t;
      step.ids = s.ids;
      step.p.assign(s.p.begin(), s.p.end());
      row.steps.push_back(std::move(step));
    }
    rows.push_back(std::move(row));
  }
  return limit_rows(std::move(rows), limits);
}

TrainRow sft_row(std::string id, std::vector<int64_t> prompt_ids, std::vector<int64_t> completion_ids) {
  TrainRow row;
  row.id = std::move(id);
  row.prompt_ids = std::move(prompt_ids);
  row.completion_ids = std::move(completion_ids);
  for (size_t t = 0; t < row.completion_ids.size(); ++t)
    row.steps.push_back({static_cast<int64_t>(t), {row.completion_ids[t]}, {1.0f}});
  return row;
}

int64_t sequences_of(const TrainRow& row, Packing packing) {
  return packing == Packing::kTrajectory ? 1 : static_cast<int64_t>(row.steps.size());
}

SupervisedBatch pack_rows(const std::vector<const TrainRow*>& rows, Packing packing, torch::Device device) {
  LR_CHECK(!rows.empty(), "pack_rows: no rows");
  // One (row, steps) entry per packed sequence; its input is prompt + completion[:last t].
  struct Sequence {
    const TrainRow* row;
    size_t first_step, end_step;
    int64_t length;
  };
  std::vector<Sequence> sequences;
  size_t K = 1;
  for (const TrainRow* row : rows) {
    const auto P = static_cast<int64_t>(row->prompt_ids.size());
    for (const auto& s : row->steps) K = std::max(K, s.ids.size());
    if (packing == Packing::kTrajectory) {
      sequences.push_back({row, 0, row->steps.size(), P + row->steps.back().t});
    } else {
      for (size_t i = 0; i < row->steps.size(); ++i) sequences.push_back({row, i, i + 1, P + row->steps[i].t});
    }
  }
  int64_t width = 0, steps = 0, tokens = 0;
  for (const auto& s : sequences) {
    width = std::max(width, s.length);
    steps += static_cast<int64_t>(s.end_step - s.first_step);
    tokens += s.length;
  }
  const auto B = static_cast<int64_t>(sequences.size());
  auto ids = torch::zeros({B, width}, torch::kInt64);           // [B, L]
  auto positions = torch::empty({steps}, torch::kInt64);        // [N]
  auto target_ids = torch::zeros({steps, static_cast<int64_t>(K)}, torch::kInt64);  // [N, K]
  auto target_p = torch::zeros({steps, static_cast<int64_t>(K)}, torch::kFloat32);  // [N, K]
  auto ids_a = ids.accessor<int64_t, 2>();
  auto pos_a = positions.accessor<int64_t, 1>();
  auto tid_a = target_ids.accessor<int64_t, 2>();
  auto tp_a = target_p.accessor<float, 2>();
  int64_t n = 0;
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = sequences[static_cast<size_t>(b)];
    const auto& prompt = s.row->prompt_ids;
    const auto P = static_cast<int64_t>(prompt.size());
    for (int64_t j = 0; j < s.length; ++j)
      ids_a[b][j] = j < P ? prompt[static_cast<size_t>(j)] : s.row->completion_ids[static_cast<size_t>(j - P)];
    for (size_t i = s.first_step; i < s.end_step; ++i, ++n) {
      const auto& step = s.row->steps[i];
      pos_a[n] = b * width + P + step.t - 1;  // the position that predicts completion token t
      for (size_t k = 0; k < step.ids.size(); ++k) {
        tid_a[n][static_cast<int64_t>(k)] = step.ids[k];
        tp_a[n][static_cast<int64_t>(k)] = step.p[k];
      }
    }
  }
  SupervisedBatch batch;
  batch.input_ids = ids.to(device);
  batch.positions = positions.to(device);
  batch.target_ids = target_ids.to(device);
  batch.target_p = target_p.to(device);
  batch.steps = steps;
  batch.tokens = tokens;
  return batch;
}

}  // namespace lightreasoner::train
