// Typed run config: defaults, unknown keys (with "did you mean"), wrong types, ranges, --set
// overrides, the resolved-config round trip, every file in configs/ loading cleanly and naming only
// paths the repository has, and where an unset eval.data_dir looks.
#include "lightreasoner/config/run_config.h"
#include "lightreasoner/config/fields.h"

#include "lightreasoner/contrast/decoding.h"

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/resources.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/pipeline/options.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;
using namespace lightreasoner::config;

namespace {
RunConfig from_text(const std::string& text) { return config_from_json(Json::parse(text), "test.json"); }
}  // namespace

TEST(Config, DefaultsAreThePapersSettings) {
  RunConfig c = load_run_config("");
  EXPECT_EQ(c.sample.max_new_tokens, 128);
  EXPECT_DOUBLE_EQ(c.selection.beta, 0.4);
  EXPECT_DOUBLE_EQ(c.target.alpha, 0.2);
  EXPECT_EQ(c.target.kind, "contrast");
  EXPECT_EQ(c.lora.r, 8);
  EXPECT_DOUBLE_EQ(c.lora.alpha, 16.0);
  EXPECT_DOUBLE_EQ(c.lora.dropout, 0.05);
  EXPECT_EQ(c.lora.targets, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_DOUBLE_EQ(c.optim.lr, 5e-5);
  EXPECT_DOUBLE_EQ(c.optim.betas[1], 0.999);
  EXPECT_DOUBLE_EQ(c.optim.max_grad_norm, 1.0);
  EXPECT_EQ(c.seed, 42);
  EXPECT_EQ(c.train.packing, "trajectory");
}

TEST(Config, UnknownKeysNameThePathAndSuggest) {
  EXPECT_LR_ERROR(from_text(R"({"train": {"batch_sise": 4}})"),
                  "unknown config key 'train.batch_sise' (did you mean 'train.batch_size'?)");
  EXPECT_LR_ERROR(from_text(R"({"selecton": {}})"), "unknown config key 'selecton' (did you mean 'selection'?)");
  EXPECT_LR_ERROR(from_text(R"({"optim": {"zzzzzzzz": 1}})"), "unknown config key 'optim.zzzzzzzz'; valid keys here:");
  EXPECT_LR_ERROR(from_text(R"({"train": {"batch_sise": 4}})"), "test.json: ");
}

TEST(Config, WrongTypesAreErrors) {
  EXPECT_LR_ERROR(from_text(R"({"optim": {"lr": "fast"}})"), "optim.lr must be a number (got \"fast\")");
  EXPECT_LR_ERROR(from_text(R"({"train": {"batch_size": 1.5}})"), "train.batch_size must be an integer (got 1.5)");
  EXPECT_LR_ERROR(from_text(R"({"selection": {"enabled": 1}})"), "selection.enabled must be true or false");
  EXPECT_LR_ERROR(from_text(R"({"lora": {"targets": "q_proj"}})"), "lora.targets must be an array of strings");
  EXPECT_LR_ERROR(from_text(R"({"lora": {"targets": ["q_proj", 3]}})"), "lora.targets[1] must be a string");
  EXPECT_LR_ERROR(from_text(R"({"optim": {"betas": [0.9]}})"), "optim.betas must be an array of two numbers");
  EXPECT_LR_ERROR(from_text(R"({"train": []})"), "train must be an object");
  EXPECT_LR_ERROR(from_text(R"({"seed": 99999999999999999999})"), "seed is out of range (got 1e+20)");
  EXPECT_LR_ERROR(from_text(R"([1, 2])"), "config must be an object");
  // Integral floats are accepted for integer keys (1e3 is how people write a thousand).
  EXPECT_EQ(from_text(R"({"train": {"max_steps": 1e3}})").train.max_steps, 1000);
}

// The metadata reader (contrast meta, trainer state, adapter_config.json, config.json) names the
// file and the key path in every refusal, treats null as absent, and never wraps an integer.
TEST(Fields, EveryRefusalNamesTheFileAndTheKeyPath) {
  const Json j = Json::parse(R"({"n": 3, "big": 18446744073709551615, "neg": -1, "x": 2.5, "e": 1e300, "s": "t",
                                  "none": null, "sec": {"k": "7", "ids": ["a", 1]}})");
  const Fields f(j, "meta.json");
  EXPECT_EQ(f.get<int64_t>("n"), 3);
  EXPECT_EQ(f.get<double>("n"), 3.0);
  EXPECT_EQ(f.get<uint64_t>("big"), 18446744073709551615ULL);
  EXPECT_EQ(f.get_or<int64_t>("none", 9), 9);  // null is absent
  EXPECT_EQ(f.get_or<int64_t>("absent", 9), 9);
  EXPECT_FALSE(f.has("none"));
  std::optional<std::string> kept = "before";
  f.read_if_present("absent", kept);
  EXPECT_EQ(kept.value_or(""), "before");
  EXPECT_LR_ERROR(f.get<int64_t>("none"), "meta.json: missing key 'none'");
  EXPECT_LR_ERROR(f.get<int64_t>("big"), "meta.json: key 'big' is out of range (got 18446744073709551615)");
  EXPECT_LR_ERROR(f.get<uint64_t>("neg"), "meta.json: key 'neg' must be a non-negative integer (got -1)");
  EXPECT_LR_ERROR(f.get<int64_t>("x"), "meta.json: key 'x' must be an integer (got 2.5)");
  EXPECT_LR_ERROR(f.get<int>("e"), "meta.json: key 'e' is out of range (got 1e+300)");
  EXPECT_LR_ERROR(f.get<bool>("s"), "meta.json: key 's' must be true or false (got \"t\")");
  const Fields sec = f.section("sec");
  EXPECT_LR_ERROR(sec.get<int64_t>("k"), "meta.json: key 'sec.k' must be an integer (got \"7\")");
  EXPECT_LR_ERROR(sec.get<int64_t>("gone"), "meta.json: missing key 'sec.gone'");
  EXPECT_LR_ERROR(sec.get<std::vector<std::string>>("ids"), "meta.json: key 'sec.ids'[1] must be a string (got 1)");
  EXPECT_LR_ERROR(f.section("s"), "meta.json: key 's' must be an object (got \"t\")");
  EXPECT_LR_ERROR(Fields(Json::array(), "list.json"), "list.json: must hold a JSON object (got [])");
}

