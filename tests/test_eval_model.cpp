// Model-backed eval on a generated tiny model with stories260K's tokenizer: the completion source
// (stop strings cut as vLLM does, finish reasons, batched = one at a time, ids = generate's), the
// binary over a slice of every data set format in data/, --adapter applied, --config runs,
// resume after a real SIGKILL equal to an uninterrupted run, and bad input (unknown data set, broken
// record).
#include <torch/torch.h>

#include <fstream>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/eval/model_eval.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

fs::path make_tiny_model(const fs::path& dir) {
  model::InitOptions init;
  init.seed = 7;
  init.std = 0.1;
  model::ModelDirOptions options;
  options.tokenizer_dir = lrtest::fixture_dir() / "stories260K/hf";
  model::init_model_dir("qwen2", "tiny", init, options, dir);
  return dir;
}

std::vector<io::Json> read_jsonl(const fs::path& path) {
  std::vector<io::Json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) rows.push_back(io::Json::parse(line));
  return rows;
}

size_t count_lines(const fs::path& path) {
  if (!fs::exists(path)) return 0;
  std::ifstream in(path);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

// Predictions keyed by (dataset, id) without the timing field, for run-to-run comparison.
std::map<std::string, io::Json> by_key(const fs::path& predictions) {
  std::map<std::string, io::Json> out;
  for (auto row : read_jsonl(predictions)) {
    row.erase("seconds");
    out[row["dataset"].get<std::string>() + "/" + std::to_string(row["id"].get<int64_t>())] = row;
  }
  return out;
}

struct Items {
  std::vector<eval::EvalExample> examples;
  std::vector<eval::EvalItem> items;
  std::vector<const eval::EvalItem*> pointers(size_t begin, size_t end) const {
    std::vector<const eval::EvalItem*> out;
    for (size_t i = begin; i < end; ++i) out.push_back(&items[i]);
    return out;
  }
};

Items make_items(const std::vector<std::string>& prompts) {
  Items made;
  made.examples.resize(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    made.examples[i].id = static_cast<int64_t>(i);
    made.examples[i].where = "test:" + std::to_string(i + 1);
  }
  for (size_t i = 0; i < prompts.size(); ++i) made.items.push_back({0, i, &made.examples[i], prompts[i]});
  return made;
}

}  // namespace

TEST(EvalModel, SourceCutsAtStopStringsAndBatchesLikeOneAtATime) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  model::LoadOptions load;
  load.dtype = torch::kFloat32;
  auto model = model::load_model(model_dir, load);
  model->eval();
  auto tok = tokenizer::load_tokenizer(model_dir);
  auto items = make_items({"Once upon a time", "Lily had 3 apples and found 4 more. How many", "The dog", "Tom saw"});

  eval::ModelSourceOptions options;
  options.max_new_tokens = 24;
  eval::set_model_special_ids(options, model_dir, model->config(), *tok);
  // Without stop strings: ids and finish reasons are exactly generate()'s on the same prompts.
  options.batch_size = 4;
  auto plain = eval::model_completion_source(*model, *tok, options).complete(items.pointers(0, 4));
  tokenizer::EncodeOptions encode;
  std::vector<std::vector<int64_t>> prompts;
  for (const auto& item : items.items) {
    auto ids = tok->encode(item.prompt, encode);
    prompts.emplace_back(ids.begin(), ids.end());
  }
  generate::GenerationOptions gen;
  gen.max_new_tokens = 24;
  gen.eos_token_ids = options.eos_token_ids;
  gen.pad_token_id = options.pad_token_id;
  auto reference = generate::generate(*model, prompts, gen);
  ASSERT_EQ(plain.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plain[i].token_ids, reference.completions[i].ids) << "row " << i;
    std::vector<tokenizer::TokenId> ids32(reference.completions[i].ids.begin(), reference.completions[i].ids.end());
    EXPECT_EQ(plain[i].text, tok->decode(ids32, true));
    EXPECT_EQ(plain[i].tokens, static_cast<int64_t>(reference.completions[i].ids.size()));
    EXPECT_EQ(plain[i].finish_reason, reference.completions[i].finish == generate::FinishReason::kLength ? "length" : "stop");
  }

  // A stop string taken from the middle of row 0's text: row 0 ends there, cut before it.
  const std::string& text0 = plain[0].text;
  ASSERT_GE(text0.size(), 12u) << "the tiny model produced too little text: '" << text0 << "'";
  const std::string stop = text0.substr(6, 4);
  options.stop_strings = {stop};
  auto stopped = eval::model_completion_source(*model, *tok, options).complete(items.pointers(0, 4));
  EXPECT_EQ(stopped[0].text, text0.substr(0, text0.find(stop)));
  EXPECT_EQ(stopped[0].finish_reason, "stop");
  EXPECT_LT(stopped[0].tokens, plain[0].tokens);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(stopped[i].text.find(stop), std::string::npos) << "row " << i << ": " << stopped[i].text;
    // Each row's text is a prefix of its unstopped text.
    EXPECT_EQ(plain[i].text.compare(0, stopped[i].text.size(), stopped[i].text), 0) << "row " << i;
  }

  // Batched (4, then 3 + 1) equals one at a time.
  options.batch_size = 1;
  auto single_source = eval::model_completion_source(*model, *tok, options);
  for (size_t i = 0; i < 4; ++i) {
    auto one = single_source.complete(items.pointers(i, i + 1));
    EXPECT_EQ(one[0].token_ids, stopped[i].token_ids) << "row " << i;
    EXPECT_EQ(one[0].text, stopped[i].text) << "row " << i;
  }
}

