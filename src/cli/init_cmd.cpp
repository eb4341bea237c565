// `lightreasoner init --arch A --size S --out DIR`: writes a randomly initialised model directory
// in Hugging Face layout (config.json, generation_config.json, model.safetensors or shards, and
// tokenizer files copied from --tokenizer). For tests, demos and benchmarks at real shapes, and
// (with the shape options) the toy world's models sized to their own tokenizer.
#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/model/init.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::cli {

namespace {
struct InitArgs {
  std::string arch;
  std::string size = "tiny";
  std::string out;
  std::string tokenizer;
  std::optional<uint64_t> seed;
  std::string dtype = "f32";
  double std = 0.0;
  uint64_t max_shard_mb = 5000;
  model::ShapeOverrides shape;
};
}  // namespace

Command make_init_command(CLI::App& root, const GlobalOptions& global) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* app = root.add_subcommand("init", "write a randomly initialised model directory (Hugging Face layout)");
  std::string sizes;
  for (const auto& name : model::preset_names()) sizes += (sizes.empty() ? "" : ", ") + name;
  app->add_option("--arch", args->arch, "qwen2, llama, mistral or qwen3 (default: the size preset's, else qwen2)")
      ->check(CLI::IsMember(model::architecture_names()));
  app->add_option("--size", args->size, "preset: " + sizes)->capture_default_str()->check(CLI::IsMember(model::preset_names()));
  app->add_option("--out", args->out, "output directory")->required();
  app->add_option("--tokenizer", args->tokenizer, "copy tokenizer files (tokenizer.json, ...) from this directory")
      ->check(CLI::ExistingDirectory);
  app->add_option("--seed", args->seed, "initialisation seed (default: the global --seed, else 0)");
  app->add_option("--dtype", args->dtype, "stored dtype: f32, bf16 or f16")->capture_default_str();
  app->add_option("--std", args->std, "normal init std (default: the config's initializer_range, 0.02)");
  app->add_option("--max-shard-mb", args->max_shard_mb, "shard the weights above this size")->capture_default_str();
  app->add_option("--vocab-size", args->shape.vocab_size, "override the preset's vocabulary size");
  app->add_option("--hidden-size", args->shape.hidden_size, "override the preset's hidden size");
  app->add_option("--intermediate-size", args->shape.intermediate_size, "override the preset's MLP size");
  app->add_option("--layers", args->shape.num_hidden_layers, "override the preset's number of layers");
  app->add_option("--heads", args->shape.num_attention_heads, "override the preset's attention heads");
  app->add_option("--kv-heads", args->shape.num_key_value_heads, "override the preset's key/value heads");
  app->add_option("--max-positions", args->shape.max_position_embeddings, "override max_position_embeddings");
  return {app, [args, &global] {
            if (!args->tokenizer.empty()) {
              // A vocabulary smaller than the tokenizer's would index past the embedding table.
              model::ModelConfig preset = model::preset_config(args->arch, args->size);
              model::apply_shape_overrides(preset, args->shape);
              const int64_t tokenizer_vocab = tokenizer::load_tokenizer(args->tokenizer)->vocab_size();
              LR_CHECK(tokenizer_vocab <= preset.vocab_size,
                       "init: the tokenizer in " << args->tokenizer << " has " << tokenizer_vocab
                                                 << " ids but the model's vocabulary is " << preset.vocab_size
                                                 << "; pass --vocab-size " << tokenizer_vocab);
            }
            model::InitOptions init;
            init.seed = args->seed ? *args->seed : static_cast<uint64_t>(global.seed.value_or(0));
            init.std = args->std;
            model::ModelDirOptions dir_options;
            dir_options.dtype = parse_dtype(args->dtype);
            dir_options.max_shard_bytes = args->max_shard_mb * 1'000'000ull;
            if (!args->tokenizer.empty()) dir_options.tokenizer_dir = args->tokenizer;
            auto config = model::init_model_dir(args->arch, args->size, init, dir_options, args->out, args->shape);
            spdlog::info("wrote {} ({} {}, {} layers, {:.1f}M parameters, {}) to {}", args->size, config.architecture,
                         config.model_type, config.num_hidden_layers, config.num_parameters() / 1e6, args->dtype,
                         args->out);
          }};
}

}  // namespace lightreasoner::cli