TEST(Config, RangesAreValidated) {
  EXPECT_LR_ERROR(from_text(R"({"optim": {"lr": -1}})"), "optim.lr must be > 0 (got -1");
  EXPECT_LR_ERROR(from_text(R"({"target": {"alpha": 1.5}})"), "target.alpha must be in [0, 1] (got 1.5)");
  EXPECT_LR_ERROR(from_text(R"({"target": {"kind": "soft"}})"), "target.kind must be one of contrast, expert, onehot");
  EXPECT_LR_ERROR(from_text(R"({"sample": {"max_new_tokens": 0}})"), "sample.max_new_tokens must be > 0 (got 0)");
  EXPECT_LR_ERROR(from_text(R"({"lora": {"targets": ["q_proj", "qkv"]}})"), "'qkv' is not");
  EXPECT_LR_ERROR(from_text(R"({"optim": {"betas": [0.9, 1.0]}})"), "optim.betas must both be in [0, 1)");
  EXPECT_LR_ERROR(from_text(R"({"expert": {"dtype": "int8"}})"), "expert.dtype must be one of");
}

TEST(Config, OverridesAreTypedAndValidated) {
  RunConfig c = load_run_config("", {"optim.lr=1e-4", "lora.targets=[\"q_proj\",\"k_proj\"]", "expert.path=models/x",
                                     "selection.enabled=false", "prompt.system=null", "expert.adapter=runs/a/adapter"});
  EXPECT_DOUBLE_EQ(c.optim.lr, 1e-4);
  EXPECT_EQ(c.lora.targets, (std::vector<std::string>{"q_proj", "k_proj"}));
  EXPECT_EQ(c.expert.path, "models/x");  // plain strings need no quotes
  EXPECT_FALSE(c.selection.enabled);
  EXPECT_FALSE(c.prompt.system.has_value());
  EXPECT_EQ(c.expert.adapter.value(), "runs/a/adapter");
  EXPECT_LR_ERROR(load_run_config("", {"optim.lr=-3"}), "optim.lr must be > 0");
  EXPECT_LR_ERROR(load_run_config("", {"optim.lrr=3"}), "did you mean 'optim.lr'");
  EXPECT_LR_ERROR(load_run_config("", {"noequals"}), "--set expects key.path=value");
  EXPECT_LR_ERROR(load_run_config("", {"seed=5", "seed.x=1"}), "--set seed.x: 'seed' is not a section");
  EXPECT_LR_ERROR(load_run_config("", {"seed.x=1"}), "seed must be an integer (got {\"x\":1})");
  EXPECT_LR_ERROR(load_run_config("", {"train..lr=1"}), "empty component");
}

