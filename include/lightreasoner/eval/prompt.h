// Prompt text exactly as the toolkit's construct_prompt builds it (docs/grading.md#prompts): the
// templates (input, output, splitter), few-shot assembly (the qwen25-math-cot one-user-turn
// hotfix, platypus wrapping), the data-set name mapping for demos, strip(" "), and the stop
// strings per template. Produces TEXT; tokenising special tokens is the tokenizer's job.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lightreasoner::eval {

struct PromptTemplate {
  std::string input;     // contains "{input}"
  std::string output;    // contains "{output}"
  std::string splitter;  // between demos
};

const std::map<std::string, PromptTemplate>& prompt_templates();
const PromptTemplate& prompt_template(const std::string& prompt_type);  // throws listing the names

struct FewShotDemo {
  std::string question;
  std::string answer;
};
// Demos per examples.py key (generated: fewshot_examples.cpp).
const std::map<std::string, std::vector<FewShotDemo>>& fewshot_demos();

// load_prompt's data-set mapping (svamp -> gsm8k, aime24 -> math, sat_math -> mmlu_stem, ...).
std::string demo_set_for(const std::string& data_name);
// The first `shots` demos for the data set; [] for 0; throws when the set has no demos or fewer.
std::vector<FewShotDemo> load_demos(const std::string& data_name, int shots);

// construct_prompt(example, data_name, args) for a parsed question.
std::string construct_prompt(const std::string& question, const std::string& data_name, const std::string& prompt_type,
                             int shots);

// The one link between the training templates (tokenizer/templates.h: what sample, train and sft
// render) and these prompt types (what eval renders, few-shot on top): the prompt type whose
// zero-shot prompt is exactly the template's text ("qwen25-math-cot" and "qwen-boxed" share their
// names, "question-answer" is "cot"); nullopt for a template the toolkit has no type for. A test
// renders every pair and compares.
std::optional<std::string> prompt_type_for_template(const std::string& template_name);

// Eval of a model trained with `trained_template` (+ `trained_system`): refuses, naming both and the
// prompt type to use instead, when `prompt_type`'s zero-shot prompt is not the text the model was
// trained on — the classic silent accuracy loss. `where` names the record of the training prompt.
void check_prompt_matches_training(const std::string& prompt_type, const std::string& trained_template,
                                   const std::optional<std::string>& trained_system, const std::string& where);

// Stop strings for a prompt type ("</s>", "<|im_end|>", "<|endoftext|>" plus the type's own).
std::vector<std::string> stop_words(const std::string& prompt_type);

}  // namespace lightreasoner::eval
