// `inspect` with token text and `official export|import` through the binary, on a real `sample`
// run of two generated tiny models sharing Qwen3's tokenizer: the report shows decoded tokens,
// export writes one official line per selected step, import + export gives the same official file
// (the round trip), and `train` accepts the imported dataset for the same expert and template.
#include <torch/torch.h>

#include <fstream>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

// A tiny random model over a real tokenizer's whole vocabulary (Qwen3's byte-level BPE: the
// official text format re-encodes prefixes standalone, which is exact for such tokenizers).
fs::path make_model(const fs::path& dir, const std::string& arch, uint64_t seed, const fs::path& tokenizer_dir) {
  auto tok = tokenizer::load_tokenizer(tokenizer_dir);
  auto config = model::preset_config(arch, "tiny");
  config.vocab_size = tok->vocab_size();
  model::CausalLM lm(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::InitOptions init;
  init.seed = seed;
  init.std = 0.1;
  init.perturb_norms = true;
  model::randomize_weights(lm, init);
  model::ModelDirOptions options;
  options.tokenizer_dir = tokenizer_dir;
  model::write_model_dir(lm, model::GenerationDefaults{}, dir, options);
  return dir;
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

TEST(ContrastCli, InspectWithTextAndOfficialRoundTrip) {
  auto dir = lrtest::temp_dir();
  const fs::path tok_dir = lrtest::fixture_dir() / "qwen3-tokenizer";
  auto expert = make_model(dir / "expert", "qwen2", 11, tok_dir);
  auto amateur = make_model(dir / "amateur", "llama", 12, tok_dir);
  std::string problems;
  for (int i = 0; i < 4; ++i) {
    problems += io::Json{{"question", "Lily had " + std::to_string(i + 2) + " apples and found 4 more."},
                         {"answer", "#### " + std::to_string(i + 6)}}
                    .dump() +
                "\n";
  }
  write_file_atomic(dir / "problems.jsonl", problems);
  const std::vector<std::string> common = {
      "expert.path=" + expert.string(), "amateur.path=" + amateur.string(), "expert.dtype=f32", "amateur.dtype=f32",
      "device=cpu", "data.path=" + (dir / "problems.jsonl").string(), "prompt.template=qwen-chat",
      "prompt.system=\"Please reason step by step.\"", "sample.max_new_tokens=12", "selection.beta=0.05",
      "train.max_steps=2", "train.batch_size=2"};
  auto write_config = [&](const fs::path& out) {
    auto sets = common;
    sets.push_back("output_dir=" + out.string());
    fs::path path = out.string() + ".json";
    write_file_atomic(path, config::config_to_json(config::load_run_config("", sets)).dump(2));
    return path;
  };
  auto sampled = lrtest::run_binary("--threads 1 sample --config '" + write_config(dir / "run").string() + "'");
  ASSERT_EQ(sampled.exit_code, 0) << sampled.output;
  // Skipping t = 0 (the official default) is said in the log, where it can cost the whole gain.
  const std::string t0_line = "the first generated token (t = 0) is never kept (sample.skip_first_step = true";
  EXPECT_EQ(sampled.output.find(t0_line), std::string::npos) << sampled.output;
  auto skipping = lrtest::run_binary("--threads 1 sample --config '" + write_config(dir / "run-t1").string() +
                                     "' --set sample.skip_first_step=true");
  ASSERT_EQ(skipping.exit_code, 0) << skipping.output;
  EXPECT_NE(skipping.output.find(t0_line), std::string::npos) << skipping.output;
  const fs::path contrast_path = dir / "run/contrast.jsonl";
  auto records = contrast::read_contrast(contrast_path);
  int64_t selected = 0;
  for (const auto& r : records) selected += static_cast<int64_t>(r.steps.size());
  ASSERT_GT(selected, 0);

  // inspect finds the expert's tokenizer through the meta and shows decoded text.
  auto tok = tokenizer::load_tokenizer(expert);
  auto inspected = lrtest::run_binary("inspect '" + contrast_path.string() + "'");
  ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
  EXPECT_EQ(inspected.output.find("tokens are shown as ids"), std::string::npos) << inspected.output;
  const auto& first = records.front();
  // Some example context is the rollout's text, so a decoded piece of a rollout appears.
  bool any_rollout_text = false;
  for (const auto& r : records) {
    std::vector<tokenizer::TokenId> head(r.completion_ids.begin(), r.completion_ids.begin() + 2);
    std::string piece = tok->decode(head);
    if (!piece.empty() && inspected.output.find(piece) != std::string::npos) any_rollout_text = true;
  }
  EXPECT_TRUE(any_rollout_text) << inspected.output;
  // Without a tokenizer (meta's expert moved away) the report still works, with ids.
  fs::rename(expert, dir / "expert_moved");
  auto ids_only = lrtest::run_binary("inspect '" + contrast_path.string() + "'");
  EXPECT_EQ(ids_only.exit_code, 0) << ids_only.output;
  EXPECT_NE(ids_only.output.find("tokens are shown as ids"), std::string::npos) << ids_only.output;
  auto no_tokenizer = lrtest::run_binary("official export '" + contrast_path.string() + "' --out '" +
                                         (dir / "x.jsonl").string() + "'");
  EXPECT_NE(no_tokenizer.exit_code, 0);
  EXPECT_NE(no_tokenizer.output.find("--tokenizer"), std::string::npos) << no_tokenizer.output;
  fs::rename(dir / "expert_moved", expert);

  // Export: one official line per selected step, with the official keys.
  auto exported = lrtest::run_binary("official export '" + contrast_path.string() + "' --out '" +
                                     (dir / "official.jsonl").string() + "'");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  auto official = lines_of(dir / "official.jsonl");
  ASSERT_EQ(static_cast<int64_t>(official.size()), selected);
  auto line0 = io::Json::parse(official.front());
  for (const char* key : {"prompt_id", "step", "prefix", "tokens", "token_ids", "weights", "kl_divergence"}) {
    EXPECT_TRUE(line0.contains(key)) << key << " missing: " << official.front().substr(0, 300);
  }
  EXPECT_EQ(line0["prompt_id"], first.question);
  // Importing the raw export: the random model's text has byte tokens that decode to U+FFFD, whose
  // steps cannot be re-encoded; they are dropped and counted, the rest imported.
  fs::create_directories(dir / "raw");
  auto raw = lrtest::run_binary("official import '" + (dir / "official.jsonl").string() + "' --model '" +
                                expert.string() + "' --out '" + (dir / "raw/contrast.jsonl").string() + "'");
  ASSERT_EQ(raw.exit_code, 0) << raw.output.substr(0, 2000);
  int64_t raw_steps = 0;
  for (const auto& r : contrast::read_contrast(dir / "raw/contrast.jsonl")) raw_steps += static_cast<int64_t>(r.steps.size());
  int64_t dropped = 0;
  auto at = raw.output.find(" step(s) dropped");
  if (at != std::string::npos) dropped = std::stoll(raw.output.substr(raw.output.rfind('\n', at) + 1));
  EXPECT_EQ(raw_steps + dropped, selected) << raw.output.substr(0, 2000);

  // The exact round trip on rollouts whose text re-encodes to the same ids (what real models write):
  // each record cut before its first token where decode -> encode differs, steps beyond dropped.
  tokenizer::EncodeOptions plain;
  plain.add_special_tokens = false;
  std::vector<contrast::ContrastRecord> clean;
  for (auto r : records) {
    size_t keep = 0;
    while (keep < r.completion_ids.size()) {
      std::vector<tokenizer::TokenId> head(r.completion_ids.begin(), r.completion_ids.begin() + keep + 1);
      if (tok->encode(tok->decode(head), plain) != head) break;
      ++keep;
    }
    r.completion_ids.resize(keep);
    std::vector<contrast::ContrastStep> steps;
    for (const auto& step : r.steps)
      if (step.t < static_cast<int64_t>(keep)) steps.push_back(step);
    r.steps = steps;
    if (!r.steps.empty()) clean.push_back(r);
  }
  ASSERT_FALSE(clean.empty()) << "no step of the random rollouts survives re-encoding";
  fs::create_directories(dir / "clean");
  {
    contrast::ContrastWriter writer(dir / "clean/contrast.jsonl", /*append=*/false);
    for (const auto& r : clean) writer.write(r);
    writer.flush();
  }
  fs::copy_file(dir / "run/contrast.meta.json", dir / "clean/contrast.meta.json");
  auto clean_export = lrtest::run_binary("official export '" + (dir / "clean/contrast.jsonl").string() + "' --out '" +
                                         (dir / "official_clean.jsonl").string() + "'");
  ASSERT_EQ(clean_export.exit_code, 0) << clean_export.output;
  fs::create_directories(dir / "imported");
  auto imported = lrtest::run_binary("official import '" + (dir / "official_clean.jsonl").string() + "' --model '" +
                                     expert.string() + "' --out '" + (dir / "imported/contrast.jsonl").string() + "'");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_EQ(imported.output.find("dropped"), std::string::npos) << imported.output;
  // The official code's system prompt is the import default for chat formats only; given explicitly
  // for a format without one, it is refused (it would be dropped), and nothing is written.
  fs::create_directories(dir / "qa");
  auto qa = lrtest::run_binary("official import '" + (dir / "official_clean.jsonl").string() + "' --model '" +
                               expert.string() + "' --template question-answer --out '" + (dir / "qa/contrast.jsonl").string() + "'");
  ASSERT_EQ(qa.exit_code, 0) << qa.output;
  const auto qa_prompt = contrast::read_meta(dir / "qa/contrast.meta.json").settings["prompt"];
  EXPECT_TRUE(!qa_prompt.contains("system") || qa_prompt["system"].is_null()) << qa_prompt.dump();
  auto qa_system = lrtest::run_binary("official import '" + (dir / "official_clean.jsonl").string() + "' --model '" +
                                      expert.string() + "' --template question-answer --system 'Be brief.' --out '" +
                                      (dir / "qa2/contrast.jsonl").string() + "'");
  EXPECT_NE(qa_system.exit_code, 0);
  EXPECT_NE(qa_system.output.find("--system is set (\"Be brief.\"), but the prompt format \"question-answer\" takes no system"),
            std::string::npos) << qa_system.output;
  EXPECT_FALSE(fs::exists(dir / "qa2/contrast.jsonl"));
  // sample refuses the same before any work.
  auto dropped_system = lrtest::run_binary("--threads 1 sample --config '" + write_config(dir / "qa-run").string() +
                                           "' --set prompt.template=question-answer");
  EXPECT_NE(dropped_system.exit_code, 0);
  EXPECT_NE(dropped_system.output.find("prompt.system is set"), std::string::npos) << dropped_system.output;
  EXPECT_FALSE(fs::exists(dir / "qa-run/contrast.jsonl"));

  auto meta = contrast::read_meta(dir / "imported/contrast.meta.json");
  EXPECT_EQ(meta.expert.path, expert.string());
  EXPECT_EQ(meta.tokenizer_fingerprint, tok->fingerprint());
  auto again = lrtest::run_binary("official export '" + (dir / "imported/contrast.jsonl").string() + "' --out '" +
                                  (dir / "official2.jsonl").string() + "'");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_file(dir / "official2.jsonl"), read_file(dir / "official_clean.jsonl"));

  // `train` takes the imported dataset (same expert, template and system prompt).
  auto trained = lrtest::run_binary("--threads 1 train --config '" + write_config(dir / "imported").string() + "'");
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_TRUE(fs::exists(dir / "imported/adapter/adapter_model.safetensors"));
}
