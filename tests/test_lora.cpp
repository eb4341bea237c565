// LoRA adapters: B = 0 leaves the base logits bitwise unchanged, merged = unmerged, only A/B get
// gradients, dropout only while training (its parallel CPU mask equal to its serial reference, with
// the keep rate and scale of inverted dropout, reproduced by the generator's seed), the saved PEFT directory has exactly the classic
// config keys and the key names/shapes/dtype of docs/formats.md (PEFT adapter), save → load round-trips, PEFT 0.21
// adapters (tests/fixtures/hf_parity/<arch>/adapter) reproduce PEFT's logits, bad adapters are
// refused with clear messages, and `merge` writes a directory our loader reads back.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/hash.h"
#include "lightreasoner/io/safetensors.h"
#include "lightreasoner/model/dropout.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/model/merge.h"
#include "model_support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

namespace {

torch::Tensor logits_of(model::CausalLM& m, const torch::Tensor& ids) {
  torch::NoGradGuard no_grad;
  return m.logits(m.forward(ids)).to(torch::kFloat32);  // [B, T, V]
}

torch::Tensor some_ids(int64_t vocab) {
  return torch::arange(0, 14, torch::kInt64).mul(37).remainder(vocab).reshape({2, 7});  // [2, 7]
}

model::LoraSpec all_targets_spec() {
  model::LoraSpec spec;
  spec.r = 4;
  spec.alpha = 8;
  spec.dropout = 0.0;
  spec.targets = model::lora_target_names();
  return spec;
}

void randomize_b(const std::vector<model::LoraModule>& modules, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (const auto& m : modules) m.adapter->B.normal_(0.0, 0.2);
}

}  // namespace

TEST(Lora, ZeroBGivesExactlyTheBaseLogits) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto ids = some_ids(model->config().vocab_size);
  auto base = logits_of(*model, ids);
  auto modules = model::attach_lora(*model, all_targets_spec(), 3);
  ASSERT_EQ(modules.size(), static_cast<size_t>(7 * model->config().num_hidden_layers));
  // A is kaiming-uniform (a = √5): within ±1/√in and not zero; B is zero.
  for (const auto& m : modules) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(m.linear->in_features()));
    EXPECT_LE(m.adapter->A.abs().max().item<double>(), bound);
    EXPECT_GT(m.adapter->A.abs().max().item<double>(), 0.5 * bound);
    EXPECT_EQ(m.adapter->B.abs().max().item<double>(), 0.0);
  }
  EXPECT_TRUE(torch::equal(logits_of(*model, ids), base));
  randomize_b(modules, 1);
  EXPECT_GT(lrtest::max_abs_diff(logits_of(*model, ids), base), 1e-3);  // the adapter is live
  model::detach_lora(*model);
  EXPECT_TRUE(torch::equal(logits_of(*model, ids), base));
}

TEST(Lora, ScaleAndRsLora) {
  model::LoraSpec spec;
  spec.r = 16;
  spec.alpha = 32;
  EXPECT_DOUBLE_EQ(spec.scale(), 2.0);
  spec.use_rslora = true;
  EXPECT_DOUBLE_EQ(spec.scale(), 8.0);
}

