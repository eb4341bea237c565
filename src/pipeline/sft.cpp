// The `sft` recipe: reference-solution or rejection-sampled examples → token rows → LoRA or full
// fine-tuning through the shared trainer → adapter or model directory (+ settings record).
#include "lightreasoner/pipeline/sft.h"

#include <spdlog/spdlog.h>

#include "lightreasoner/config/compare.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/dist/output_dir.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/pipeline/rejection.h"
#include "lightreasoner/train/sft.h"
#include "lightreasoner/pipeline/options.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;
using namespace train;

TrainRunReport run_sft(const config::RunConfig& config, bool resume) {
  LR_CHECK(!config.expert.path.empty(), "sft needs expert.path (the model to fine-tune)");
  LR_CHECK(!config.expert.adapter, "sft trains expert.path itself, but expert.adapter is set; merge it first");
  check_model_dir(config.expert.path, "expert.path");
  // An unknown name, or a system prompt the format would drop, fails before any work.
  prompt::check_system(prompt::format_named(config.prompt.template_name, "prompt.template"), config.prompt.system,
                       "prompt.system");
  const OutputDirLock lock = dist::lock_output_dir(config.output_dir, "sft");
  auto tok = tokenizer::load_tokenizer(config.expert.path);
  const auto expert_config = model::load_model_config(config.expert.path);
  model::LoadOptions load;
  load.dtype = parse_dtype(config.expert.dtype);
  load.device = parse_device(config.device);
  watch_device_memory(load.device);
  StageTimer stages("sft");
  stages.start("load expert");
  auto model = model::load_model(config.expert.path, load);
  stages.start(config.sft.source == "rejection" ? "rejection sampling" : "read examples");
  std::vector<SftExample> examples;
  if (config.sft.source == "rejection") {
    examples = rejection_sample(*model, *tok, config).examples;
    LR_CHECK(!examples.empty(), "sft: rejection sampling kept no rollout of '"
                                    << config.data.path << "' (none was graded correct and finished; see "
                                    << (fs::path(config.output_dir) / "rejection/summary.json").string() << ")");
  } else {
    examples = load_sft_examples(config.data, config.seed);
    LR_CHECK(!examples.empty(), "'" << config.data.path << "' has no usable (question, solution) record");
  }

  stages.start("prepare rows");
  prompt::TemplateOptions template_options;
  template_options.system = config.prompt.system;
  tokenizer::EncodeOptions plain;
  plain.add_special_tokens = false;
  plain.parse_special = false;  // solution text is data, not markup
  std::vector<TrainRow> rows;
  for (const auto& ex : examples) {
    auto prompt = prompt::encode_prompt(*tok, config.prompt.template_name, ex.question, template_options);
    auto completion = tok->encode(ex.completion, plain);
    if (config.sft.append_eos) {
      LR_CHECK(tok->eos_id(), "sft.append_eos is set but the tokenizer of '" << config.expert.path
                                                                              << "' has no eos token");
      completion.push_back(*tok->eos_id());
    }
    rows.push_back(sft_row(ex.id, {prompt.begin(), prompt.end()}, {completion.begin(), completion.end()}));
  }
  RowLimits limits;
  limits.max_seq_len = config.train.max_seq_len;
  limits.vocab = expert_config.vocab_size;
  PreparedRows data = limit_rows(std::move(rows), limits);
  LR_CHECK(data.steps > 0, "sft: no completion token fits train.max_seq_len=" << config.train.max_seq_len);
  if (data.steps_truncated > 0)
    spdlog::warn("sft: {} completion token(s) beyond train.max_seq_len={} not supervised", data.steps_truncated,
                 config.train.max_seq_len);
  spdlog::info("sft: {} examples, {} supervised tokens, {}", data.rows.size(), data.steps,
               config.sft.full_finetune ? "full fine-tuning" : "LoRA");

  const fs::path out_dir = config.output_dir;
  fs::create_directories(out_dir);
  check_or_record_run_settings(config, LossKind::kTokenCrossEntropy, resume);
  if (dist::world().is_main()) config::write_resolved_config(config, out_dir);
  if (!config.sft.full_finetune) {
    auto report = train_lora(*model, std::move(data), config, LossKind::kTokenCrossEntropy, limits.vocab, resume, stages);
    stages.log();
    return report;
  }

  // Full fine-tuning: every weight, fp32 (AdamW on bf16 weights would lose most updates).
  LR_CHECK(model->dtype() == torch::kFloat32, "sft.full_finetune needs expert.dtype \"f32\" (got \""
                                                  << config.expert.dtype << "\"): the weights are the optimizer's "
                                                                            "master copy");
  io::NamedTensors trainable;
  for (const auto& item : model->named_parameters()) {
    item.value().set_requires_grad(true);
    trainable.emplace_back(item.key(), item.value());
  }
  TrainingOptions options{trainer_options(config, LossKind::kTokenCrossEntropy, limits.vocab), out_dir, resume};
  options.trainer.label = "sft";
  TrainRunReport report;
  stages.start("train");
  report.summary = run_training(*model, trainable, data.rows, options, dist::world());
  stages.start("save model");
  report.output = out_dir / "model";
  model::ModelDirOptions dir_options;
  dir_options.dtype = model::config_dtype(expert_config);
  dir_options.tokenizer_dir = fs::path(config.expert.path);
  if (dist::world().is_main()) {
    model::write_model_dir(*model, model::load_generation_defaults(config.expert.path, expert_config), report.output,
                           dir_options);
    config::write_settings_record(report.output / kTrainedSettingsFile, kTrainedSettingsKind, config,
                                  trained_setting_keys(LossKind::kTokenCrossEntropy));
  }
  data.rows.clear();
  report.data = std::move(data);
  stages.log();
  spdlog::info("sft: model written to {}", report.output.string());
  return report;
}

}  // namespace lightreasoner::pipeline
