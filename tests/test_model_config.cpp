// ModelConfig parsing (both transformers spellings, derived sizes, architecture flags, clear
// errors) and the rope inv_freq variants against values worked out by hand (docs/formats.md (Rope scaling)).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "lightreasoner/model/init.h"
#include "lightreasoner/model/model_config.h"
#include "lightreasoner/model/rope.h"
#include "support.h"

namespace {

using namespace lightreasoner::model;
using Json = nlohmann::json;

Json qwen25_05b_v4() {
  return Json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896,
    "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
    "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "rope_scaling": null, "tie_word_embeddings": true, "use_sliding_window": false, "sliding_window": 32768,
    "max_window_layers": 21, "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16"})");
}

TEST(ModelConfig, ParsesQwen25AndDerivesSizes) {
  auto config = model_config_from_json(qwen25_05b_v4(), "config.json");
  EXPECT_EQ(config.architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(config.head_dim(), 64);
  EXPECT_EQ(config.q_dim(), 896);
  EXPECT_EQ(config.kv_dim(), 128);
  EXPECT_EQ(config.n_rep(), 7);
  EXPECT_TRUE(config.qkv_bias);
  EXPECT_FALSE(config.o_bias);
  EXPECT_FALSE(config.qk_norm);
  EXPECT_TRUE(config.tie_word_embeddings);
  EXPECT_FALSE(config.sliding_window.has_value());  // use_sliding_window false ⇒ ignored
  EXPECT_EQ(config.rope.type, RopeType::kDefault);
  EXPECT_DOUBLE_EQ(config.rope.theta, 1e6);
  EXPECT_EQ(config.torch_dtype, "bfloat16");
  EXPECT_EQ(config.eos_token_ids, std::vector<int64_t>({151645}));
  // 494,032,768 parameters: the published count of Qwen2.5-0.5B.
  EXPECT_EQ(config.num_parameters(), 494032768);
  // The init preset has the same shape.
  EXPECT_EQ(preset_config("", "qwen2.5-0.5b").num_parameters(), config.num_parameters());
}

TEST(ModelConfig, Transformers5SpellingEqualsTransformers4Spelling) {
  Json v5 = qwen25_05b_v4();
  v5.erase("rope_theta");
  v5.erase("rope_scaling");
  v5.erase("torch_dtype");
  v5["dtype"] = "bfloat16";
  v5["rope_parameters"] = {{"rope_theta", 1000000.0}, {"rope_type", "default"}};
  v5["layer_types"] = Json::array({"full_attention"});
  v5["eos_token_id"] = Json::array({151645, 151643});
  auto a = model_config_from_json(qwen25_05b_v4(), "v4");
  auto b = model_config_from_json(v5, "v5");
  EXPECT_DOUBLE_EQ(b.rope.theta, a.rope.theta);
  EXPECT_EQ(b.torch_dtype, a.torch_dtype);
  EXPECT_EQ(b.eos_token_ids, std::vector<int64_t>({151645, 151643}));
  // A v5 yarn entry.
  v5["rope_parameters"] = {{"rope_theta", 1e6}, {"rope_type", "yarn"}, {"factor", 4.0},
                           {"original_max_position_embeddings", 32768}};
  auto yarn = model_config_from_json(v5, "v5");
  EXPECT_EQ(yarn.rope.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(yarn.rope.factor, 4.0);
  EXPECT_EQ(*yarn.rope.original_max_position_embeddings, 32768);
}

TEST(ModelConfig, ArchitectureFlags) {
  Json llama = qwen25_05b_v4();
  llama["architectures"] = {"LlamaForCausalLM"};
  llama["attention_bias"] = true;
  llama["mlp_bias"] = true;
  auto l = model_config_from_json(llama, "llama");
  EXPECT_TRUE(l.qkv_bias && l.o_bias && l.mlp_bias);
  Json qwen3 = qwen25_05b_v4();
  qwen3["architectures"] = {"Qwen3ForCausalLM"};
  qwen3["head_dim"] = 128;
  auto q3 = model_config_from_json(qwen3, "qwen3");
  EXPECT_TRUE(q3.qk_norm);
  EXPECT_FALSE(q3.qkv_bias);
  EXPECT_EQ(q3.head_dim(), 128);
  EXPECT_EQ(q3.q_dim(), 14 * 128);
  Json mistral = qwen25_05b_v4();
  mistral["architectures"] = {"MistralForCausalLM"};
  mistral["sliding_window"] = 4096;
  EXPECT_EQ(*model_config_from_json(mistral, "mistral").sliding_window, 4096);
}

TEST(ModelConfig, GenerationConfigEosListOverridesConfig) {
  auto config = model_config_from_json(qwen25_05b_v4(), "config.json");
  auto defaults = generation_defaults_from_json(
      Json::parse(R"({"bos_token_id":151643,"pad_token_id":151643,"do_sample":true,"eos_token_id":[151645,151643],
                      "repetition_penalty":1.1,"temperature":0.7,"top_p":0.8,"top_k":20})"),
      config, "generation_config.json");
  EXPECT_EQ(defaults.eos_token_ids, std::vector<int64_t>({151645, 151643}));
  EXPECT_EQ(*defaults.pad_token_id, 151643);
  EXPECT_TRUE(defaults.do_sample);
  EXPECT_EQ(defaults.top_k, 20);
  auto fallback = generation_defaults_from_json(Json::object(), config, "generation_config.json");
  EXPECT_EQ(fallback.eos_token_ids, std::vector<int64_t>({151645}));
}

TEST(ModelConfig, RoundTripsThroughToJson) {
  for (const auto& [arch, size] : std::vector<std::pair<std::string, std::string>>{
           {"qwen2", "tiny"}, {"llama", "tiny"}, {"qwen3", "tiny"}, {"", "llama3.2-1b"}}) {
    auto config = preset_config(arch, size);
    auto back = model_config_from_json(model_config_to_json(config), "roundtrip");
    EXPECT_EQ(back.num_parameters(), config.num_parameters()) << size;
    EXPECT_EQ(back.qkv_bias, config.qkv_bias);
    EXPECT_EQ(back.qk_norm, config.qk_norm);
    EXPECT_EQ(back.head_dim(), config.head_dim());
    EXPECT_EQ(back.rope.type, config.rope.type);
    EXPECT_EQ(back.tie_word_embeddings, config.tie_word_embeddings);
  }
}

TEST(ModelConfig, ErrorsNameTheFileAndKey) {
  Json bad = qwen25_05b_v4();
  bad["architectures"] = {"GPT2LMHeadModel"};
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "m/config.json: architecture 'GPT2LMHeadModel' is not supported");
  bad = qwen25_05b_v4();
  bad["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 2.0}};
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "rope type 'longrope' is not supported");
  bad = qwen25_05b_v4();
  bad["rope_scaling"] = {{"type", "llama3"}, {"factor", 8.0}};
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "requires key 'low_freq_factor'");
  bad = qwen25_05b_v4();
  bad["hidden_act"] = "gelu";
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "hidden_act 'gelu' is not supported");
  bad = qwen25_05b_v4();
  bad.erase("hidden_size");
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "m/config.json: missing key 'hidden_size'");
  bad = qwen25_05b_v4();
  bad["num_hidden_layers"] = "24";
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "key 'num_hidden_layers' must be an integer (got \"24\")");
  bad = qwen25_05b_v4();
  bad["num_key_value_heads"] = 3;
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "must be a multiple of num_key_value_heads (3)");
  EXPECT_LR_ERROR(preset_config("llama", "qwen2.5-0.5b"), "size 'qwen2.5-0.5b' is a qwen2 model");
  EXPECT_LR_ERROR(preset_config("qwen2", "huge"), "unknown model size 'huge'");
}