TEST(Config, OverridesThatAreNotUtf8AreRefusedNotCrashed) {
  // Found by fuzz_run_config: such a value became a JSON string that threw a raw JSON exception in
  // the error message's preview (and would have when config.resolved.json was written).
  EXPECT_LR_ERROR(load_run_config("", {"output_dir=runs/\xff"}), "is not valid UTF-8");
  EXPECT_LR_ERROR(load_run_config("", {"seed=\xff"}), "--set 'seed=\xEF\xBF\xBD' is not valid UTF-8");
  EXPECT_EQ(load_run_config("", {"output_dir=runs/caf\xC3\xA9"}).output_dir, "runs/caf\xC3\xA9");  // é is fine
}

TEST(Config, OverridesApplyOnTopOfTheFile) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "c.json", R"({"train": {"max_steps": 7}, "optim": {"lr": 0.001}})");
  RunConfig c = load_run_config(dir / "c.json", {"optim.lr=0.002"});
  EXPECT_EQ(c.train.max_steps, 7);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.002);
}

TEST(Config, ResolvedConfigRoundTrips) {
  auto dir = lrtest::temp_dir();
  RunConfig c = load_run_config("", {"optim.lr=3e-4", "expert.path=m/e", "amateur.path=m/a", "data.max_problems=5",
                                     "prompt.system=\"Be brief.\""});
  fs::path written = write_resolved_config(c, dir);
  EXPECT_EQ(written, dir / "config.resolved.json");
  RunConfig again = load_run_config(written);
  EXPECT_EQ(config_to_json(again), config_to_json(c));
  EXPECT_EQ(again.prompt.system.value(), "Be brief.");
  // Every key is present in the resolved dump, in declaration order.
  auto j = config_to_json(c);
  EXPECT_EQ(j.begin().key(), "expert");
  EXPECT_TRUE(j["optim"].contains("warmup_steps"));
}

TEST(Config, BadFilesAreClearErrors) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "bad.json", "{\"train\": {\"max_steps\": 7,}");
  EXPECT_LR_ERROR(load_run_config(dir / "bad.json"), "bad.json: not valid JSON");
  EXPECT_LR_ERROR(load_run_config(dir / "missing.json"), "cannot open");
  // Found by fuzz_run_config: a number beyond double's range escaped as a raw JSON exception.
  write_file_atomic(dir / "huge.json", "{\"seed\": 6e1111}");
  EXPECT_LR_ERROR(load_run_config(dir / "huge.json"), "huge.json: not valid JSON");
  // Comments are tolerated (people annotate configs).
  write_file_atomic(dir / "commented.json", "{\n  // the paper's beta\n  \"selection\": {\"beta\": 0.5}\n}");
  EXPECT_DOUBLE_EQ(load_run_config(dir / "commented.json").selection.beta, 0.5);
}

TEST(Config, EveryShippedConfigLoads) {
  fs::path configs = fs::path(LR_SOURCE_DIR) / "configs";
  int count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(configs)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(load_run_config(entry.path()));
    ++count;
  }
  EXPECT_GE(count, 1);
}

