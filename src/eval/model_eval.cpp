// The model as a CompletionSource: prompts encoded, generated with continuous batching, cut at the
// template's stop strings. The `eval` workflow that uses it is pipeline/eval.cpp.
#include "lightreasoner/eval/model_eval.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "lightreasoner/core/error.h"
#include "lightreasoner/eval/prompt.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/loader.h"

namespace lightreasoner::eval {

namespace fs = std::filesystem;

namespace {

// Prompts handed to one generate() call per cache slot (see model_completion_source).
constexpr size_t kPromptsPerSlot = 4;

// vLLM returns the text before the earliest stop string (any of them) with finish reason "stop".
Completion cut_completion(std::string text, const std::vector<int64_t>& ids, generate::FinishReason finish,
                          const std::vector<std::string>& stops) {
  size_t cut = std::string::npos;
  for (const auto& stop : stops) {
    if (stop.empty()) continue;
    cut = std::min(cut, text.find(stop));
  }
  Completion completion;
  if (cut != std::string::npos) {
    text.resize(cut);
    finish = generate::FinishReason::kStop;
  }
  completion.text = std::move(text);
  completion.finish_reason = finish == generate::FinishReason::kLength ? "length" : "stop";
  completion.tokens = static_cast<int64_t>(ids.size());
  completion.token_ids = ids;
  return completion;
}

}  // namespace

void set_model_special_ids(ModelSourceOptions& options, const fs::path& model_dir, const model::ModelConfig& config,
                           const tokenizer::Tokenizer& tok) {
  auto defaults = model::load_generation_defaults(model_dir, config);
  options.eos_token_ids = model::eos_ids_with(defaults, tok.eos_id());
  options.pad_token_id = model::pad_id_with(defaults, tok.pad_id());
}

CompletionSource model_completion_source(model::CausalLM& model, const tokenizer::Tokenizer& tok,
                                         ModelSourceOptions options, std::shared_ptr<ModelSourceStats> stats) {
  LR_CHECK(options.batch_size >= 1, "eval batch size must be >= 1 (got " << options.batch_size << ")");
  LR_CHECK(options.max_new_tokens >= 1, "eval max_new_tokens must be >= 1 (got " << options.max_new_tokens << ")");
  if (!stats) stats = std::make_shared<ModelSourceStats>();
  CompletionSource source;
  source.name = "model";
  // the eval loop hands over kPromptsPerSlot batches at a time and generation keeps batch_size rows
  // decoding (continuous batching: a finished row's slot takes the next prompt at once), so
  // short completions stop costing a whole batch; results are the same (greedy, per prompt).
  source.batch_size = options.batch_size * kPromptsPerSlot;
  source.complete = [&model, &tok, options, stats](const std::vector<const EvalItem*>& batch) {
    tokenizer::EncodeOptions encode;
    encode.parse_special = true;
    encode.add_special_tokens = options.add_special_tokens;
    const int64_t context = model.config().max_position_embeddings;

    std::vector<Completion> out(batch.size());
    std::vector<std::vector<int64_t>> prompts;
    std::vector<size_t> rows;  // batch position of each generated prompt
    int64_t longest = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto ids = tok.encode(batch[i]->prompt, encode);
      ++stats->prompts;
      if (static_cast<int64_t>(ids.size()) >= context) {
        // No room for a single new token: an empty, unfinished completion (counted, logged).
        ++stats->too_long;
        out[i].finish_reason = "length";
        spdlog::warn("eval: {}: prompt of {} tokens fills the model's context of {}; recorded as unfinished",
                     batch[i]->example->where, ids.size(), context);
        continue;
      }
      longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.size()));
      stats->prompt_tokens += static_cast<int64_t>(ids.size());
      prompts.emplace_back(ids.begin(), ids.end());
      rows.push_back(i);
    }
    if (prompts.empty()) return out;

    generate::GenerationOptions gen;
    // Every row is bounded by the longest prompt of the chunk + max_new within the context.
    gen.max_new_tokens = std::min<int64_t>(options.max_new_tokens, context - longest);
    gen.max_batch = static_cast<int64_t>(options.batch_size);
    gen.eos_token_ids = options.eos_token_ids;
    gen.pad_token_id = options.pad_token_id;
    if (!options.stop_strings.empty()) {
      gen.stop_check = generate::stop_strings_check(options.stop_strings, [&tok](const std::vector<int64_t>& ids) {
        return tokenizer::decode_model_ids(tok, ids, /*skip_special_tokens=*/true);
      });
    }
    auto result = generate::generate(model, prompts, gen);
    stats->new_tokens += result.stats.new_tokens;
    stats->decode_steps += result.stats.steps;
    stats->prefill_seconds += result.stats.prefill_seconds;
    stats->decode_seconds += result.stats.decode_seconds;
    for (size_t k = 0; k < rows.size(); ++k) {
      const auto& generated = result.completions[k];
      out[rows[k]] = cut_completion(tokenizer::decode_model_ids(tok, generated.ids, /*skip_special_tokens=*/true),
                                    generated.ids, generated.finish, options.stop_strings);
    }
    return out;
  };
  return source;
}

}  // namespace lightreasoner::eval
