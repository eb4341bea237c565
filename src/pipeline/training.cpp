// The recipe-side training loop (training.h): resume or start, then per update — the Trainer's
// step, a metrics line, a checkpoint (and a requested stop).
#include "lightreasoner/pipeline/training.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/pipeline/checkpoints.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;

namespace {

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

// Resume: the latest checkpoint's tensors, optimizer state and step, after checking that it
// describes this run. A fresh start refuses a checkpoint left by an earlier run. Returns the
// checkpoint resumed from (empty on a fresh start).
fs::path resume_or_start(const TrainingOptions& o, train::Trainer& trainer, train::TrainerState& state,
                         TrainSummary& summary) {
  const std::string& label = o.trainer.label;
  if (!o.resume) {
    if (auto stale = latest_checkpoint(o.run_dir)) {
      LR_FAIL(label << ": " << stale->string() << " exists from an earlier run; pass --resume to continue it, or "
                    << "choose another output_dir");
    }
    return {};
  }
  auto latest = latest_checkpoint(o.run_dir);
  if (!latest) {
    spdlog::warn("{}: --resume given but {} has no checkpoint; starting from step 0", label,
                 (o.run_dir / "checkpoints").string());
    return {};
  }
  const train::TrainerState saved = train::load_checkpoint(*latest, trainer.trainable(), trainer.optimizer());
  // What the data and the schedule were (the settings themselves are the recipe's check): compared
  // field by field like every recorded setting (config/compare.h). The packing is speed only.
  const io::Json recorded = train::state_to_json(saved), current = train::state_to_json(state);
  io::Json recorded_run = io::Json::object(), this_run = io::Json::object();
  for (const char* key : {"total_steps", "units", "units_per_step", "loss", "seed", "data_fingerprint"}) {
    recorded_run[key] = recorded.at(key);
    this_run[key] = current.at(key);
  }
  const std::string list =
      config::describe_differences(config::setting_differences(recorded_run, this_run), "the checkpoint has");
  LR_CHECK(list.empty(), (*latest / train::kTrainerStateFile).string() << ": cannot resume, the run changed:" << list);
  state.step = saved.step;
  summary.resumed_from = saved.step;
  spdlog::info("{}: resuming from {} (step {}/{})", label, latest->string(), saved.step, state.total_steps);
  return *latest;
}

std::string last_good(const fs::path& checkpoint) {
  return checkpoint.empty() ? std::string("No checkpoint was written yet.")
                            : "The last good checkpoint is " + checkpoint.string() + ".";
}

// Rates over the steps since the last metrics line (a window of log_every steps).
struct MetricsWindow {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int64_t steps = 0, tokens = 0;
  double allreduce = 0.0;  // seconds in the gradient all-reduce (incl. waiting for slower ranks)
};

void log_update(const TrainingOptions& o, const dist::Group& group, const train::TrainerState& state, double lr,
                double grad_norm, int64_t examples, std::optional<io::JsonlWriter>& metrics, MetricsWindow& window,
                Progress& progress) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window.start).count();
  const double steps_per_s = seconds > 0 ? static_cast<double>(window.steps) / seconds : 0.0;
  const double tokens_per_s = seconds > 0 ? static_cast<double>(window.tokens) / seconds : 0.0;
  io::Json line{{"step", state.step},
                {"loss", state.last_loss},
                {"lr", lr},
                {"grad_norm", grad_norm},
                {"supervised_steps_per_s", steps_per_s},
                {"tokens_per_s", tokens_per_s},
                {"epoch", static_cast<double>(state.step * o.trainer.train.batch_size) / static_cast<double>(examples)}};
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

// The model's state while the loop runs: train() (dropout on, LoRA's included) and the run's
// activation checkpointing; eval() and no checkpointing after, however the loop ends.
class TrainingMode {
 public:
  TrainingMode(model::CausalLM& model, bool activation_checkpointing) : model_(model) {
    model_.train();
    model_.set_activation_checkpointing(activation_checkpointing);
  }
  ~TrainingMode() {
    model_.set_activation_checkpointing(false);
    model_.eval();
  }
  TrainingMode(const TrainingMode&) = delete;
  TrainingMode& operator=(const TrainingMode&) = delete;

