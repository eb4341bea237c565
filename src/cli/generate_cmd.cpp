// `lightreasoner generate --model DIR (--prompt TEXT [--template NAME] | --prompt-ids "1 2 3") ...`:
// a quick look at a model's continuation with prefill/decode throughput. Text prompts are
// rendered with a named template and encoded by the model directory's tokenizer; the completion
// is printed as text (and ids). Repeating --prompt / --prompt-ids makes a batch.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "command.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::cli {

namespace {

struct GenerateArgs {
  std::string model_dir;
  std::string adapter;  // PEFT LoRA adapter applied on load (empty: none)
  std::vector<std::string> prompt_ids;  // one batch row each: "1 2 3"
  std::vector<std::string> prompts;     // text, one batch row each
  std::string template_name = "plain";
  std::optional<std::string> system;
  int64_t max_new_tokens = 64;
  double temperature = 0.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  double min_p = 0.0;
  std::string dtype;  // empty: the checkpoint's
  std::string attention;  // empty: the fastest available
  bool ignore_eos = false;
};

std::vector<int64_t> parse_ids(const std::string& text) {
  std::istringstream in(text);
  std::vector<int64_t> ids;
  std::string word;
  while (in >> word) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    LR_CHECK(used == word.size(), "--prompt-ids: '" << word << "' is not an integer token id (in \"" << text << "\")");
    ids.push_back(id);
  }
  LR_CHECK(!ids.empty(), "--prompt-ids: no token ids in \"" << text << "\"");
  return ids;
}

std::vector<std::vector<int64_t>> collect_prompts(const GenerateArgs& args, const tokenizer::Tokenizer* tok) {
  std::vector<std::vector<int64_t>> prompts;
  for (const auto& text : args.prompt_ids) prompts.push_back(parse_ids(text));
  if (!args.prompts.empty()) prompt::check_system(prompt::format_named(args.template_name, "--template"), args.system, "--system");
  prompt::TemplateOptions template_options;
  template_options.system = args.system;
  for (const auto& text : args.prompts) {
    auto ids = prompt::encode_prompt(*tok, args.template_name, text, template_options);
    prompts.emplace_back(ids.begin(), ids.end());
  }
  LR_CHECK(!prompts.empty(), "generate needs a prompt: --prompt TEXT or --prompt-ids \"1 2 3\" (repeat for a batch)");
  return prompts;
}

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string out;
  for (auto id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

}  // namespace

Command make_generate_command(CLI::App& root, const GlobalOptions& global) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* app = root.add_subcommand("generate", "continue prompts with a model (batched) and report tokens/s");
  app->add_option("--model", args->model_dir, "Hugging Face model directory")->required()->check(CLI::ExistingDirectory);
  app->add_option("--adapter", args->adapter, "PEFT LoRA adapter directory applied to the model")
      ->check(CLI::ExistingDirectory);
  app->add_option("--prompt", args->prompts, "prompt text, rendered with --template (repeat for a batch)");
  app->add_option("--template", args->template_name, "prompt template: " + [] {
    std::string names;
    for (const auto& n : prompt::template_names()) names += (names.empty() ? "" : ", ") + n;
    return names;
  }())->capture_default_str()->check(CLI::IsMember(prompt::template_names()));
  app->add_option("--system", args->system, "system prompt for chat templates");
  app->add_option("--prompt-ids", args->prompt_ids, "prompt token ids, e.g. \"1 2 3\" (repeat for a batch)");
  app->add_option("--max-new-tokens", args->max_new_tokens, "tokens to generate per prompt")->capture_default_str();
  app->add_option("--temperature", args->temperature, "0 = greedy")->capture_default_str();
  app->add_option("--top-p", args->top_p, "nucleus sampling mass (1 = off)")->capture_default_str();
  app->add_option("--top-k", args->top_k, "keep the k most likely tokens (0 = off)")->capture_default_str();
  app->add_option("--min-p", args->min_p, "drop tokens below min_p x the top probability (0 = off)")->capture_default_str();
  app->add_option("--dtype", args->dtype, "f32, bf16 or f16 (default: the checkpoint's)");
  app->add_option("--attention", args->attention, "reference, grouped or sdpa (default: the fastest available)");
  app->add_flag("--ignore-eos", args->ignore_eos, "do not stop at the eos ids (fixed-length runs for timing)");
  return {app, [args, &global] {
            // The tokenizer is needed for text prompts and to show completions as text.
            std::unique_ptr<tokenizer::Tokenizer> tok;
            if (!args->prompts.empty()) tok = tokenizer::load_tokenizer(args->model_dir);
            auto prompts = collect_prompts(*args, tok.get());
            model::LoadOptions load;
            load.device = parse_device(global.device.value_or("auto"));
            if (!args->dtype.empty()) load.dtype = parse_dtype(args->dtype);
            auto lm = model::load_model_with_adapter(
                args->model_dir, args->adapter.empty() ? std::nullopt : std::optional<std::filesystem::path>(args->adapter),
                load);
            if (!args->attention.empty()) lm->set_attention_backend(model::parse_attention_backend(args->attention));
            auto defaults = model::load_generation_defaults(args->model_dir, lm->config());

            generate::GenerationOptions options;
            options.max_new_tokens = args->max_new_tokens;
            options.sampling = {args->temperature, args->top_k, args->top_p, args->min_p};
            options.seed = static_cast<uint64_t>(global.seed.value_or(0));
            if (!args->ignore_eos) options.eos_token_ids = defaults.eos_token_ids;
            options.pad_token_id = defaults.pad_token_id.value_or(0);
            Progress progress("generate", args->max_new_tokens, "steps");
            options.on_step = [&](int64_t steps, int64_t active) {
              progress.update(steps, {{"rows", std::to_string(active)}});
            };
            auto result = generate::generate(*lm, prompts, options);
            progress.finish();

            for (size_t i = 0; i < result.completions.size(); ++i) {
              const auto& completion = result.completions[i];
              std::cout << "[" << i << "] " << generate::finish_reason_name(completion.finish) << ": "
                        << join_ids(completion.ids) << "\n";
              if (tok) std::cout << tokenizer::decode_model_ids(*tok, completion.ids, /*skip_special_tokens=*/true) << "\n";
            }
            const auto& stats = result.stats;
            std::cout << "prefill: " << stats.prompt_tokens << " tokens in " << stats.prefill_seconds << " s ("
                      << format_rate(stats.prompt_tokens / std::max(stats.prefill_seconds, 1e-9)) << " tokens/s)\n"
                      << "decode: " << stats.new_tokens << " tokens in " << stats.steps << " steps, "
                      << stats.decode_seconds << " s ("
                      << format_rate(stats.new_tokens / std::max(stats.decode_seconds, 1e-9)) << " tokens/s, batch "
                      << prompts.size() << ", " << model::attention_backend_name(lm->attention_backend())
                      << " attention)\n";
          }};
}

}  // namespace lightreasoner::cli
