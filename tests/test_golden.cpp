// Golden outputs of the workflows: sample, train, sft (LoRA, full, rejection), eval (model-backed
// and --grade) and merge run through the binary on the tiny fixtures (stories260K's tokenizer, two
// seeded random models), and every output file's bytes are compared with the hashes recorded in
// tests/golden/outputs.json. This is what keeps a refactor of the pipelines honest: the files must
// stay byte-identical. Timing fields and the temporary directory are taken out before hashing
// (they differ run to run); everything else counts. Float results depend on the LibTorch build
// and the BLAS kernels, so the hashes are recorded per platform (LibTorch version + OpenBLAS
// core); on a platform with no record the test skips and prints the hashes it found.
// Re-record (only after checking that a change of bytes is intended): LR_GOLDEN_RECORD=1.
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <set>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/hash.h"
#include "lightreasoner/core/openblas.h"
#include "model_support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;
using Json = nlohmann::json;

namespace {

const fs::path kExpectations = fs::path(LR_SOURCE_DIR) / "tests/golden/outputs.json";

// Keys whose values are clocks or rates: they differ on every run.
bool is_timing_key(const std::string& key) {
  static const std::set<std::string> keys = {"seconds", "wall_seconds", "allreduce_s", "elapsed_s"};
  auto ends_with = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return keys.count(key) || ends_with("_per_s") || ends_with("_per_second") || ends_with("_seconds");
}

void canonicalize(Json& j, const std::string& tmp) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (is_timing_key(it.key())) {
        it = j.erase(it);
      } else {
        canonicalize(it.value(), tmp);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& item : j) canonicalize(item, tmp);
  } else if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (size_t at; (at = s.find(tmp)) != std::string::npos;) s.replace(at, tmp.size(), "$TMP");
    j = s;
  }
}

// A file's hash: raw bytes, or for .json/.jsonl the canonical text (timing keys out, $TMP in).
std::string output_hash(const fs::path& file, const fs::path& tmp) {
  const std::string ext = file.extension().string();
  if (ext != ".json" && ext != ".jsonl") return hash_file(file);
  std::ifstream in(file);
  std::string line, text;
  auto add = [&](const std::string& chunk) {
    Json j = Json::parse(chunk);
    canonicalize(j, tmp.string());
    text += j.dump() + "\n";
  };
  if (ext == ".json") {
    add(read_file(file));
  } else {
    while (std::getline(in, line))
      if (!line.empty()) add(line);
  }
  Fnv64 h;
  h.add(text);
  return h.hex();
}

std::string platform_key() {
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  std::string core = forced ? forced : better_openblas_core();
  if (core.empty()) core = openblas_core();
  return std::string("libtorch-") + TORCH_VERSION + "/openblas-" + (core.empty() ? "none" : core);
}

struct Fixture {
  fs::path dir, expert, amateur, problems;

  fs::path config(const std::string& name, const std::vector<std::string>& extra) const {
    std::vector<std::string> sets = {"expert.path=" + expert.string(), "amateur.path=" + amateur.string(),
                                     "expert.dtype=f32", "amateur.dtype=f32", "device=cpu",
                                     "output_dir=" + (dir / name).string(), "data.path=" + problems.string(),
                                     "prompt.template=question-answer", "sample.max_new_tokens=16", "sample.batch_size=3",
                                     "selection.beta=0.05", "train.batch_size=2", "train.log_every=1",
                                     "train.max_steps=5", "train.checkpoint_every=0", "optim.lr=1e-3",
                                     "lora.dropout=0.1", "eval.max_new_tokens=12", "eval.batch_size=3"};
    sets.insert(sets.end(), extra.begin(), extra.end());
    fs::path path = dir / (name + ".json");
    write_file_atomic(path, config::config_to_json(config::load_run_config("", sets)).dump(2));
    return path;
  }
};

std::string run(const std::string& args, int expected_exit = 0) {
  auto r = lrtest::run_binary("--threads 1 --log-level warn " + args);
  EXPECT_EQ(r.exit_code, expected_exit) << args << "\n" << r.output;
  return r.output;
}

}  // namespace