 private:
  model::CausalLM& model_;
};

}  // namespace

// Phases: plan the run (the Trainer) → resume or start → per update: the Trainer's update, a
// metrics line, a checkpoint (and a requested stop).
TrainSummary run_training(model::CausalLM& model, const io::NamedTensors& trainable,
                          const std::vector<train::TrainRow>& rows, const TrainingOptions& o, const dist::Group& group) {
  const std::string& label = o.trainer.label;
  const config::TrainConfig& every = o.trainer.train;
  train::Trainer trainer(model, trainable, rows, o.trainer, group);
  const int64_t total = trainer.total_updates();
  train::TrainerState state = trainer.describe();

  TrainSummary summary;
  if (group.is_main()) fs::create_directories(o.run_dir);
  fs::path last_checkpoint = resume_or_start(o, trainer, state, summary);
  // Every rank loaded the same checkpoint (or made the same seeded LoRA): check before step 1.
  trainer.check_ranks_agree(state.step, "at the start");
  // Rank 0 alone writes metrics and checkpoints.
  std::optional<io::JsonlWriter> metrics;
  if (group.is_main()) {
    const fs::path metrics_path = o.run_dir / "metrics.jsonl";
    truncate_metrics(metrics_path, state.step);
    metrics.emplace(metrics_path, /*append=*/true);
  }

  const TrainingMode mode(model, every.activation_checkpointing);
  Progress progress(label, total, "steps", state.step);
  const auto start = std::chrono::steady_clock::now();
  MetricsWindow window;
  // Updates whose loss and gradient norm are still on the device: read (and checked) together when
  // a metrics line or a checkpoint needs them, so the host never waits for the device in between.
  std::vector<train::UpdateResult> unread;
  for (int64_t step = state.step; step < total; ++step) {
    unread.push_back(trainer.update(step, stop_requested()));
    const train::UpdateResult& update = unread.back();
    window.steps += update.supervised_steps;
    window.tokens += update.tokens;
    window.allreduce += update.allreduce_seconds;
    summary.supervised_steps += update.local_supervised_steps;
    summary.tokens += update.local_tokens;
    summary.allreduce_seconds += update.allreduce_seconds;
    state.step = step + 1;

    const bool last = state.step == total;
    const bool log = state.step % every.log_every == 0 || last;
    // A stop request (any rank's, see train::UpdateResult) ends the run here with a checkpoint to resume from.
    const bool stopping = update.stop && !last;
    const bool checkpoint = (every.checkpoint_every > 0 && state.step % every.checkpoint_every == 0) || last || stopping;
    if (!log && !checkpoint) continue;
    const double lr = update.lr;
    std::vector<train::UpdateValues> values;
    try {
      values = trainer.read(unread);  // before any checkpoint: only finite updates are saved
    } catch (const train::NonFiniteUpdate& e) {
      LR_FAIL(e.problem() << "; stopping. " << last_good(last_checkpoint)
                          << (e.advice().empty() ? "" : " " + e.advice()));
    }
    unread.clear();
    for (const auto& v : values)
      if (v.step == summary.resumed_from) summary.first_loss = v.loss;
    summary.final_loss = state.last_loss = values.back().loss;
    if (log) log_update(o, group, state, lr, values.back().grad_norm, trainer.examples(), metrics, window, progress);
    if (checkpoint) {
      trainer.check_ranks_agree(state.step, "at step " + std::to_string(state.step));
      last_checkpoint = group.is_main()
                            ? save_checkpoint(o.run_dir, state, trainable, trainer.optimizer(), every.keep_checkpoints)
                            : checkpoint_dir(o.run_dir, state.step);
    }
    if (stopping) {
      throw StopRequested{label + ": checkpoint at step " + std::to_string(state.step) + " of " +
                          std::to_string(total) + " in " + last_checkpoint.string() + "; rerun with --resume to continue"};
    }
  }
  summary.steps = state.step;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish({{"loss", fmt::format("{:.4f}", summary.final_loss)}});
  return summary;
}

}  // namespace lightreasoner::pipeline
