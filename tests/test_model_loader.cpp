// Strict loading: dtype conversion on load, sharded checkpoints, tied heads, and the precise
// errors for missing / unexpected / mis-shaped / non-float tensors and corrupt indexes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/io/safetensors.h"
#include "model_support.h"

namespace {

using namespace lightreasoner;
namespace fs = std::filesystem;

// The tiny model's tensors, to be edited and written back.
io::NamedTensors tensors_of(const fs::path& dir) {
  auto ckpt = io::Checkpoint::open(dir);
  io::NamedTensors tensors;
  for (const auto& name : ckpt.names()) tensors.emplace_back(name, ckpt.tensor(name).clone());
  return tensors;
}

void rewrite(const fs::path& dir, const io::NamedTensors& tensors) {
  io::write_safetensors(dir / "model.safetensors", tensors);
}

std::string load_error(const fs::path& dir) {
  try {
    model::load_model(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

torch::Tensor logits_of(model::CausalLM& lm) {
  torch::NoGradGuard no_grad;
  return lm.logits(lm.forward(torch::tensor({{3, 1, 4, 1, 5, 9}}, torch::kInt64))).to(torch::kFloat32);
}

TEST(Loader, ConvertsDtypeOnLoad) {
  const auto dir = lrtest::make_tiny_model("qwen2");
  auto f32 = lrtest::load_tiny(dir, torch::kFloat32);
  for (auto dtype : {torch::kBFloat16, torch::kFloat16}) {
    auto lm = lrtest::load_tiny(dir, dtype);
    auto w = lm->model->layers[1]->mlp->up_proj->weight;
    EXPECT_EQ(w.scalar_type(), dtype);
    EXPECT_TRUE(torch::equal(w, f32->model->layers[1]->mlp->up_proj->weight.to(dtype)));
  }
  // A bf16 checkpoint loads into fp32 exactly (bf16 → f32 is lossless).
  const auto bf16_dir = lrtest::temp_dir("bf16");
  model::ModelDirOptions options;
  options.dtype = torch::kBFloat16;
  model::write_model_dir(*f32, {}, bf16_dir, options);
  auto ckpt = io::Checkpoint::open(bf16_dir);
  EXPECT_EQ(ckpt.info("model.norm.weight").dtype, io::StDtype::BF16);
  auto up = lrtest::load_tiny(bf16_dir, torch::kFloat32);
  EXPECT_EQ(up->dtype(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(up->model->norm->weight, f32->model->norm->weight.to(torch::kBFloat16).to(torch::kFloat32)));
  // Without an explicit dtype the config's torch_dtype is used.
  EXPECT_EQ(model::load_model(bf16_dir)->dtype(), torch::kBFloat16);
}

TEST(Loader, ShardedCheckpointEqualsSingleFile) {
  const auto dir = lrtest::make_tiny_model("llama");
  auto single = lrtest::load_tiny(dir);
  const auto sharded_dir = lrtest::temp_dir("sharded");
  model::ModelDirOptions options;
  options.max_shard_bytes = 100'000;  // ~6 shards for the 0.6 MB tiny llama
  model::write_model_dir(*single, {}, sharded_dir, options);
  ASSERT_TRUE(fs::exists(sharded_dir / "model.safetensors.index.json"));
  ASSERT_FALSE(fs::exists(sharded_dir / "model.safetensors"));
  auto sharded = lrtest::load_tiny(sharded_dir);
  EXPECT_GT(io::Checkpoint::open(sharded_dir).files().size(), 2u);
  EXPECT_TRUE(torch::equal(logits_of(*sharded), logits_of(*single)));
}

TEST(Loader, TiedHeadAcceptsARedundantLmHeadAndUntiedNeedsIt) {
  const auto tied_dir = lrtest::make_tiny_model("qwen2");
  auto tensors = tensors_of(tied_dir);
  torch::Tensor embed;
  for (const auto& [name, t] : tensors) {
    if (name == "model.embed_tokens.weight") embed = t;
  }
  tensors.emplace_back("lm_head.weight", embed.clone());
  rewrite(tied_dir, tensors);
  EXPECT_NO_THROW(model::load_model(tied_dir));

  const auto untied_dir = lrtest::make_tiny_model("llama");  // the tiny llama preset is untied
  auto untied = tensors_of(untied_dir);
  untied.erase(std::remove_if(untied.begin(), untied.end(), [](const auto& p) { return p.first == "lm_head.weight"; }),
               untied.end());
  rewrite(untied_dir, untied);
  EXPECT_NE(load_error(untied_dir).find("missing tensors (1):\n    lm_head.weight"), std::string::npos)
      << load_error(untied_dir);
}

TEST(Loader, ReportsEveryMissingAndUnexpectedTensorInOneError) {
  const auto dir = lrtest::make_tiny_model("qwen2");
  auto tensors = tensors_of(dir);
  io::NamedTensors edited;
  for (const auto& [name, t] : tensors) {
    if (name == "model.layers.1.self_attn.k_proj.bias" || name == "model.norm.weight") continue;  // drop two
    edited.emplace_back(name, t);
  }
  edited.emplace_back("model.layers.2.self_attn.q_proj.weight", torch::zeros({4, 4}));  // one extra
  rewrite(dir, edited);
  const std::string error = load_error(dir);
  EXPECT_NE(error.find(dir.string() + ": checkpoint does not match the model built from its config"), std::string::npos)
      << error;
  EXPECT_NE(error.find("missing tensors (2):\n    model.layers.1.self_attn.k_proj.bias\n    model.norm.weight"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("unexpected tensors (1):\n    model.layers.2.self_attn.q_proj.weight"), std::string::npos)
      << error;
}

TEST(Loader, RejectsWrongShapeAndWrongDtype) {
  const auto dir = lrtest::make_tiny_model("qwen3");
  auto tensors = tensors_of(dir);
  for (auto& [name, t] : tensors) {
    if (name == "model.layers.0.self_attn.q_norm.weight") t = torch::ones({16});               // head_dim is 32
    if (name == "model.layers.0.mlp.gate_proj.weight") t = t.to(torch::kInt32);               // not a float
  }
  rewrite(dir, tensors);
  const std::string error = load_error(dir);
  EXPECT_NE(error.find("model.layers.0.self_attn.q_norm.weight: shape [16], expected [32]"), std::string::npos) << error;
  EXPECT_NE(error.find("model.layers.0.mlp.gate_proj.weight: dtype I32, expected F32, BF16 or F16"), std::string::npos)
      << error;
}

TEST(Loader, CorruptIndexAndMissingFiles) {
  const auto dir = lrtest::make_tiny_model("llama");
  auto lm = lrtest::load_tiny(dir);
  const auto sharded = lrtest::temp_dir("sharded");
  model::ModelDirOptions options;
  options.max_shard_bytes = 200'000;
  model::write_model_dir(*lm, {}, sharded, options);
  const auto index = sharded / "model.safetensors.index.json";
  const std::string good = read_file(index);

  write_file_atomic(index, good.substr(0, good.size() / 2));  // truncated JSON
  EXPECT_NE(load_error(sharded).find("model.safetensors.index.json: not a valid JSON object"), std::string::npos)
      << load_error(sharded);

  std::string wrong_shard = good;
  wrong_shard.replace(wrong_shard.find("model-00001-of-"), 15, "model-00009-of-");
  write_file_atomic(index, wrong_shard);
  EXPECT_NE(load_error(sharded).find("lists shard 'model-00009-of-"), std::string::npos) << load_error(sharded);

  write_file_atomic(index, good);
  fs::remove(sharded / "config.json");
  EXPECT_NE(load_error(sharded).find("has no config.json"), std::string::npos) << load_error(sharded);
  EXPECT_NE(load_error(lrtest::temp_dir("empty")).find("has no config.json"), std::string::npos);
}

TEST(Loader, AConfigDeclaringFarMoreParametersThanTheCheckpointHoldsIsRefusedBeforeAllocating) {
  // 4000 layers is within the sane bound, but the tiny checkpoint holds ~0.2M values: building
  // the model first would allocate gigabytes only to report missing tensors afterwards.
  const auto dir = lrtest::make_tiny_model("llama");
  const auto config = nlohmann::json::parse(read_file(dir / "config.json"));
  auto edited = config;
  edited["num_hidden_layers"] = 4000;
  write_file_atomic(dir / "config.json", edited.dump());
  std::string error = load_error(dir);
  EXPECT_NE(error.find((dir / "config.json").string() + " declares "), std::string::npos) << error;
  EXPECT_NE(error.find("(4000 layers, hidden_size "), std::string::npos) << error;
  EXPECT_NE(error.find("refusing to allocate the model"), std::string::npos) << error;
  // One layer too many is a near miss: left to load_weights, whose error lists what is missing.
  edited["num_hidden_layers"] = config["num_hidden_layers"].get<int>() + 1;
  write_file_atomic(dir / "config.json", edited.dump());
  error = load_error(dir);
  EXPECT_NE(error.find("checkpoint does not match the model built from its config"), std::string::npos) << error;
  EXPECT_NE(error.find("missing tensors"), std::string::npos) << error;
}

}  // namespace
