// Prompt text exactly as the toolkit's construct_prompt builds it (docs/grading.md#prompts): the
// demos per data set (load_prompt's mapping) on top of the prompt-format registry
// (prompt/formats.h), which holds each type's text, few-shot shape and stop strings; and the check
// that eval renders the prompt a model was trained on. Produces TEXT; tokenising is the tokenizer's job.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/prompt/formats.h"

namespace lightreasoner::eval {

using FewShotDemo = prompt::FewShotDemo;
// Demos per examples.py key (generated: fewshot_examples.cpp).
const std::map<std::string, std::vector<FewShotDemo>>& fewshot_demos();

// load_prompt's data-set mapping (svamp -> gsm8k, aime24 -> math, sat_math -> mmlu_stem, ...).
std::string demo_set_for(const std::string& data_name);
// The first `shots` demos for the data set; [] for 0; throws when the set has no demos or fewer.
std::vector<FewShotDemo> load_demos(const std::string& data_name, int shots);

// construct_prompt(example, data_name, args) for a parsed question.
std::string construct_prompt(const std::string& question, const std::string& data_name, const std::string& prompt_type,
                             int shots);

// The toolkit prompt type of training template `template_name` (its eval name: "cot" for
// question-answer); nullopt for a format the toolkit lacks (qwen-chat, plain, ...).
std::optional<std::string> prompt_type_for_template(const std::string& template_name);

// Eval of a model trained with `trained_template` (+ `trained_system`): refuses, naming both and the
// prompt type to use instead, when `prompt_type` is not the registry entry (or an entry with the same
// zero-shot text) the model was trained on, or the training rendered a system prompt no toolkit type
// has — the classic silent accuracy loss. `where` names the record of the training prompt.
void check_prompt_matches_training(const std::string& prompt_type, const std::string& trained_template,
                                   const std::optional<std::string>& trained_system, const std::string& where);

// Stop strings for a prompt type ("</s>", "<|im_end|>", "<|endoftext|>" plus the type's own).
std::vector<std::string> stop_words(const std::string& prompt_type);

}  // namespace lightreasoner::eval
