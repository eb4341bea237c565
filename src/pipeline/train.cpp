// The `train` recipe: dataset (sampled if absent or --resample) → settings check (or a pure
// selection filter) → rows → LoRA → trainer → adapter + settings record.
#include "lightreasoner/pipeline/train.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/dist/output_dir.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/model/identity.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/pipeline/sample.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/pipeline/checkpoints.h"
#include "lightreasoner/pipeline/options.h"
#include "lightreasoner/pipeline/training.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;
using namespace train;

int64_t shared_vocab(const config::RunConfig& config, const model::ModelConfig& expert) {
  int64_t vocab = expert.vocab_size;
  if (!config.amateur.path.empty() && fs::exists(fs::path(config.amateur.path) / "config.json"))
    vocab = std::min(vocab, model::load_model_config(config.amateur.path).vocab_size);
  return vocab;
}

const std::vector<std::string>& trained_setting_keys(LossKind loss) {
  static const std::vector<std::string> train = {"expert.path", "seed", "data", "prompt", "sample", "selection",
                                                 "target", "lora", "train", "optim"};
  static const std::vector<std::string> sft = {"expert.path", "seed", "data", "prompt", "sft", "lora", "train", "optim"};
  return loss == LossKind::kSoftTargetKL ? train : sft;
}

void check_or_record_run_settings(const config::RunConfig& config, LossKind loss, bool resume) {
  static const std::set<std::string> may_change = {"train.packing",          "train.pack_tokens",
                                                   "train.grad_accum",       "train.checkpoint_every",
                                                   "train.keep_checkpoints", "train.log_every",
                                                   "train.activation_checkpointing"};
  constexpr const char* kKind = "lightreasoner-checkpoints";
  const fs::path out_dir = config.output_dir;
  const fs::path file = out_dir / "checkpoints" / "settings.json";
  if (!latest_checkpoint(out_dir)) {  // a fresh run (or a resume with nothing to resume)
    if (dist::world().is_main()) config::write_settings_record(file, kKind, config, trained_setting_keys(loss));
    return;
  }
  if (!resume) return;  // the trainer refuses a fresh run over a checkpoint; the record stays the run's
  const auto recorded = config::read_settings_record(file, kKind);
  if (!recorded) return;  // checkpoints from before this record existed
  auto differences = config::setting_differences(*recorded, config::config_subset(config, trained_setting_keys(loss)));
  differences.erase(std::remove_if(differences.begin(), differences.end(),
                                   [](const config::SettingDifference& d) { return may_change.count(d.key) > 0; }),
                    differences.end());
  const std::string list = config::describe_differences(differences, "the checkpoints were made with");
  LR_CHECK(list.empty(), "cannot resume in '" << out_dir.string() << "': this run changes settings that shape the updates "
                                              << "(recorded in " << file.string() << "):" << list
                                              << "\nSet them back to resume, or start over in another output_dir.");
}

TrainRunReport train_lora(model::CausalLM& model, PreparedRows data, const config::RunConfig& config, LossKind loss,
                          int64_t vocab, bool resume, StageTimer& stages) {
  const model::LoraSpec spec(config.lora);
  auto modules = model::attach_lora(model, spec, static_cast<uint64_t>(config.seed));
  TrainingOptions options{trainer_options(config, loss, vocab), config.output_dir, resume};
  options.trainer.label = loss == LossKind::kSoftTargetKL ? "train" : "sft";
  TrainRunReport report;
  stages.start("train");
  report.summary = run_training(model, model::lora_parameters(modules), data.rows, options, dist::world());
  stages.start("save adapter");
  report.output = fs::path(config.output_dir) / "adapter";
  if (dist::world().is_main()) {
    model::save_peft_adapter(report.output, modules, spec, config.expert.path);
    config::write_settings_record(report.output / kTrainedSettingsFile, kTrainedSettingsKind, config,
                                  trained_setting_keys(loss));
  }
  data.rows.clear();
  report.data = std::move(data);
  return report;
}