// Merged (W + s·BA rounded to the dtype once) against unmerged (W·x plus the fp32 adapter path):
// both are roundings of the same exact function, so each is compared with the fp32 unmerged model
// within the dtype's rounding bound on that path (lrtest::logit_rounding_bound; the unmerged path
// adds 2 roundings — adapter output cast, sum — per projection on it, 4 per layer), and the two
// with each other within the sum of their bounds. In fp32 the same bound is ~1e-6 of the logits.
TEST(Lora, MergedEqualsUnmergedLogits) {
  const auto dir = lrtest::make_tiny_model("llama");
  auto exact = lrtest::load_tiny(dir, torch::kFloat32);
  auto exact_modules = model::attach_lora(*exact, all_targets_spec(), 5);
  randomize_b(exact_modules, 2);
  const auto ids = some_ids(exact->config().vocab_size).slice(0, 0, 1);  // [1, 7]
  auto reference = logits_of(*exact, ids).squeeze(0).to(torch::kFloat64);  // [T, V]
  const int64_t layers = exact->config().num_hidden_layers;
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    SCOPED_TRACE(dtype);
    auto model = lrtest::load_tiny(dir, dtype);
    auto modules = model::attach_lora(*model, all_targets_spec(), 5);
    randomize_b(modules, 2);
    auto adapted = logits_of(*model, ids).squeeze(0).to(torch::kFloat64);
    model::merge_lora(modules);
    for (const auto& m : modules) EXPECT_FALSE(m.linear->adapter);
    auto merged = logits_of(*model, ids).squeeze(0).to(torch::kFloat64);
    const auto merged_bound = lrtest::logit_rounding_bound(*exact, ids, dtype);
    const auto adapted_bound = lrtest::logit_rounding_bound(*exact, ids, dtype, 4 * layers);
    auto ratio = [](const torch::Tensor& error, const torch::Tensor& bound) {
      return (error / bound).max().item<double>();
    };
    const double r_merged = ratio((merged - reference).abs(), merged_bound);
    const double r_adapted = ratio((adapted - reference).abs(), adapted_bound);
    const double r_pair = ratio((merged - adapted).abs(), merged_bound + adapted_bound);
    std::cout << "dtype " << dtype << ": error/bound merged " << r_merged << ", unmerged " << r_adapted
              << ", merged vs unmerged " << r_pair << "\n";
    EXPECT_LE(r_merged, 1.0);
    EXPECT_LE(r_adapted, 1.0);
    EXPECT_LE(r_pair, 1.0);
    // The adapter is live at this tolerance: the base model is far outside it.
    model::detach_lora(*exact);
    EXPECT_GT(ratio((logits_of(*exact, ids).squeeze(0).to(torch::kFloat64) - reference).abs(), merged_bound), 1.0);
    exact_modules = model::attach_lora(*exact, all_targets_spec(), 5);
    randomize_b(exact_modules, 2);
  }
}

TEST(Lora, OnlyLoraParametersReceiveGradients) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen3"));
  auto spec = all_targets_spec();
  spec.targets = {"q_proj", "v_proj", "down_proj"};
  auto modules = model::attach_lora(*model, spec, 9);
  randomize_b(modules, 3);
  auto ids = some_ids(model->config().vocab_size);
  model->logits(model->forward(ids)).to(torch::kFloat32).logsumexp(-1).sum().backward();
  for (const auto& item : model->named_parameters()) {
    EXPECT_FALSE(item.value().requires_grad()) << item.key();
    EXPECT_FALSE(item.value().grad().defined()) << item.key();
  }
  for (const auto& [name, t] : model::lora_parameters(modules)) {
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().max().item<double>(), 0.0) << name;
  }
}

TEST(Lora, DropoutFollowsTheModelsTrainAndEvalModes) {
  auto model = lrtest::load_tiny(lrtest::make_tiny_model("qwen2"));
  auto spec = all_targets_spec();
  spec.dropout = 0.5;
  auto modules = model::attach_lora(*model, spec, 1);
  randomize_b(modules, 4);
  auto ids = some_ids(model->config().vocab_size);
  ASSERT_FALSE(model->is_training());  // loaded for inference: the adapters joined in eval mode
  auto eval1 = logits_of(*model, ids);
  EXPECT_TRUE(torch::equal(eval1, logits_of(*model, ids)));
  // The adapters are submodules: the model's train() reaches them.
  for (const auto& m : modules) EXPECT_TRUE(model->named_modules().contains(m.path + ".lora")) << m.path;
  model->train();
  for (const auto& m : modules) EXPECT_TRUE(m.adapter->is_training()) << m.path;
  torch::manual_seed(1);
  auto train1 = logits_of(*model, ids);
  torch::manual_seed(2);
  auto train2 = logits_of(*model, ids);
  EXPECT_GT(lrtest::max_abs_diff(train1, train2), 1e-4);
  torch::manual_seed(1);
  EXPECT_TRUE(torch::equal(train1, logits_of(*model, ids)));  // reseeding reproduces the masks
  // model.eval() disables LoRA dropout again: the output is the deterministic one.
  model->eval();
  torch::manual_seed(3);
  EXPECT_TRUE(torch::equal(eval1, logits_of(*model, ids)));
  // The base model's parameter names stay the checkpoint's.
  for (const auto& item : model->named_parameters()) EXPECT_EQ(item.key().find("lora"), std::string::npos) << item.key();
  // Detaching unregisters them.
  model::detach_lora(*model);
  for (const auto& item : model->named_modules()) EXPECT_EQ(item.key().find(".lora"), std::string::npos) << item.key();
}

