// Rejection-sampled SFT data (docs/method.md#sft-baseline): one greedy rollout of the model per problem of
// data.path, made and graded by eval's model source and the eval loop (the Qwen2.5-Math toolkit's
// extraction and math_equal; resumable predictions under <output_dir>/rejection/). A rollout is
// kept when it is judged correct and ended on its own (eos or a stop string of the toolkit prompt
// type prompt.template is, prompt/formats.h; eval.template's only for a format the toolkit lacks),
// not when it ran out of tokens. The kept texts become SFT examples; training is sft.h's.
#pragma once

#include <cstdint>
#include <vector>

#include "lightreasoner/config/run_config.h"
#include "lightreasoner/eval/grading.h"
#include "lightreasoner/model/transformer.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/train/sft.h"

namespace lightreasoner::pipeline {

struct RejectionReport {
  std::vector<train::SftExample> examples;  // the kept rollouts: question + completion text (cut at the stop string)
  int64_t problems = 0;
  int64_t correct = 0;    // graded correct
  int64_t accepted = 0;   // correct and finished (== examples.size())
};

// Problems from data.path parsed as sft.data_name; prompts rendered with prompt.template (as the
// training rows will be); rollouts of sft.max_new_tokens in batches of sft.batch_size.
RejectionReport rejection_sample(model::CausalLM& model, const tokenizer::Tokenizer& tok,
                                 const config::RunConfig& config);
// The same with completions from `source` (rejection_sample passes the model's).
RejectionReport rejection_sample_from(const eval::CompletionSource& source, const config::RunConfig& config);

}  // namespace lightreasoner::pipeline