TEST(ModelConfig, AbsurdSizesAreRefusedByNameBeforeAnythingIsAllocated) {
  // Each of these would have the model constructor ask for terabytes (or overflow the size
  // arithmetic) before the checkpoint is even looked at.
  const std::vector<std::pair<std::string, Json>> cases = {
      {"num_hidden_layers", 1'000'000'000}, {"hidden_size", 100'000'000}, {"vocab_size", int64_t{1} << 40},
      {"intermediate_size", int64_t{1} << 40}, {"num_attention_heads", 1'000'000}, {"head_dim", 1 << 20},
      {"max_position_embeddings", int64_t{1} << 50}};
  for (const auto& [key, value] : cases) {
    Json bad = qwen25_05b_v4();
    bad[key] = value;
    if (key == "num_attention_heads") bad["num_key_value_heads"] = value;
    EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"),
                    "m/config.json: key '" + key + "' is " + value.dump() + ", more than the sane bound");
  }
}

TEST(ModelConfig, IntegersBeyondInt64AreOutOfRangeNotWrappedOrUndefined) {
  Json bad = qwen25_05b_v4();
  bad["num_hidden_layers"] = 1e300;  // a whole float: converting it to int64 is undefined behaviour
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "key 'num_hidden_layers' is out of range (got 1e+300)");
  bad = qwen25_05b_v4();
  bad["hidden_size"] = uint64_t{1} << 63;  // would wrap to a negative size
  EXPECT_LR_ERROR(model_config_from_json(bad, "m/config.json"), "key 'hidden_size' is out of range (got 9223372036854775808)");
}

TEST(ModelConfig, AConfigFileLargerThanTheBoundIsRefusedUnread) {
  const auto dir = lrtest::temp_dir();
  { std::ofstream(dir / "config.json") << "{}"; }
  std::filesystem::resize_file(dir / "config.json", (uint64_t{16} << 20) + 1);  // sparse: no disk used
  EXPECT_LR_ERROR(load_model_config(dir), "config.json: 16777217 bytes, more than the 16777216 bytes allowed for a model config");
}