TEST(Dropout, ParallelMaskEqualsTheSerialReferenceAtEveryThreadCount) {
  const int threads = at::get_num_threads();
  const int64_t n = 100003;  // not a multiple of any split
  for (uint64_t key : {0ULL, 1ULL, 0xDEADBEEFCAFEULL}) {
    auto reference = model::dropout_mask_reference(n, key, 0.05);
    for (int t : {1, 2, 3}) {
      at::set_num_threads(t);
      EXPECT_TRUE(torch::equal(model::dropout_mask(n, key, 0.05), reference)) << "key " << key << ", " << t << " threads";
    }
  }
  at::set_num_threads(threads);
}

TEST(Dropout, KeepsOneMinusPScaledByItsInverseWithIndependentKeys) {
  const int64_t n = 1000000;
  for (double p : {0.05, 0.5}) {
    auto mask = model::dropout_mask(n, 12345, p);
    auto kept = mask.ne(0);
    const double keep_rate = kept.to(torch::kFloat64).mean().item<double>();
    const double sigma = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(keep_rate, 1 - p, 5 * sigma) << "p " << p;
    // Kept elements carry exactly 1/(1-p): the expectation of x·mask is x.
    auto kept_values = mask.masked_select(kept);
    EXPECT_TRUE(torch::equal(kept_values, torch::full_like(kept_values, static_cast<float>(1 / (1 - p)))));
    // Neighbours are independent: both kept at the rate (1-p)², within 5σ.
    const double both = kept.narrow(0, 0, n - 1).logical_and(kept.narrow(0, 1, n - 1)).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(both, (1 - p) * (1 - p), 5 * std::sqrt((1 - p) * (1 - p) * (1 - (1 - p) * (1 - p)) / n)) << "p " << p;
    // Another key: an independent mask (the two disagree on 2p(1-p) of the elements).
    auto other = model::dropout_mask(n, 12346, p).ne(0);
    const double disagree = kept.ne(other).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(disagree, 2 * p * (1 - p), 5 * std::sqrt(2 * p * (1 - p) * (1 - 2 * p * (1 - p)) / n)) << "p " << p;
  }
  EXPECT_LR_ERROR(model::dropout_mask(4, 0, 1.0), "dropout probability must be in [0, 1) (got 1)");
}

// The key comes from LibTorch's default CPU generator: the trainer's per-micro-batch seed (and
// activation checkpointing's saved generator state) reproduces every mask.
TEST(Dropout, TrainingDropoutFollowsTheDefaultGeneratorAndPassesGradientThroughTheMask) {
  auto x = torch::randn({6, 7, 33});
  auto run = [&](uint64_t seed) {
    torch::manual_seed(seed);
    auto input = x.clone().requires_grad_(true);
    auto y = model::training_dropout(input, 0.3);
    y.sum().backward();
    return std::make_pair(y.detach(), input.grad());
  };
  auto [y1, g1] = run(7);
  auto [y2, g2] = run(7);
  auto [y3, g3] = run(8);
  EXPECT_TRUE(torch::equal(y1, y2));
  EXPECT_FALSE(torch::equal(y1, y3));
  // y = x · mask and dy/dx = mask: the gradient is the mask itself.
  EXPECT_TRUE(torch::allclose(y1, x * g1, 0.0, 0.0));
  EXPECT_TRUE(torch::equal(g1.ne(0), y1.ne(0).logical_or(x.eq(0))));
  // A non-contiguous input gets the mask in its logical order: as its contiguous copy does.
  torch::manual_seed(7);
  auto strided = model::training_dropout(x.transpose(0, 2), 0.3);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(strided, model::training_dropout(x.transpose(0, 2).contiguous(), 0.3)));
  EXPECT_TRUE(torch::equal(model::training_dropout(x, 0.0), x));  // p = 0: no mask, no draw
}

