// The toolkit's load_prompt rules (docs/grading.md (Prompts)) on top of the prompt-format registry
// (prompt/formats.h): the demos and the data-set mapping are here, the prompt text is the registry's.
#include "lightreasoner/eval/prompt.h"

#include "lightreasoner/core/error.h"

namespace lightreasoner::eval {

std::string demo_set_for(const std::string& data_name) {
  static const std::map<std::string, std::string> mapping = {
      {"gsm_hard", "gsm8k"},           {"svamp", "gsm8k"},          {"tabmwp", "gsm8k"},
      {"asdiv", "gsm8k"},              {"mawps", "gsm8k"},          {"math_oai", "math"},
      {"hungarian_exam", "math"},      {"math-oai", "math"},        {"aime24", "math"},
      {"amc23", "math"},               {"sat_math", "mmlu_stem"},   {"gaokao2024_I", "gaokao"},
      {"gaokao2024_II", "gaokao"},     {"gaokao_math_qa", "gaokao"}, {"gaokao2024_mix", "gaokao"},
      {"cn_middle_school", "gaokao"}};
  auto it = mapping.find(data_name);
  return it == mapping.end() ? data_name : it->second;
}

std::vector<FewShotDemo> load_demos(const std::string& data_name, int shots) {
  LR_CHECK(shots >= 0, "--shots must be >= 0 (got " << shots << ")");
  if (shots == 0) return {};
  // The toolkit's own demo counts, for the message when fewer are embedded here.
  static const std::map<std::string, int> toolkit_counts = {{"gsm8k", 8}, {"math", 5},     {"minerva_math", 4},
                                                            {"carp_en", 8}, {"aqua", 4},   {"mmlu_stem", 5},
                                                            {"gaokao", 5}};
  std::string set = demo_set_for(data_name);
  const auto& demos = fewshot_demos();
  auto it = demos.find(set);
  size_t available = it == demos.end() ? 0 : it->second.size();
  auto known = toolkit_counts.find(set);
  LR_CHECK(known != toolkit_counts.end(),
           "data set '" << data_name << "' has no few-shot demos in the toolkit (examples.py has no '" << set
                        << "' entry); use --shots 0");
  LR_CHECK(static_cast<size_t>(shots) <= available,
           "data set '" << data_name << "' (demos '" << set << "'): --shots " << shots << " requested, but only "
                        << available << " of the toolkit's " << known->second
                        << " demos are embedded (recovered from its reference prompts); use --shots <= " << available);
  return std::vector<FewShotDemo>(it->second.begin(), it->second.begin() + shots);
}

std::string construct_prompt(const std::string& question, const std::string& data_name, const std::string& prompt_type,
                             int shots) {
  const prompt::PromptFormat& format = prompt::eval_format_named(prompt_type);
  return prompt::assemble_prompt(format, question, load_demos(data_name, shots));
}

std::optional<std::string> prompt_type_for_template(const std::string& template_name) {
  const prompt::PromptFormat& format = prompt::format_named(template_name);
  if (!format.toolkit) return std::nullopt;
  return prompt::eval_name(format);
}

void check_prompt_matches_training(const std::string& prompt_type, const std::string& trained_template,
                                   const std::optional<std::string>& trained_system, const std::string& where) {
  const prompt::PromptFormat& eval_format = prompt::eval_format_named(prompt_type);
  const prompt::PromptFormat& trained = prompt::format_named(trained_template);
  // A system prompt changes only the text of the formats that take one, and no toolkit type does.
  const bool system_rendered = trained_system && trained.takes_system;
  if (!system_rendered && prompt::same_zero_shot(trained, eval_format)) return;
  // The toolkit type that renders the training prompt, if one does.
  std::string instead;
  if (!system_rendered) {
    for (const auto& f : prompt::formats())
      if (f.toolkit && prompt::same_zero_shot(trained, f)) {
        instead = prompt::eval_name(f);
        break;
      }
  }
  LR_FAIL("eval template '" << prompt_type << "' renders other prompts than the model was trained with (prompt.template '"
                            << trained_template << "'" << (system_rendered ? " with a system prompt" : "")
                            << ", recorded in " << where << "): the accuracy would be measured on a prompt it never saw. "
                            << (!instead.empty() ? "Evaluate with --template " + instead +
                                                       " (eval.template), which renders that template."
                                                 : std::string("No eval template renders that prompt; train with one of "
                                                               "the toolkit's prompt types (e.g. qwen25-math-cot, "
                                                               "qwen-boxed, question-answer)."))
                            << " To score it in this format anyway (a base model, as the paper's base rows), add "
                               "--any-template.");
}

std::vector<std::string> stop_words(const std::string& prompt_type) {
  return prompt::stop_words(prompt::eval_format_named(prompt_type));
}

}  // namespace lightreasoner::eval
