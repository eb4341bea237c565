// Rows from contrast records / SFT examples, the (seed, update)-derived schedule of which examples
// each optimizer update holds, and their packing into right-padded micro-batches with the
// supervised positions gathered at |prompt| + t − 1 (never a padding position).
#include "lightreasoner/train/batch.h"

#include <algorithm>
#include <random>
#include <unordered_map>

#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::train {

Packing parse_packing(const std::string& name) {
  if (name == "trajectory") return Packing::kTrajectory;
  LR_CHECK(name == "step", "train.packing must be \"trajectory\" or \"step\", got \"" << name << "\"");
  return Packing::kStep;
}

Order parse_order(const std::string& name) {
  if (name == "steps") return Order::kSteps;
  LR_CHECK(name == "rollouts", "train.order must be \"steps\" or \"rollouts\", got \"" << name << "\"");
  return Order::kRollouts;
}

const char* packing_name(Packing packing) { return packing == Packing::kTrajectory ? "trajectory" : "step"; }

const char* order_name(Order order) { return order == Order::kSteps ? "steps" : "rollouts"; }

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

SupervisedBatch pack_rows(const std::vector<const TrainRow*>& rows, Packing packing, torch::Device device,
                          int64_t pack_tokens) {
  std::vector<Segment> segments;
  for (const TrainRow* row : rows) {
    if (packing == Packing::kTrajectory) {
      Segment s{row, {}};
      for (size_t i = 0; i < row->steps.size(); ++i) s.steps.push_back(i);
      segments.push_back(std::move(s));
    } else {
      for (size_t i = 0; i < row->steps.size(); ++i) segments.push_back({row, {i}});
    }
  }
  return pack_segments(segments, device, pack_tokens);
}

SupervisedBatch pack_segments(const std::vector<Segment>& segments, torch::Device device, int64_t pack_tokens) {
  LR_CHECK(!segments.empty(), "pack_segments: no sequences");
  LR_CHECK(pack_tokens >= 0, "pack_segments: pack_tokens must be >= 0 (got " << pack_tokens << ")");
  size_t K = 1;
  int64_t longest = 0, steps = 0, tokens = 0;
  std::vector<int64_t> lengths;
  for (const auto& s : segments) {
    LR_CHECK(s.row != nullptr && !s.steps.empty(), "pack_segments: a sequence without steps");
    int64_t last_t = 0;
    for (size_t i : s.steps) {
      const auto& step = s.row->steps.at(i);
      K = std::max(K, step.ids.size());
      last_t = std::max(last_t, step.t);
    }
    const int64_t length = static_cast<int64_t>(s.row->prompt_ids.size()) + last_t;
    lengths.push_back(length);
    longest = std::max(longest, length);
    steps += static_cast<int64_t>(s.steps.size());
    tokens += length;
  }
  // Where each sequence goes: (row, offset). Unpacked: a row each. Packed: first fit in order.
  const bool packed = pack_tokens > 0;
  const int64_t capacity = std::max(pack_tokens, longest);
  std::vector<int64_t> row_of(segments.size()), offset_of(segments.size()), fill;
  for (size_t i = 0; i < segments.size(); ++i) {
    size_t r = fill.size();
    if (packed) {
      for (size_t j = 0; j < fill.size(); ++j)
        if (fill[j] + lengths[i] <= capacity) {
          r = j;
          break;
        }
    }
    if (r == fill.size()) fill.push_back(0);
    row_of[i] = static_cast<int64_t>(r);
    offset_of[i] = fill[r];
    fill[r] += lengths[i];
  }
  const auto B = static_cast<int64_t>(fill.size());
  const int64_t width = *std::max_element(fill.begin(), fill.end());
  const auto host = host_staging(device);
  auto ids = torch::zeros({B, width}, host.dtype(torch::kInt64));                                // [B, L]
  auto positions = torch::empty({steps}, host.dtype(torch::kInt64));                             // [N]
  auto target_ids = torch::zeros({steps, static_cast<int64_t>(K)}, host.dtype(torch::kInt64));   // [N, K]
  auto target_p = torch::zeros({steps, static_cast<int64_t>(K)}, host.dtype(torch::kFloat32));   // [N, K]
  auto ids_a = ids.accessor<int64_t, 2>();
  auto pos_a = positions.accessor<int64_t, 1>();
  auto tid_a = target_ids.accessor<int64_t, 2>();
  auto tp_a = target_p.accessor<float, 2>();
  std::vector<std::vector<int64_t>> row_lengths(static_cast<size_t>(B));  // packed: each row's sequences, in order
  int64_t n = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    const auto& prompt = s.row->prompt_ids;
    const auto P = static_cast<int64_t>(prompt.size());
    const int64_t b = row_of[i], at = offset_of[i];
    for (int64_t j = 0; j < lengths[i]; ++j)
      ids_a[b][at + j] = j < P ? prompt[static_cast<size_t>(j)] : s.row->completion_ids[static_cast<size_t>(j - P)];
    row_lengths[static_cast<size_t>(b)].push_back(lengths[i]);  // offsets grow along a row: in order
    for (size_t k : s.steps) {
      const auto& step = s.row->steps[k];
      pos_a[n] = b * width + at + P + step.t - 1;  // the position that predicts completion token t
      for (size_t c = 0; c < step.ids.size(); ++c) {
        tid_a[n][static_cast<int64_t>(c)] = step.ids[c];
        tp_a[n][static_cast<int64_t>(c)] = step.p[c];
      }
      ++n;
    }
  }
  SupervisedBatch batch;
  if (packed) batch.rows = model::packed_rows(row_lengths, width, device);
  batch.input_ids = to_device(ids, device);
  batch.positions = to_device(positions, device);
  batch.target_ids = to_device(target_ids, device);
  batch.target_p = to_device(target_p, device);
  batch.steps = steps;
  batch.tokens = tokens;
  return batch;
}