TEST(Lora, SavedAdapterMatchesPeftFormatAndRoundTrips) {
  auto model_dir = lrtest::make_tiny_model("qwen2");
  auto model = lrtest::load_tiny(model_dir);
  model::LoraSpec spec;  // the defaults: r 8, alpha 16, dropout 0.05, q_proj + v_proj
  auto modules = model::attach_lora(*model, spec, 42);
  randomize_b(modules, 5);
  auto ids = some_ids(model->config().vocab_size);
  auto adapted = logits_of(*model, ids);
  auto dir = lrtest::temp_dir() / "adapter";
  model::save_peft_adapter(dir, modules, spec, "base/model");

  auto config = nlohmann::json::parse(read_file(dir / "adapter_config.json"));
  std::vector<std::string> keys;
  for (auto it = config.begin(); it != config.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> classic = {"alpha_pattern", "base_model_name_or_path", "bias", "fan_in_fan_out",
                                            "inference_mode", "init_lora_weights", "layers_pattern",
                                            "layers_to_transform", "lora_alpha", "lora_dropout", "modules_to_save",
                                            "peft_type", "r", "rank_pattern", "revision", "target_modules",
                                            "task_type", "use_dora", "use_rslora"};
  EXPECT_EQ(keys, classic);
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["task_type"], "CAUSAL_LM");
  EXPECT_EQ(config["r"], 8);
  EXPECT_TRUE(config["lora_alpha"].is_number_integer());
  EXPECT_EQ(config["lora_alpha"], 16);
  EXPECT_DOUBLE_EQ(config["lora_dropout"].get<double>(), 0.05);
  EXPECT_EQ(config["target_modules"], nlohmann::json::array({"q_proj", "v_proj"}));
  EXPECT_EQ(config["bias"], "none");
  EXPECT_EQ(config["base_model_name_or_path"], "base/model");

  auto file = io::SafetensorsFile::open(dir / "adapter_model.safetensors");
  EXPECT_EQ(file->header().metadata.at("format"), "pt");
  const auto& mc = model->config();
  ASSERT_EQ(file->tensors().size(), static_cast<size_t>(4 * mc.num_hidden_layers));
  for (int64_t layer = 0; layer < mc.num_hidden_layers; ++layer) {
    const std::string p = "base_model.model.model.layers." + std::to_string(layer) + ".self_attn.";
    for (auto [proj, out] : {std::pair<std::string, int64_t>{"q_proj", mc.q_dim()}, {"v_proj", mc.kv_dim()}}) {
      const auto* a = file->find(p + proj + ".lora_A.weight");
      const auto* b = file->find(p + proj + ".lora_B.weight");
      ASSERT_TRUE(a && b) << p + proj;
      EXPECT_EQ(a->dtype, io::StDtype::F32);
      EXPECT_EQ(b->dtype, io::StDtype::F32);
      EXPECT_EQ(a->shape, (std::vector<int64_t>{8, mc.hidden_size}));
      EXPECT_EQ(b->shape, (std::vector<int64_t>{out, 8}));
    }
  }
  // Load onto a fresh base: the same logits.
  auto reloaded = model::load_model_with_adapter(model_dir, dir, {torch::kFloat32});
  EXPECT_TRUE(torch::equal(logits_of(*reloaded, ids), adapted));
}

TEST(Lora, PeftWrittenAdaptersReproducePeftLogits) {
  const fs::path root = fs::path(LR_SOURCE_DIR) / "tests/fixtures/hf_parity";
  for (const std::string arch : {"qwen2", "llama", "qwen3"}) {
    SCOPED_TRACE(arch);
    auto reference = nlohmann::json::parse(read_file(root / arch / "reference.json"));
    model::LoadOptions options;
    options.dtype = torch::kFloat32;
    auto base = model::load_model(root / arch, options);
    auto adapted = model::load_model_with_adapter(root / arch, root / arch / "adapter", options);
    const auto& prompts = reference["prompts"];
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto ids = torch::tensor(prompts[i].get<std::vector<int64_t>>(), torch::kInt64).unsqueeze(0);  // [1, T]
      std::vector<std::vector<float>> rows = reference["adapter_logits"][i];
      std::vector<float> flat;
      for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
      auto expected = torch::tensor(flat).reshape({static_cast<int64_t>(rows.size()), -1});  // [T, V]
      auto ours = logits_of(*adapted, ids).squeeze(0);                                  // [T, V]
      EXPECT_LT(lrtest::max_abs_diff(ours, expected), 2e-4) << "prompt " << i;
      // The adapter matters at this tolerance: the base logits are far from PEFT's adapted ones.
      EXPECT_GT(lrtest::max_abs_diff(logits_of(*base, ids).squeeze(0), expected), 1e-2) << "prompt " << i;
    }
  }
}