TEST(EvalModel, PromptFillingTheContextIsRecordedUnfinished) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  auto model = model::load_model(model_dir);
  auto tok = tokenizer::load_tokenizer(model_dir);
  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += "apples and pears ";
  auto items = make_items({long_prompt, "Once upon a time"});
  eval::ModelSourceOptions options;
  options.batch_size = 2;
  options.max_new_tokens = 8;
  auto stats = std::make_shared<eval::ModelSourceStats>();
  auto out = eval::model_completion_source(*model, *tok, options, stats).complete(items.pointers(0, 2));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "");
  EXPECT_EQ(out[0].finish_reason, "length");
  EXPECT_EQ(out[0].tokens, 0);
  EXPECT_GT(out[1].tokens, 0);
  EXPECT_EQ(stats->too_long, 1);
}

TEST(EvalModel, EveryDataSetFormatEndToEndThroughTheBinary) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(lrtest::data_dir())) {
    if (fs::exists(entry.path() / "test.jsonl")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 10u);
  std::string data_args;
  for (const auto& name : names) data_args += " --data " + name;
  auto out = dir / "out";
  auto run = lrtest::run_binary("--threads 2 eval --model '" + model_dir.string() + "' --data-dir '" +
                                (lrtest::data_dir()).string() + "'" + data_args +
                                " --limit 2 --max-new-tokens 8 --batch-size 16 --dtype f32 --out '" + out.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto predictions = read_jsonl(out / "predictions.jsonl");
  EXPECT_EQ(predictions.size(), 2 * names.size());
  for (const auto& p : predictions) {
    for (const char* field : {"dataset", "id", "prompt", "completion", "extracted", "gold", "correct", "finish_reason",
                              "tokens", "seconds"}) {
      EXPECT_TRUE(p.contains(field)) << field << " missing in " << p.dump();
    }
    EXPECT_FALSE(p["prompt"].get<std::string>().empty());
    EXPECT_FALSE(p["gold"].get<std::string>().empty()) << p.dump();
    EXPECT_LE(p["tokens"].get<int64_t>(), 8);
  }
  auto summary = io::Json::parse(read_file(out / "summary.json"));
  EXPECT_EQ(summary["datasets"].size(), names.size());
  for (const auto& name : names) {
    ASSERT_TRUE(summary["datasets"].contains(name)) << name;
    EXPECT_EQ(summary["datasets"][name]["n"], 2) << name;
  }
  EXPECT_TRUE(fs::exists(out / "config.resolved.json"));
  EXPECT_NE(run.output.find("average accuracy"), std::string::npos) << run.output;
}

TEST(EvalModel, ConfigRunResumesAfterKillToTheSamePredictions) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  auto write_config = [&](const std::string& name) {
    io::Json config = {{"expert", {{"path", model_dir.string()}, {"dtype", "f32"}}},
                       {"device", "cpu"},
                       {"output_dir", (dir / name).string()},
                       {"eval",
                        {{"datasets", {"gsm8k"}},
                         {"data_dir", (lrtest::data_dir()).string()},
                         {"template", "cot"},
                         {"max_new_tokens", 48},
                         {"batch_size", 2},
                         {"max_problems", 40}}}};
    fs::path path = dir / (name + ".json");
    write_file_atomic(path, config.dump(2));
    return path;
  };
  auto full = lrtest::run_binary("--threads 1 eval --config '" + write_config("full").string() + "'");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  ASSERT_EQ(count_lines(dir / "full/eval/predictions.jsonl"), 40u);

  auto killed_config = write_config("killed");
  fs::path partial = dir / "killed/eval/predictions.jsonl";
  size_t lines = 0;
  bool killed = lrtest::run_binary_and_kill_when({"--threads", "1", "eval", "--config", killed_config.string()}, [&] {
    lines = count_lines(partial);
    return lines >= 4;
  });
  ASSERT_TRUE(killed) << "the run finished before it could be killed (" << lines << " lines)";
  ASSERT_LT(count_lines(partial), 40u);
  auto resumed = lrtest::run_binary("--threads 1 eval --config '" + killed_config.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(by_key(partial), by_key(dir / "full/eval/predictions.jsonl"));
  auto summary_full = io::Json::parse(read_file(dir / "full/eval/summary.json"));
  auto summary_resumed = io::Json::parse(read_file(dir / "killed/eval/summary.json"));
  EXPECT_EQ(summary_resumed["datasets"]["gsm8k"]["n"], 40);
  EXPECT_EQ(summary_resumed["datasets"]["gsm8k"]["correct"], summary_full["datasets"]["gsm8k"]["correct"]);
  EXPECT_EQ(summary_resumed["datasets"]["gsm8k"]["tokens"], summary_full["datasets"]["gsm8k"]["tokens"]);
  EXPECT_GT(summary_resumed["resumed_predictions"].get<int64_t>(), 0);

  // Continuing with other generation settings is refused instead of mixing runs.
  auto other = lrtest::run_binary("--threads 1 eval --config '" + killed_config.string() + "' --max-new-tokens 7");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.output.find("different run"), std::string::npos) << other.output;
  EXPECT_NE(other.output.find("settings.eval.max_new_tokens: the predictions there were made with"), std::string::npos)
      << other.output;
}