namespace {
// Fisher–Yates with mt19937_64 (whose output the standard fixes; std::shuffle's is not).
std::vector<uint32_t> shuffled(size_t n, uint64_t seed, int64_t epoch) {
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch) + 1);
  for (size_t i = n; i-- > 1;) {
    const auto j = static_cast<size_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}
}  // namespace

UpdateSchedule::UpdateSchedule(const std::vector<TrainRow>& rows, Order order, bool rows_are_examples, uint64_t seed)
    : rows_(&rows), order_(order), seed_(seed) {
  for (size_t r = 0; r < rows.size(); ++r) {
    row_first_.push_back(static_cast<uint32_t>(base_.size()));
    const auto n = static_cast<uint32_t>(rows[r].steps.size());
    if (rows_are_examples) {
      if (n > 0) base_.push_back({static_cast<uint32_t>(r), 0, n});
    } else {
      for (uint32_t i = 0; i < n; ++i) base_.push_back({static_cast<uint32_t>(r), i, i + 1});
    }
    n_steps_ += n;
  }
  row_first_.push_back(static_cast<uint32_t>(base_.size()));
  n_examples_ = static_cast<int64_t>(base_.size());
}

const UpdateSchedule::Example& UpdateSchedule::at(int64_t k) {
  const int64_t epoch = k / n_examples_;
  if (epoch != epoch_) {
    if (order_ == Order::kSteps) {
      epoch_order_ = shuffled(base_.size(), seed_, epoch);
    } else {
      epoch_order_.clear();
      for (uint32_t r : shuffled(rows_->size(), seed_, epoch))
        for (uint32_t i = row_first_[r]; i < row_first_[r + 1]; ++i) epoch_order_.push_back(i);
    }
    epoch_ = epoch;
  }
  return base_[epoch_order_[static_cast<size_t>(k % n_examples_)]];
}

std::vector<UpdateSchedule::Micro> UpdateSchedule::update(int64_t update, int64_t batch, int64_t accum, int64_t world,
                                                          int64_t rank, Packing packing) {
  LR_CHECK(n_examples_ > 0, "the training data has no examples");
  LR_CHECK(batch >= accum * world, "train.batch_size is " << batch << " examples per update, fewer than "
                                                          << "train.grad_accum x ranks = " << accum << " x " << world
                                                          << ": some micro-batch would be empty");
  std::vector<Micro> micros(static_cast<size_t>(accum));
  const int64_t first = update * batch;
  for (int64_t m = 0; m < accum; ++m) {
    Micro& micro = micros[static_cast<size_t>(m)];
    const int64_t lo = first + m * batch / accum, hi = first + (m + 1) * batch / accum;
    const int64_t rank_lo = lo + rank * (hi - lo) / world, rank_hi = lo + (rank + 1) * (hi - lo) / world;
    std::unordered_map<uint32_t, size_t> segment_of_row;  // trajectory packing: one sequence per row
    for (int64_t k = lo; k < hi; ++k) {
      const Example& e = at(k);
      micro.global_steps += e.end_step - e.first_step;
      if (k < rank_lo || k >= rank_hi) continue;
      micro.steps += e.end_step - e.first_step;
      const TrainRow* row = &(*rows_)[e.row];
      for (uint32_t i = e.first_step; i < e.end_step; ++i) {
        if (packing == Packing::kStep) {
          micro.segments.push_back({row, {i}});
          continue;
        }
        auto [it, inserted] = segment_of_row.emplace(e.row, micro.segments.size());
        if (inserted) micro.segments.push_back({row, {}});
        micro.segments[it->second].steps.push_back(i);
      }
    }
    for (auto& s : micro.segments) std::sort(s.steps.begin(), s.steps.end());
  }
  return micros;
}

}  // namespace lightreasoner::train