// The other direction: an adapter our writer wrote loads in PEFT. Our adapter on each parity model
// (A and B set by a formula, so every LibTorch writes the same bytes) is written to
// $LR_PEFT_EXPORT_DIR/<arch> when that is set; scripts/hf_parity_fixtures.py --peft-check (GPU
// machine, scripts/gpu_check.sh step "peft") loads it with peft.PeftModel.from_pretrained and records
// PEFT's logits and the adapter file's FNV-1a hash in tests/fixtures/hf_parity/<arch>/peft_loads_ours.json.
// Here: the recording is of this very file (hash) and PEFT's logits equal ours. Skips (allow-listed
// as pending) until that file has been recorded.
TEST(Lora, AdaptersWeWriteArePeftLoadable) {
  const fs::path root = fs::path(LR_SOURCE_DIR) / "tests/fixtures/hf_parity";
  const char* export_dir = std::getenv("LR_PEFT_EXPORT_DIR");
  bool recorded_any = false;
  for (const std::string arch : {"qwen2", "llama", "qwen3"}) {
    SCOPED_TRACE(arch);
    auto reference = nlohmann::json::parse(read_file(root / arch / "reference.json"));
    auto model = model::load_model(root / arch, {torch::kFloat32});
    auto modules = model::attach_lora(*model, all_targets_spec(), 1);
    {
      torch::NoGradGuard no_grad;
      for (size_t m = 0; m < modules.size(); ++m) {
        for (auto* t : {&modules[m].adapter->A, &modules[m].adapter->B}) {
          const auto n = t->numel();
          auto index = torch::arange(n, torch::kFloat64).reshape(t->sizes());
          t->copy_((index * 0.37 + static_cast<double>(m) * 1.3).sin() * 0.3);  // |entries| ≤ 0.3, every one non-zero
        }
      }
    }
    const fs::path dir = export_dir ? fs::path(export_dir) / arch : lrtest::temp_dir(arch);
    model::save_peft_adapter(dir, modules, all_targets_spec(), arch);
    const auto prompts = reference.at("prompts").get<std::vector<std::vector<int64_t>>>();
    const auto recorded_path = root / arch / "peft_loads_ours.json";
    if (!fs::exists(recorded_path)) continue;
    recorded_any = true;
    const auto recorded = nlohmann::json::parse(read_file(recorded_path));
    EXPECT_EQ(recorded.at("adapter_fnv1a64").get<std::string>(), hash_file(dir / "adapter_model.safetensors"))
        << "the recorded PEFT check is of another adapter file: record it again";
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto ids = torch::tensor(prompts[i], torch::kInt64).unsqueeze(0);  // [1, T]
      std::vector<torch::Tensor> rows;
      for (const auto& row : recorded.at("logits")[i]) rows.push_back(torch::tensor(row.get<std::vector<float>>()));
      auto peft_logits = torch::stack(rows);  // [T, V]
      // fp32 on both sides, as the parity fixtures' 1e-4 (the adapter adds two rank-4 products per projection).
      EXPECT_LT(lrtest::max_abs_diff(logits_of(*model, ids).squeeze(0), peft_logits), 1e-4) << "prompt " << i;
    }
  }
  if (!recorded_any) GTEST_SKIP() << "PEFT's load of our adapters not recorded yet (scripts/gpu_check.sh step peft)";
}

