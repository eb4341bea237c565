// The training loop: data order and dropout are pure functions of (seed, step), so a resumed run
// replays exactly what an uninterrupted one would; the optimiser state and trainable tensors come
// from the checkpoint. Metrics lines past the checkpoint are dropped on resume.
#include "lightreasoner/train/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/hash.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/train/checkpoint.h"

namespace lightreasoner::train {

namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string data_fingerprint(const std::vector<TrainRow>& units, Order order, bool rows_are_examples) {
  Fnv64 h;
  h.add(std::string(order_name(order)) + (rows_are_examples ? "/rows" : "/steps"));
  for (const auto& u : units) {
    h.add(u.id);
    h.add(static_cast<int64_t>(u.prompt_ids.size()));
    for (const auto& s : u.steps) h.add(s.t);
  }
  return h.hex();
}

// Keeps the lines of metrics.jsonl with step <= last_step (what a resumed run continues from).
void truncate_metrics(const fs::path& path, int64_t last_step) {
  if (!fs::exists(path)) return;
  io::drop_torn_last_line(path);
  std::vector<std::string> kept;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = io::Json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("step") && j["step"].is_number_integer() && j["step"].get<int64_t>() <= last_step)
        kept.push_back(line);
    }
  }
  io::JsonlWriter writer(path, /*append=*/false);
  for (const auto& line : kept) writer.write_line(line);
  writer.flush();
}

const char* loss_name(LossKind kind) { return kind == LossKind::kSoftTargetKL ? "soft_target_kl" : "token_ce"; }

// Data parallelism's one all-reduce per optimizer step: every gradient and the step's loss,
// supervised-step and token counts travel in one flat fp32 buffer, summed over ranks, and the
// gradients are written back. Each rank's loss was already scaled by its share of the global
// batch's steps, so the sum is the gradient of the global batch's mean loss.
struct StepTotals {
  double loss_sum = 0.0;  // Σ over micro-batches and ranks: the update's mean loss
  double steps = 0.0;
  double tokens = 0.0;
  double stop = 0.0;  // ranks that were asked to stop (SIGINT/SIGTERM): all stop at the same step
};

StepTotals reduce_gradients(const dist::Group& group, const std::vector<torch::Tensor>& params, StepTotals local,
                            int64_t step) {
  if (!group.communicates()) return local;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> pieces;
  pieces.reserve(params.size() + 1);
  for (const auto& p : params)
    pieces.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  pieces.push_back(
      torch::tensor({local.loss_sum, local.steps, local.tokens, local.stop}, torch::kFloat32).to(params[0].device()));
  auto flat = torch::cat(pieces).to(group.device());  // [Σ numel + 4] fp32
  group.all_reduce_sum(flat, "gradient all-reduce of step " + std::to_string(step + 1));
  flat = flat.to(params[0].device());
  int64_t offset = 0;
  for (const auto& p : params) {
    auto reduced = flat.slice(0, offset, offset + p.numel()).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(reduced);
    } else {
      p.mutable_grad() = reduced.clone();
    }
    offset += p.numel();
  }
  auto totals = flat.slice(0, offset).to(torch::kFloat64).cpu();
  return {totals[0].item<double>(), totals[1].item<double>(), totals[2].item<double>(), totals[3].item<double>()};
}

// All ranks must hold the same trainable tensors (and the same step): a cheap hash check.
void check_ranks_agree(const dist::Group& group, const io::NamedTensors& trainable, int64_t step, const std::string& when) {
  if (!group.communicates()) return;
  std::vector<torch::Tensor> tensors{torch::tensor({step}, torch::kInt64)};
  for (const auto& item : trainable) tensors.push_back(item.second);
  group.check_identical(tensors, "trainable tensors " + when);
}

}  // namespace

int64_t total_updates(const TrainerOptions& o, int64_t examples) {
  int64_t total = o.train.max_steps;
  if (total == 0) {
    LR_CHECK(o.train.epochs > 0, o.label << ": set train.max_steps or train.epochs (both are 0)");
    total = static_cast<int64_t>(
        std::ceil(o.train.epochs * static_cast<double>(examples) / static_cast<double>(o.train.batch_size)));
  }
  LR_CHECK(total > 0, o.label << ": zero optimizer steps to run");
  return total;
}