TEST(EvalModel, BadInputGetsAClearError) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  const std::string model_arg = " eval --model '" + model_dir.string() + "' --out '" + (dir / "out").string() + "'";
  auto unknown = lrtest::run_binary(model_arg + " --data no_such_set --data-dir '" + (lrtest::data_dir()).string() + "'");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("no_such_set"), std::string::npos) << unknown.output;

  write_file_atomic(dir / "broken/test.jsonl",
                    "{\"question\": \"1+1?\", \"answer\": \"#### 2\"}\n{\"question\": \"2+2?\", \"answer\": \n");
  auto broken = lrtest::run_binary(model_arg + " --data '" + (dir / "broken/test.jsonl").string() +
                                   "' --data-name gsm8k --max-new-tokens 4");
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.output.find("test.jsonl:2"), std::string::npos) << broken.output;

  auto no_model = lrtest::run_binary("eval --data gsm8k");
  EXPECT_NE(no_model.exit_code, 0);
  EXPECT_NE(no_model.output.find("--model"), std::string::npos) << no_model.output;
}

TEST(EvalModel, AdapterIsAppliedToTheEvaluatedModel) {
  auto dir = lrtest::temp_dir();
  auto model_dir = make_tiny_model(dir / "model");
  // Two PEFT adapters on the tiny model: B = 0 (the base exactly) and a random B.
  auto model = model::load_model(model_dir);
  model::LoraSpec spec;
  spec.targets = {"q_proj", "v_proj", "o_proj"};
  auto modules = model::attach_lora(*model, spec, 3);
  model::save_peft_adapter(dir / "zero", modules, spec, model_dir.string());
  torch::manual_seed(5);
  for (auto& m : modules) m.adapter->B.detach().normal_(0.0, 0.5);
  model::save_peft_adapter(dir / "random", modules, spec, model_dir.string());

  auto run = [&](const std::string& name, const std::string& adapter) {
    auto out = dir / name;
    auto r = lrtest::run_binary("--threads 1 eval --model '" + model_dir.string() + "'" +
                                (adapter.empty() ? "" : " --adapter '" + (dir / adapter).string() + "'") +
                                " --data gsm8k --data-dir '" + (lrtest::data_dir()).string() +
                                "' --template cot --limit 6 --max-new-tokens 16 --dtype f32 --out '" + out.string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> completions;
    for (const auto& [key, row] : by_key(out / "predictions.jsonl")) completions.push_back(row["completion"]);
    return completions;
  };
  auto base = run("base", "");
  ASSERT_EQ(base.size(), 6u);
  EXPECT_EQ(run("with_zero", "zero"), base);
  EXPECT_NE(run("with_random", "random"), base);
}