TEST(Golden, WorkflowOutputsAreByteIdenticalToTheRecordedOnes) {
  Fixture f;
  f.dir = lrtest::temp_dir();
  f.expert = lrtest::make_stories_model(f.dir / "expert", "qwen2", 11);
  f.amateur = lrtest::make_stories_model(f.dir / "amateur", "llama", 12);
  f.problems = f.dir / "problems.jsonl";
  std::string text;
  for (int i = 0; i < 7; ++i) {
    text += Json{{"question", "Lily had " + std::to_string(i) + " apples and found 4 more."},
                 {"answer", "She has " + std::to_string(i + 4) + " apples.\n#### " + std::to_string(i + 4)},
                 {"id", "p" + std::to_string(i)}}
                .dump() +
            "\n";
  }
  write_file_atomic(f.problems, text);

  const auto c = [](const fs::path& p) { return "--config '" + p.string() + "'"; };
  run("sample " + c(f.config("train", {})));
  run("train " + c(f.config("train", {})));
  run("train " + c(f.config("train-step", {"train.packing=step", "target.kind=expert", "train.grad_accum=2",
                                           "optim.schedule=cosine", "optim.warmup_steps=2"})));
  run("sft " + c(f.config("sft-lora", {"lora.targets=[\"q_proj\",\"o_proj\",\"up_proj\"]", "lora.r=4"})));
  run("sft " + c(f.config("sft-full", {"sft.full_finetune=true", "train.batch_size=3"})));
  // Rejection sampling with a random model grades every rollout wrong, so sft stops (exit 1) after
  // writing the graded rollouts, which are the golden output here.
  run("sft " + c(f.config("sft-rejection", {"sft.source=rejection", "sft.max_new_tokens=12", "sft.batch_size=3"})), 1);
  run("eval " + c(f.config("eval", {"eval.datasets=[\"" + f.problems.string() + "\"]", "eval.data_name=gsm8k",
                                    "eval.template=cot"})));
  run("eval " + c(f.config("eval-adapter", {"eval.datasets=[\"" + f.problems.string() + "\"]",
                                            "eval.data_name=gsm8k", "eval.template=cot"})) +
      " --adapter '" + (f.dir / "train/adapter").string() + "'");
  std::string graded;
  for (int i = 0; i < 5; ++i)
    graded += Json{{"question", "q" + std::to_string(i)}, {"answer", "#### " + std::to_string(i)},
                   {"completion", "so the answer is " + std::to_string(i % 2 ? i : i + 1)}}
                  .dump() +
              "\n";
  write_file_atomic(f.dir / "graded.jsonl", graded);
  run("eval --grade '" + (f.dir / "graded.jsonl").string() + "' --dataset gsm8k --out '" +
      (f.dir / "grade").string() + "'");
  run("merge --model '" + f.expert.string() + "' --adapter '" + (f.dir / "train/adapter").string() + "' --out '" +
      (f.dir / "merged").string() + "'");

  const std::vector<std::string> outputs = {
      "train/contrast.jsonl",
      "train/adapter/adapter_model.safetensors",
      "train/adapter/adapter_config.json",
      "train/metrics.jsonl",
      "train/checkpoints/checkpoint-5/trainer_state.json",
      "train-step/adapter/adapter_model.safetensors",
      "train-step/metrics.jsonl",
      "sft-lora/adapter/adapter_model.safetensors",
      "sft-lora/adapter/adapter_config.json",
      "sft-lora/metrics.jsonl",
      "sft-full/model/model.safetensors",
      "sft-full/metrics.jsonl",
      "sft-rejection/rejection/predictions.jsonl",
      "eval/eval/predictions.jsonl",
      "eval/eval/summary.json",
      "eval-adapter/eval/predictions.jsonl",
      "eval-adapter/eval/summary.json",
      "grade/predictions.jsonl",
      "grade/summary.json",
      "merged/model.safetensors",
  };
  Json found = Json::object();
  for (const auto& name : outputs) {
    const fs::path file = f.dir / name;
    ASSERT_TRUE(fs::exists(file)) << name;
    found[name] = output_hash(file, f.dir);
  }

  Json all = fs::exists(kExpectations) ? Json::parse(read_file(kExpectations)) : Json::object();
  const std::string key = platform_key();
  if (std::getenv("LR_GOLDEN_RECORD")) {
    all[key] = found;
    fs::create_directories(kExpectations.parent_path());
    write_file_atomic(kExpectations, all.dump(2) + "\n");
    GTEST_SKIP() << "recorded " << outputs.size() << " hashes for " << key << " in " << kExpectations.string();
  }
  if (!all.contains(key))
    GTEST_SKIP() << "no golden hashes recorded for " << key << " (recorded: " << all.size()
                 << " platform(s)); found:\n" << found.dump(2);
  const Json& expected = all[key];
  for (const auto& name : outputs) {
    ASSERT_TRUE(expected.contains(name)) << name << " has no recorded hash for " << key;
    EXPECT_EQ(found[name], expected[name]) << name << " changed (its bytes differ from the recorded output)";
  }
  EXPECT_EQ(expected.size(), outputs.size()) << "recorded outputs that this test no longer produces";
}