// A clone alone is the product: every file or folder a shipped config names is in the repository,
// relative to its root as the README runs them. Excepted: model directories (users download them)
// and runs/, which scripts/toy_world.sh and scripts/demo.sh create before they use those configs.
TEST(Config, EveryPathAShippedConfigNamesIsInTheRepository) {
  const fs::path root = LR_SOURCE_DIR;
  auto generated = [](const std::string& path) { return path.rfind("runs/", 0) == 0; };
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(root / "configs")) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    RunConfig c = load_run_config(entry.path());
    if (!c.data.path.empty() && !generated(c.data.path)) {
      EXPECT_TRUE(fs::is_regular_file(root / c.data.path)) << "data.path " << c.data.path;
      ++checked;
    }
    if (!c.eval.data_dir.empty()) {
      EXPECT_TRUE(fs::is_directory(root / c.eval.data_dir)) << "eval.data_dir " << c.eval.data_dir;
      ++checked;
    }
    for (const auto& name : c.eval.datasets) {
      if (generated(name)) continue;
      // A data set name resolves in the configured data dir, or the shipped data/ when unset.
      const fs::path dir = c.eval.data_dir.empty() ? fs::path() : root / c.eval.data_dir;
      EXPECT_NO_THROW(eval::resolve_dataset(name, dir, c.eval.data_name)) << "eval.datasets " << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

TEST(Config, AnUnsetDataDirFindsTheRepositorysDataFolder) {
  EXPECT_EQ(resolve_data_dir(""), (fs::path(LR_SOURCE_DIR) / "data").lexically_normal());
  EXPECT_EQ(resolve_data_dir("/elsewhere"), fs::path("/elsewhere"));
  auto spec = eval::resolve_dataset("gsm8k", "");
  EXPECT_EQ(spec.path, (fs::path(LR_SOURCE_DIR) / "data/gsm8k/test.jsonl").lexically_normal());
  EXPECT_LR_ERROR(eval::resolve_dataset("gsm8k", lrtest::temp_dir()), "dataset 'gsm8k' is neither a file nor a folder");
}

TEST(Config, EditDistanceAndClosestKey) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest_key("bta", {"beta", "enabled"}), "beta");
  EXPECT_EQ(closest_key("qqqqqqqqqq", {"beta", "enabled"}), "");
}

TEST(Config, DecodingFromGenerationConfigIsWhatGenerateAppliesWithoutArguments) {
  auto dir = lrtest::temp_dir();
  RunConfig c = from_text(R"({"sample": {"decoding": "generation_config", "temperature": 0.9}})");
  c.expert.path = dir.string();
  // No file, or do_sample absent/false: greedy (the sample.temperature written beside it is not used).
  EXPECT_EQ(pipeline::sample_decoding(c).temperature, 0.0);
  write_file_atomic(dir / "generation_config.json", R"({"bos_token_id": 1, "max_new_tokens": 2048})");
  EXPECT_EQ(pipeline::sample_decoding(c).temperature, 0.0);
  // DeepSeek-R1-Distill-Qwen-1.5B's file: sampling at 0.6 / 0.95, and transformers' top_k 50.
  write_file_atomic(dir / "generation_config.json", R"({"do_sample": true, "temperature": 0.6, "top_p": 0.95})");
  auto d = pipeline::sample_decoding(c);
  EXPECT_DOUBLE_EQ(d.temperature, 0.6);
  EXPECT_DOUBLE_EQ(d.top_p, 0.95);
  EXPECT_EQ(d.top_k, 50);
  write_file_atomic(dir / "generation_config.json", R"({"do_sample": "yes"})");
  EXPECT_LR_ERROR(pipeline::sample_decoding(c), "'do_sample' must be true or false");
  // "config" (the default): the numbers as written.
  c.sample.decoding = "config";
  EXPECT_DOUBLE_EQ(pipeline::sample_decoding(c).temperature, 0.9);
  EXPECT_LR_ERROR(from_text(R"({"sample": {"decoding": "hf"}})"), "sample.decoding must be one of config, generation_config");
  EXPECT_LR_ERROR(from_text(R"({"train": {"order": "random"}})"), "train.order must be one of steps, rollouts");
}