TrainRunReport run_train(const config::RunConfig& config, bool resume, bool resample) {
  LR_CHECK(!config.expert.path.empty(), "train needs expert.path (the model to fine-tune)");
  LR_CHECK(!config.expert.adapter, "train starts a fresh LoRA on expert.path, but expert.adapter is set ('"
                                       << *config.expert.adapter
                                       << "'); merge it first (lightreasoner merge) and train the merged model");
  check_model_dir(config.expert.path, "expert.path");
  const fs::path out_dir = config.output_dir;
  const OutputDirLock lock = dist::lock_output_dir(out_dir, "train");
  const fs::path dataset = out_dir / "contrast.jsonl";
  if (resample && dist::world().is_main()) discard_dataset(dataset);
  // Every rank must see the same answer to "is there a dataset?" (sampling writes it).
  dist::world().barrier("train: start");
  model::LoadOptions load;
  load.dtype = parse_dtype(config.expert.dtype);
  load.device = parse_device(config.device);
  watch_device_memory(load.device);
  std::shared_ptr<model::CausalLM> model;  // loaded once: sampled with (when the dataset is absent), then trained
  StageTimer stages("train");
  if (!fs::exists(dataset)) {
    spdlog::info("train: {} is absent; running sample first", dataset.string());
    stages.start("load expert");
    model = model::load_model(config.expert.path, load);
    stages.start("sample");
    run_sample(config, /*resample=*/false, model);
  }
  stages.start("read dataset");
  // The targets are the expert's soft labels under the dataset's settings: refuse a dataset made
  // with other settings, unless the change only removes steps the dataset holds.
  const fs::path meta_file = contrast::meta_path_for(dataset);
  LR_CHECK(fs::exists(meta_file), "'" << dataset.string() << "' has no " << meta_file.filename().string()
                                      << " beside it; train cannot check which expert made it");
  const contrast::ContrastMeta made = contrast::read_meta(meta_file);
  contrast::ContrastMeta run = contrast_meta(config);
  run.expert = model::identify_model(config.expert.path);
  if (!config.amateur.path.empty() && fs::is_directory(config.amateur.path))
    run.amateur = model::identify_model(config.amateur.path);
  run.tokenizer_fingerprint = tokenizer::load_tokenizer(config.expert.path)->fingerprint();
  const auto filter = contrast::selection_filter(made, run);
  if (!filter) contrast::check_meta_compatible(made, run, contrast::MetaUse::kTrain, meta_file);

  auto records = contrast::read_contrast(dataset);
  LR_CHECK(!records.empty(), "'" << dataset.string() << "' has no rollouts: nothing to train on");
  if (filter) {
    const int64_t kept = contrast::apply_step_filter(records, *filter);
    spdlog::info("train: {} differs from the dataset's selection; applied as a filter on its stored per-step KL "
                 "(kept {} steps; the stored KL is rounded, so a step at β itself may fall either way)",
                 filter->description, kept);
  }
  const auto expert_config = model::load_model_config(config.expert.path);
  RowLimits limits;
  limits.max_seq_len = config.train.max_seq_len;
  limits.vocab = shared_vocab(config, expert_config);
  PreparedRows data = rows_from_contrast(records, limits);
  records.clear();
  LR_CHECK(data.steps > 0, "'" << dataset.string() << "' has " << data.rows_without_steps
                               << " rollout(s) but no selected step" << (data.steps_truncated > 0 ? " within train.max_seq_len" : "")
                               << ": nothing to train on (lower selection.beta, or disable selection)");
  if (data.steps_truncated > 0)
    spdlog::warn("train: {} selected step(s) beyond train.max_seq_len={} dropped", data.steps_truncated,
                 config.train.max_seq_len);
  spdlog::info("train: {} rollouts, {} selected steps, packing {}{}", data.rows.size(), data.steps, config.train.packing,
               config.train.pack_tokens > 0 ? fmt::format(" in rows of up to {} tokens", config.train.pack_tokens) : "");

  fs::create_directories(out_dir);
  check_or_record_run_settings(config, LossKind::kSoftTargetKL, resume);
  if (dist::world().is_main()) config::write_resolved_config(config, out_dir);
  if (!model) {
    stages.start("load expert");
    model = model::load_model(config.expert.path, load);
  }
  auto report = train_lora(*model, std::move(data), config, LossKind::kSoftTargetKL, limits.vocab, resume, stages);
  stages.log();
  spdlog::info("train: adapter written to {} ({} steps, loss {:.4f} -> {:.4f}, {:.1f}s)", report.output.string(),
               report.summary.steps, report.summary.first_loss, report.summary.final_loss, report.summary.seconds);
  return report;
}

}  // namespace lightreasoner::pipeline