double lr_factor(const std::string& schedule, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (schedule == "constant") return 1.0;
  double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
  if (schedule == "cosine") return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * progress)));
  LR_CHECK(schedule == "linear", "optim.schedule must be linear, cosine or constant, got '" << schedule << "'");
  return std::max(0.0, 1.0 - progress);
}

namespace {

// The checkpoint's description of the run; a resume must find the same one.
TrainerState describe_run(const TrainerOptions& o, const std::vector<TrainRow>& rows, int64_t examples, int64_t total) {
  TrainerState state;
  state.total_steps = total;
  state.units = examples;
  state.units_per_step = o.train.batch_size;
  state.packing = packing_name(o.packing());
  state.loss = loss_name(o.loss);
  state.seed = o.seed;
  state.data_fingerprint = data_fingerprint(rows, o.order(), o.rows_are_examples);
  return state;
}

// Resume: the latest checkpoint's tensors, optimizer state and step, after checking that it
// describes this run. A fresh start refuses a checkpoint left by an earlier run. Returns the
// checkpoint resumed from (empty on a fresh start).
fs::path resume_or_start(const TrainerOptions& o, const io::NamedTensors& trainable, torch::optim::Optimizer& optimizer,
                         TrainerState& state, TrainSummary& summary) {
  if (!o.resume) {
    if (auto stale = latest_checkpoint(o.run_dir)) {
      LR_FAIL(o.label << ": " << stale->string() << " exists from an earlier run; pass --resume to continue it, or "
                      << "choose another output_dir");
    }
    return {};
  }
  auto latest = latest_checkpoint(o.run_dir);
  if (!latest) {
    spdlog::warn("{}: --resume given but {} has no checkpoint; starting from step 0", o.label,
                 (o.run_dir / "checkpoints").string());
    return {};
  }
  TrainerState saved = load_checkpoint(*latest, trainable, optimizer);
  // What the data and the schedule were (the settings themselves are the recipe's check): compared
  // field by field like every recorded setting (config/compare.h). The packing is speed only.
  const io::Json recorded = state_to_json(saved), current = state_to_json(state);
  io::Json recorded_run = io::Json::object(), this_run = io::Json::object();
  for (const char* key : {"total_steps", "units", "units_per_step", "loss", "seed", "data_fingerprint"}) {
    recorded_run[key] = recorded.at(key);
    this_run[key] = current.at(key);
  }
  const std::string list =
      config::describe_differences(config::setting_differences(recorded_run, this_run), "the checkpoint has");
  LR_CHECK(list.empty(), (*latest / "trainer_state.json").string() << ": cannot resume, the run changed:" << list);
  state.step = saved.step;
  summary.resumed_from = saved.step;
  spdlog::info("{}: resuming from {} (step {}/{})", o.label, latest->string(), saved.step, state.total_steps);
  return *latest;
}

std::string last_good(const fs::path& checkpoint) {
  return checkpoint.empty() ? std::string("No checkpoint was written yet.")
                            : "The last good checkpoint is " + checkpoint.string();
}

// One optimizer update's forward/backward passes over this rank's micro-batches, the gradient
// all-reduce (which also carries the totals and any rank's stop request) and the clipped norm.
struct UpdateResult {
  StepTotals totals;  // over all ranks
  double grad_norm = 0.0;
  double allreduce_seconds = 0.0;
};
UpdateResult forward_backward(model::CausalLM& model, UpdateSchedule& schedule, const std::vector<torch::Tensor>& params,
                              const TrainerOptions& o, const dist::Group& group, int64_t step,
                              const fs::path& last_checkpoint, TrainSummary& summary) {
  const int64_t world = group.world_size(), rank = group.rank();
  StepTotals local;
  const auto micros = schedule.update(step, o.train.batch_size, o.train.grad_accum, world, rank, o.packing());
  int64_t update_steps = 0;  // supervised steps of the whole update, over all ranks
  for (const auto& m : micros) update_steps += m.global_steps;
  for (int64_t micro = 0; micro < o.train.grad_accum; ++micro) {
    // Dropout draws from the global generator, reseeded per micro-batch (and rank): resumable without state.
    torch::manual_seed(o.seed * 1000003ULL + static_cast<uint64_t>(step * o.train.grad_accum + micro) +
                       static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL);
    auto batch = pack_segments(micros[static_cast<size_t>(micro)].segments, model.device());
    // The loss is a mean over this slice's steps; weighted by their share of the update's
    // steps, the slices' losses add up to the mean over the whole update (whatever its split).
    auto loss = batch_loss(model, batch, o.loss, o.vocab) *
                (static_cast<double>(batch.steps) / static_cast<double>(update_steps));
    const double value = loss.item<double>();
    LR_CHECK(std::isfinite(value), o.label << ": the loss is " << value << " at step " << step + 1 << " (micro-batch "
                                           << micro << "); stopping. " << last_good(last_checkpoint)
                                           << ". Lower optim.lr or check the data and the model weights.");
    loss.backward();
    local.loss_sum += value;
    local.steps += static_cast<double>(batch.steps);
    local.tokens += static_cast<double>(batch.tokens);
    summary.supervised_steps += batch.steps;
    summary.tokens += batch.tokens;
  }
  local.stop = stop_requested() ? 1.0 : 0.0;
  UpdateResult result;
  const auto reduce_start = std::chrono::steady_clock::now();
  result.totals = reduce_gradients(group, params, local, step);
  result.allreduce_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count();
  if (o.optim.max_grad_norm > 0) {
    result.grad_norm = torch::nn::utils::clip_grad_norm_(params, o.optim.max_grad_norm);
  } else {
    torch::NoGradGuard no_grad;
    double sq = 0.0;
    for (const auto& p : params)
      if (p.grad().defined()) sq += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
    result.grad_norm = std::sqrt(sq);
  }
  LR_CHECK(std::isfinite(result.grad_norm), o.label << ": the gradient norm is " << result.grad_norm << " at step "
                                                    << step + 1 << "; stopping. " << last_good(last_checkpoint));
  return result;
}

// Rates over the steps since the last metrics line (a window of log_every steps).
struct MetricsWindow {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int64_t steps = 0, tokens = 0;
  double allreduce = 0.0;  // seconds in the gradient all-reduce (incl. waiting for slower ranks)
};

void log_update(const TrainerOptions& o, const dist::Group& group, const TrainerState& state, double lr,
                const UpdateResult& update, int64_t examples, std::optional<io::JsonlWriter>& metrics,
                MetricsWindow& window, Progress& progress) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window.start).count();
  const double steps_per_s = seconds > 0 ? static_cast<double>(window.steps) / seconds : 0.0;
  const double tokens_per_s = seconds > 0 ? static_cast<double>(window.tokens) / seconds : 0.0;
  io::Json line{{"step", state.step},
                {"loss", state.last_loss},
                {"lr", lr},
                {"grad_norm", update.grad_norm},
                {"supervised_steps_per_s", steps_per_s},
                {"tokens_per_s", tokens_per_s},
                {"epoch", static_cast<double>(state.step * o.train.batch_size) / static_cast<double>(examples)}};
  if (group.communicates()) line["allreduce_s"] = window.allreduce;
  if (metrics) {
    metrics->write(line);
    metrics->flush();
  }
  window = MetricsWindow{};
  // "supervised/s": selected steps (contrast) or completion tokens (SFT); the progress line's own
  // rate is optimizer steps.
  progress.update(state.step, {{"loss", fmt::format("{:.4f}", state.last_loss)},
                               {"supervised/s", format_rate(steps_per_s)},
                               {"tok/s", format_rate(tokens_per_s)}});
}

}  // namespace

