// The run configuration shared by every command (docs/design.md#configuration): typed sections with the paper's
// defaults, loaded from JSON with unknown keys rejected, `--set key.path=value` overrides,
// range validation, and the resolved dump written beside each run's outputs. Which keys a
// command needs (e.g. expert.path) is checked by the command, not here.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/config/schema.h"

namespace lightreasoner::config {

struct ModelRef {
  std::string path;                    // Hugging Face model directory
  std::optional<std::string> adapter;  // PEFT adapter directory applied on load
  std::string dtype = "bf16";          // f32 | bf16 | f16 (weights are converted on load)
  template <class V>
  void visit(V& v) {
    v.field("path", path);
    v.field("adapter", adapter);
    v.field("dtype", dtype, one_of({"f32", "fp32", "float32", "bf16", "bfloat16", "f16", "fp16", "float16"}));
  }
};

struct DataConfig {
  std::string path;              // problems jsonl
  int64_t max_problems = 1000;   // 0 = all
  bool shuffle = false;          // seeded by the top-level seed
  std::string on_bad_record = "stop";  // stop | skip (skip counts and reports them)
  template <class V>
  void visit(V& v) {
    v.field("path", path);
    v.field("max_problems", max_problems, at_least<int64_t>(0));
    v.field("shuffle", shuffle);
    v.field("on_bad_record", on_bad_record, one_of({"stop", "skip"}));
  }
};

struct PromptConfig {
  std::string template_name = "qwen25-math-cot";
  std::optional<std::string> system;  // null = the template's default
  template <class V>
  void visit(V& v) {
    v.field("template", template_name, not_empty());
    v.field("system", system);
  }
};

struct SampleConfig {
  int max_new_tokens = 128;
  int batch_size = 64;
  // config: the four numbers below; generation_config: the expert's generation_config.json as
  // generate() applies it (the official script; contrast/decoding.h)
  std::string decoding = "config";
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  int top_k = 0;             // 0 = off
  double min_p = 0.0;
  bool skip_first_step = false;  // the official code never selects t = 0
  int64_t memory_budget_mb = 1024;  // bound on the [positions, vocab] fp32 tensors while scoring
  template <class V>
  void visit(V& v) {
    v.field("max_new_tokens", max_new_tokens, greater_than(0));
    v.field("batch_size", batch_size, greater_than(0));
    v.field("decoding", decoding, one_of({"config", "generation_config"}));
    v.field("temperature", temperature, at_least(0.0));
    v.field("top_p", top_p, in_range(0.0, 1.0), greater_than(0.0));
    v.field("top_k", top_k, at_least(0));
    v.field("min_p", min_p, in_range(0.0, 1.0));
    v.field("skip_first_step", skip_first_step);
    v.field("memory_budget_mb", memory_budget_mb, greater_than<int64_t>(0));
  }
};

struct SelectionConfig {
  bool enabled = true;
  double beta = 0.4;  // keep step t iff KL(πE‖πA) >= beta
  template <class V>
  void visit(V& v) {
    v.field("enabled", enabled);
    v.field("beta", beta, at_least(0.0));
  }
};

struct TargetConfig {
  std::string kind = "contrast";  // contrast | expert | onehot
  double alpha = 0.2;             // mask: πE(a) >= alpha * max πE
  template <class V>
  void visit(V& v) {
    v.field("kind", kind, one_of({"contrast", "expert", "onehot"}));
    v.field("alpha", alpha, in_range(0.0, 1.0));
  }
};

struct LoraConfig {
  int r = 8;
  double alpha = 16.0;
  double dropout = 0.05;
  std::vector<std::string> targets = {"q_proj", "v_proj"};
  bool use_rslora = false;
  template <class V>
  void visit(V& v) {
    v.field("r", r, greater_than(0));
    v.field("alpha", alpha, greater_than(0.0));
    v.field("dropout", dropout, in_range(0.0, 0.99));
    v.field("targets", targets,
            each_one_of({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}));
    v.field("use_rslora", use_rslora);
  }
};

struct TrainConfig {
  std::string packing = "trajectory";  // trajectory | step: speed only (train/batch.h)
  // 0: each sequence a row of its own, right-padded to the micro-batch's longest. N > 0: sequences
  // laid end to end in rows of up to N tokens (or the longest sequence), attending only to
  // themselves: padding only at the rows' ends, the same loss up to summation order. Speed only.
  int64_t pack_tokens = 0;
  std::string order = "steps";         // steps (the official Trainer's shuffle) | rollouts
  int batch_size = 16;   // examples per optimizer update (a selected step; an SFT sequence), all ranks
  int grad_accum = 1;    // micro-batches per update: memory only
  int64_t max_steps = 1000;  // optimizer steps; 0 = use epochs
  double epochs = 0.0;       // used when max_steps is 0
  int max_seq_len = 512;
  int64_t checkpoint_every = 200;
  int keep_checkpoints = 2;
  int64_t log_every = 10;
  // Keep no layer's activations for the backward pass; recompute them there (model/recompute.h):
  // ~one layer's activations instead of all of them, for ~one more forward pass of time. Memory only.
  bool activation_checkpointing = false;
  template <class V>
  void visit(V& v) {
    v.field("packing", packing, one_of({"trajectory", "step"}));
    v.field("pack_tokens", pack_tokens, at_least<int64_t>(0));
    v.field("order", order, one_of({"steps", "rollouts"}));
    v.field("batch_size", batch_size, greater_than(0));
    v.field("grad_accum", grad_accum, greater_than(0));
    v.field("max_steps", max_steps, at_least<int64_t>(0));
    v.field("epochs", epochs, at_least(0.0));
    v.field("max_seq_len", max_seq_len, greater_than(0));
    v.field("checkpoint_every", checkpoint_every, at_least<int64_t>(0));
    v.field("keep_checkpoints", keep_checkpoints, at_least(1));
    v.field("log_every", log_every, greater_than<int64_t>(0));
    v.field("activation_checkpointing", activation_checkpointing);
  }
};

// `sft`: the supervised fine-tuning baseline (docs/method.md#sft-baseline) and full fine-tuning of small models.
struct SftConfig {
  std::string source = "reference";  // reference (the data's answer/solution) | rejection (own correct rollouts)
  bool full_finetune = false;        // false: LoRA (the `lora` section); true: every weight (needs expert.dtype f32)
  bool append_eos = true;            // supervise the end-of-sequence token after the completion
  int max_new_tokens = 512;          // rejection: rollout length
  int batch_size = 16;               // rejection: rollouts generated per batch
  std::string data_name = "gsm8k";   // rejection: the toolkit data_name that parses and grades data.path
  template <class V>
  void visit(V& v) {
    v.field("source", source, one_of({"reference", "rejection"}));
    v.field("full_finetune", full_finetune);
    v.field("append_eos", append_eos);
    v.field("max_new_tokens", max_new_tokens, greater_than(0));
    v.field("batch_size", batch_size, greater_than(0));
    v.field("data_name", data_name, not_empty());
  }
};

struct OptimConfig {
  double lr = 5e-5;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  std::string schedule = "linear";  // linear | cosine | constant
  int64_t warmup_steps = 0;
  double max_grad_norm = 1.0;  // 0 = no clipping
  template <class V>
  void visit(V& v) {
    v.field("lr", lr, greater_than(0.0));
    v.field("betas", betas, [](const std::array<double, 2>& b) {
      return (b[0] >= 0 && b[0] < 1 && b[1] >= 0 && b[1] < 1) ? std::string() : std::string("must both be in [0, 1)");
    });
    v.field("eps", eps, greater_than(0.0));
    v.field("weight_decay", weight_decay, at_least(0.0));
    v.field("schedule", schedule, one_of({"linear", "cosine", "constant"}));
    v.field("warmup_steps", warmup_steps, at_least<int64_t>(0));
    v.field("max_grad_norm", max_grad_norm, at_least(0.0));
  }
};

struct EvalConfig {
  std::vector<std::string> datasets = {"gsm8k"};
  std::string data_dir;  // folder of <name>/test.jsonl; "" = the data/ shipped with the binary (core/resources.h)
  std::string template_name = "qwen25-math-cot";
  int max_new_tokens = 2048;
  int batch_size = 64;
  int shots = 0;
  std::string data_name;     // how to parse/grade a .jsonl path ("" = its folder's name); names ignore it
  int64_t max_problems = 0;  // first N problems of each data set; 0 = all
  template <class V>
  void visit(V& v) {
    v.field("datasets", datasets);
    v.field("data_dir", data_dir);
    v.field("template", template_name, not_empty());
    v.field("max_new_tokens", max_new_tokens, greater_than(0));
    v.field("batch_size", batch_size, greater_than(0));
    v.field("shots", shots, at_least(0));
    v.field("data_name", data_name);
    v.field("max_problems", max_problems, at_least<int64_t>(0));
  }
};

struct RunConfig {
  ModelRef expert;
  ModelRef amateur;
  std::string device = "auto";
  int64_t seed = 42;
  std::string output_dir = "runs/default";
  DataConfig data;
  PromptConfig prompt;
  SampleConfig sample;
  SelectionConfig selection;
  TargetConfig target;
  LoraConfig lora;
  TrainConfig train;
  OptimConfig optim;
  SftConfig sft;
  EvalConfig eval;

  template <class V>
  void visit(V& v) {
    v.section("expert", expert);
    v.section("amateur", amateur);
    v.field("device", device, not_empty());
    v.field("seed", seed, at_least<int64_t>(0));
    v.field("output_dir", output_dir, not_empty());
    v.section("data", data);
    v.section("prompt", prompt);
    v.section("sample", sample);
    v.section("selection", selection);
    v.section("target", target);
    v.section("lora", lora);
    v.section("train", train);
    v.section("optim", optim);
    v.section("sft", sft);
    v.section("eval", eval);
  }
};

// JSON object → validated config (defaults for absent keys). `source` names the origin in errors.
RunConfig config_from_json(const Json& j, const std::string& source = "config");
// Reads `path` (may be empty: defaults only), applies the overrides in order, validates.
RunConfig load_run_config(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});
// The fully resolved config, every key present, in declaration order.
OrderedJson config_to_json(const RunConfig& config);
// Writes <dir>/config.resolved.json atomically and returns its path.
std::filesystem::path write_resolved_config(const RunConfig& config, const std::filesystem::path& dir);

}  // namespace lightreasoner::config
