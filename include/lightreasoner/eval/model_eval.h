// Model-backed evaluation: a CompletionSource over a loaded model (prompt text encoded with special
// tokens recognised, greedy generation in batches with the model's eos ids and the template's stop
// strings, completions cut at the first stop string as vLLM returns them). Greedy only: the toolkit's
// numbers are. The `eval` workflow (config, model loading, output directory) is pipeline/eval.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lightreasoner/eval/grading.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::eval {

struct ModelSourceOptions {
  size_t batch_size = 64;
  int64_t max_new_tokens = 2048;
  std::vector<std::string> stop_strings;  // a row ends at the first; the text is cut before it
  std::vector<int64_t> eos_token_ids;     // a row ends on any (not part of the text)
  int64_t pad_token_id = 0;
  // Prompt encoding: apply the tokenizer's post-processor (Llama-style BOS), as vLLM does for a
  // text prompt. Templates that write their own BOS need false.
  bool add_special_tokens = true;
};

// Counters a source fills as it runs (for logs and benchmarks).
struct ModelSourceStats {
  int64_t prompts = 0, prompt_tokens = 0, new_tokens = 0, decode_steps = 0;
  int64_t too_long = 0;  // prompts that left no room to generate within the context (empty completion)
  double prefill_seconds = 0, decode_seconds = 0;
};

// `model` and `tok` must outlive the source. Each Completion carries the generated ids (token_ids,
// including the eos that ended the row) as well as the cut text.
CompletionSource model_completion_source(model::CausalLM& model, const tokenizer::Tokenizer& tok,
                                         ModelSourceOptions options,
                                         std::shared_ptr<ModelSourceStats> stats = nullptr);

// eos ids and pad id of a model directory (generation_config.json + the tokenizer).
void set_model_special_ids(ModelSourceOptions& options, const std::filesystem::path& model_dir,
                           const model::ModelConfig& config, const tokenizer::Tokenizer& tok);

}  // namespace lightreasoner::eval