// Phases: plan the run (schedule, length, parameters, optimizer) → resume or start → per update:
// forward/backward + all-reduce, optimizer step, metrics line, checkpoint (and a requested stop).
TrainSummary run_trainer(model::CausalLM& model, const io::NamedTensors& trainable, const std::vector<TrainRow>& rows,
                         const TrainerOptions& o, const dist::Group& group) {
  LR_CHECK(!trainable.empty(), o.label << ": nothing to train (no trainable tensors)");
  UpdateSchedule schedule(rows, o.order(), o.rows_are_examples, o.seed);
  const int64_t examples = schedule.examples();
  LR_CHECK(examples > 0, o.label << ": the training data has no supervised steps (empty dataset, or every step was "
                                    "dropped by max_seq_len)");
  LR_CHECK(o.vocab > 0, o.label << ": vocabulary size not set");
  // train.batch_size is the examples of one optimizer update over all ranks and micro-batches:
  // grad_accum, the rank count and the packing change the memory and the speed, not the update.
  const int64_t total = total_updates(o, examples);
  std::vector<torch::Tensor> params;
  for (const auto& [name, t] : trainable) {
    LR_CHECK(t.requires_grad() && t.scalar_type() == torch::kFloat32,
             o.label << ": trainable tensor " << name << " must be fp32 and require grad");
    params.push_back(t);
  }
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.optim.lr)
                                            .betas({o.optim.betas[0], o.optim.betas[1]})
                                            .eps(o.optim.eps)
                                            .weight_decay(o.optim.weight_decay));
  TrainerState state = describe_run(o, rows, examples, total);

  TrainSummary summary;
  if (group.is_main()) fs::create_directories(o.run_dir);
  fs::path last_checkpoint = resume_or_start(o, trainable, optimizer, state, summary);
  // Every rank loaded the same checkpoint (or made the same seeded LoRA): check before step 1.
  check_ranks_agree(group, trainable, state.step, "at the start");
  // Rank 0 alone writes metrics and checkpoints.
  std::optional<io::JsonlWriter> metrics;
  if (group.is_main()) {
    const fs::path metrics_path = o.run_dir / "metrics.jsonl";
    truncate_metrics(metrics_path, state.step);
    metrics.emplace(metrics_path, /*append=*/true);
  }

  model.train();  // LoRA adapters are submodules: their dropout follows
  Progress progress(o.label, total, "steps", state.step);
  const auto start = std::chrono::steady_clock::now();
  MetricsWindow window;
  for (int64_t step = state.step; step < total; ++step) {
    const double lr = o.optim.lr * lr_factor(o.optim.schedule, step, o.optim.warmup_steps, total);
    for (auto& param_group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(param_group.options()).lr(lr);
    optimizer.zero_grad();
    const UpdateResult update = forward_backward(model, schedule, params, o, group, step, last_checkpoint, summary);
    optimizer.step();
    window.steps += static_cast<int64_t>(update.totals.steps);
    window.tokens += static_cast<int64_t>(update.totals.tokens);
    window.allreduce += update.allreduce_seconds;
    summary.allreduce_seconds += update.allreduce_seconds;
    if (step == summary.resumed_from) summary.first_loss = update.totals.loss_sum;
    summary.final_loss = update.totals.loss_sum;
    state.step = step + 1;
    state.last_loss = update.totals.loss_sum;

    const bool last = state.step == total;
    if (state.step % o.train.log_every == 0 || last) log_update(o, group, state, lr, update, examples, metrics, window, progress);
    // A stop request (any rank's, see StepTotals) ends the run here with a checkpoint to resume from.
    const bool stopping = update.totals.stop > 0 && !last;
    if ((o.train.checkpoint_every > 0 && state.step % o.train.checkpoint_every == 0) || last || stopping) {
      check_ranks_agree(group, trainable, state.step, "at step " + std::to_string(state.step));
      last_checkpoint = group.is_main() ? save_checkpoint(o.run_dir, state, trainable, optimizer, o.train.keep_checkpoints)
                                        : checkpoint_dir(o.run_dir, state.step);
    }
    if (stopping) {
      model.eval();
      throw StopRequested{o.label + ": checkpoint at step " + std::to_string(state.step) + " of " +
                          std::to_string(total) + " in " + last_checkpoint.string() + "; rerun with --resume to continue"};
    }
  }
  model.eval();
  summary.steps = state.step;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish({{"loss", fmt::format("{:.4f}", summary.final_loss)}});
  return summary;
}

}  // namespace lightreasoner::train