// ---------------- rope: inv_freq by hand (dim 8, theta 10000 ⇒ default [1, 0.1, 0.01, 0.001]) ----------------

ModelConfig rope_config(const Json& scaling) {
  Json json = {{"architectures", {"LlamaForCausalLM"}}, {"vocab_size", 16},       {"hidden_size", 32},
               {"intermediate_size", 64},                 {"num_hidden_layers", 1}, {"num_attention_heads", 4},
               {"max_position_embeddings", 16},          {"rope_theta", 10000.0}, {"rope_scaling", scaling}};
  return model_config_from_json(json, "rope");  // head_dim 8 ⇒ rotary dim 8, 4 frequencies
}

void expect_inv_freq(const torch::Tensor& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[static_cast<int64_t>(i)].item<double>(), expected[i], 1e-6 * expected[i] + 1e-9) << "index " << i;
  }
}

TEST(Rope, DefaultAndLinear) {
  expect_inv_freq(rope_inv_freq(rope_config(nullptr)), {1.0, 0.1, 0.01, 0.001});
  expect_inv_freq(rope_inv_freq(rope_config({{"type", "linear"}, {"factor", 4.0}})), {0.25, 0.025, 0.0025, 0.00025});
  EXPECT_DOUBLE_EQ(rope_attention_scaling(rope_config(nullptr)), 1.0);
}

TEST(Rope, Llama3) {
  // old context 1000, low/high freq factors 1/4 ⇒ wavelength bands (>1000: /8; <250: kept).
  // wavelen = 2π/inv_freq = [6.28, 62.8, 628.3, 6283]: kept, kept, smoothed, divided by 8.
  // smooth = (1000/628.3185 - 1) / 3 = 0.1971834; 0.01 * ((1 - s)/8 + s) = 0.002975352.
  auto config = rope_config({{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 1000}});
  expect_inv_freq(rope_inv_freq(config), {1.0, 0.1, 0.002975352, 0.000125});
}

TEST(Rope, Yarn) {
  // factor 4, original 2048, beta 32/1: correction dims 8 ln(2048/(2π·32)) / (2 ln 1e4) = 1.008 → low 1,
  // 8 ln(2048/2π) / (2 ln 1e4) = 2.513 → high 3; ramp (i-1)/2 = [0, 0, .5, 1]; extrapolation weight 1 - ramp.
  // i=2: .5·0.01 + .5·0.01/4 = 0.00625; i=3: 0.001/4. attention factor 0.1 ln 4 + 1 = 1.1386294.
  auto config = rope_config({{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 2048}});
  expect_inv_freq(rope_inv_freq(config), {1.0, 0.1, 0.00625, 0.00025});
  EXPECT_NEAR(rope_attention_scaling(config), 1.1386294, 1e-7);
  auto explicit_factor = rope_config({{"rope_type", "yarn"}, {"factor", 4.0}, {"attention_factor", 1.5},
                                      {"original_max_position_embeddings", 2048}});
  EXPECT_DOUBLE_EQ(rope_attention_scaling(explicit_factor), 1.5);
}

TEST(Rope, DynamicNtkRescalesOnlyBeyondMaxPositions) {
  // factor 2, max_pos 16: at 16 tokens default; at 32: base' = 1e4 · (2·32/16 - 1)^(8/6) = 43267.487,
  // inv_freq = base'^(-i/4) = [1, 0.0693361, 0.00480750, 0.000333333].
  auto config = rope_config({{"rope_type", "dynamic"}, {"factor", 2.0}});
  expect_inv_freq(rope_inv_freq(config, 16), {1.0, 0.1, 0.01, 0.001});
  expect_inv_freq(rope_inv_freq(config, 32), {1.0, 0.06933613, 0.004807499, 0.0003333333});
}

TEST(Rope, TablesAndRotateHalf) {
  auto config = rope_config(nullptr);
  auto positions = torch::tensor({{0, 3}}, torch::kInt64);  // [1, 2]
  auto tables = rope_tables(rope_inv_freq(config), positions, 1.0, torch::kFloat32);
  EXPECT_NEAR(tables.cos[0][1][1].item<double>(), std::cos(3 * 0.1), 1e-6);
  EXPECT_NEAR(tables.sin[0][1][5].item<double>(), std::sin(3 * 0.1), 1e-6);  // cat(freqs, freqs)
  // Position 0 is the identity; a unit vector e_1 at position p rotates into e_1 cos + e_5 sin.
  auto x = torch::zeros({1, 1, 2, 8});
  x[0][0][0][1] = 1.0;
  x[0][0][1][1] = 1.0;
  auto y = apply_rope(x, tables);
  EXPECT_NEAR(y[0][0][0][1].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(y[0][0][1][1].item<double>(), std::cos(0.3), 1e-6);
  EXPECT_NEAR(y[0][0][1][5].item<double>(), std::sin(0.3), 1e-6);  // pairs i with i + dim/2
  EXPECT_NEAR(y[0][0][1][0].item<double>(), 0.0, 1e-7);
}

}  // namespace