TEST(Lora, BadAdaptersAreRefused) {
  auto model_dir = lrtest::make_tiny_model("qwen2");
  auto model = lrtest::load_tiny(model_dir);
  auto modules = model::attach_lora(*model, all_targets_spec(), 1);
  auto dir = lrtest::temp_dir() / "adapter";
  model::save_peft_adapter(dir, modules, all_targets_spec(), "x");
  model::detach_lora(*model);

  // A tensor missing (PEFT would silently leave B = 0: we refuse).
  auto file = io::SafetensorsFile::open(dir / "adapter_model.safetensors");
  io::NamedTensors kept;
  for (const auto& info : file->tensors())
    if (info.name.find("layers.1.mlp.up_proj.lora_B") == std::string::npos) kept.emplace_back(info.name, file->tensor(info.name).clone());
  file.reset();
  auto broken = lrtest::temp_dir("broken");
  fs::copy_file(dir / "adapter_config.json", broken / "adapter_config.json");
  io::write_safetensors(broken / "adapter_model.safetensors", kept);
  EXPECT_LR_ERROR(model::load_peft_adapter(*model, broken), "missing base_model.model.model.layers.1.mlp.up_proj.lora_B.weight");
  // The failed load leaves no half-attached adapters behind.
  auto expect_no_adapter_attached = [&] {
    for (const auto& item : model->named_modules("", false))
      if (auto linear = std::dynamic_pointer_cast<model::Linear>(item.value())) EXPECT_FALSE(linear->adapter);
  };
  expect_no_adapter_attached();

  // Wrong rank in the config: refused from the file's tensor table, before any LoRA is allocated
  // (a hostile r of 10^9 would otherwise ask for r × in_features floats per module).
  auto config = nlohmann::json::parse(read_file(dir / "adapter_config.json"));
  const std::vector<std::pair<nlohmann::json, std::string>> bad_ranks = {
      {2, "first 4, but adapter_config.json says r = 2"},
      {1000000000, "key 'r' must be an integer in [1, 65536], got 1000000000"},
      {65536, "adapter_config.json says r = 65536"},
      {1e300, "key 'r' is out of range (got 1e+300)"},
      {2.5, "key 'r' must be an integer (got 2.5)"}};
  for (const auto& [r, refusal] : bad_ranks) {
    config["r"] = r;
    write_file_atomic(dir / "adapter_config.json", config.dump());
    EXPECT_LR_ERROR(model::load_peft_adapter(*model, dir), refusal);
  }
  expect_no_adapter_attached();
  // An adapter file without lora_A tensors: nothing to size r against.
  io::NamedTensors only_b;
  {
    auto f = io::SafetensorsFile::open(dir / "adapter_model.safetensors");
    for (const auto& info : f->tensors())
      if (info.name.find("lora_B") != std::string::npos) only_b.emplace_back(info.name, f->tensor(info.name).clone());
  }
  config["r"] = 4;
  write_file_atomic(broken / "adapter_config.json", config.dump());
  io::write_safetensors(broken / "adapter_model.safetensors", only_b);
  EXPECT_LR_ERROR(model::load_peft_adapter(*model, broken), "no lora_A tensors");
  config["use_dora"] = true;
  write_file_atomic(dir / "adapter_config.json", config.dump());
  EXPECT_LR_ERROR(model::load_peft_adapter(*model, dir), "key 'use_dora' is true, only false is supported");
  config["use_dora"] = false;
  config["peft_type"] = "IA3";
  write_file_atomic(dir / "adapter_config.json", config.dump());
  EXPECT_LR_ERROR(model::load_peft_adapter(*model, dir), "key 'peft_type' must be \"LORA\"");
  EXPECT_LR_ERROR(model::load_peft_adapter(*model, model_dir), "no adapter_config.json");
}

TEST(Lora, MergeWritesALoadableModelDirectory) {
  auto model_dir = lrtest::make_tiny_model("qwen2");
  auto model = lrtest::load_tiny(model_dir);
  auto modules = model::attach_lora(*model, all_targets_spec(), 8);
  randomize_b(modules, 6);
  auto ids = some_ids(model->config().vocab_size);
  auto adapted = logits_of(*model, ids);
  const auto dir = lrtest::temp_dir();  // (each temp_dir() call empties the directory)
  auto adapter = dir / "adapter";
  model::save_peft_adapter(adapter, modules, all_targets_spec(), model_dir.string());

  auto out = dir / "merged";
  auto report = model::merge_adapter_dir(model_dir, adapter, out, /*max_shard_bytes=*/40'000);  // forces shards
  EXPECT_EQ(report.modules_merged, static_cast<int64_t>(modules.size()));
  EXPECT_TRUE(fs::exists(out / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(out / "config.json"));
  EXPECT_TRUE(fs::exists(out / "generation_config.json"));
  auto merged = lrtest::load_tiny(out);
  EXPECT_LT(lrtest::max_abs_diff(logits_of(*merged, ids), adapted), 1e-4);
  // The merged weights differ from the base exactly where the adapter was.
  auto base = lrtest::load_tiny(model_dir);
  EXPECT_GT(lrtest::max_abs_diff(merged->model->layers[0]->self_attn->q_proj->weight,
                                 base->model->layers[0]->self_attn->q_proj->weight), 0.0);
  EXPECT_TRUE(torch::equal(merged->model->embed_tokens->weight, base->model->embed_tokens->weight));
  EXPECT_LR_ERROR(model::merge_adapter_dir(model_dir, adapter, model_dir), "--out must differ from --model");
}
