// The toolkit's PROMPT_TEMPLATES and construct_prompt/load_prompt rules (docs/grading.md (Prompts)).
// Only templates the spec gives verbatim are listed; unknown names are refused, not guessed.
#include "lightreasoner/eval/prompt.h"

#include "lightreasoner/core/error.h"
#include "lightreasoner/eval/pytext.h"
#include "lightreasoner/tokenizer/templates.h"

namespace lightreasoner::eval {

namespace {
const char* const kBoxedInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

std::string format(const std::string& pattern, const char* key, const std::string& value) {
  return py::replace(pattern, key, value);
}
}  // namespace

const std::map<std::string, PromptTemplate>& prompt_templates() {
  static const std::map<std::string, PromptTemplate> templates = {
      {"qwen25-math-cot",
       {std::string("<|im_start|>system\n") + kBoxedInstruction +
            "<|im_end|>\n<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
        "{output}", "\n\n"}},
      {"qwen-boxed",
       {std::string("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{input}\n") +
            kBoxedInstruction + "<|im_end|>\n<|im_start|>assistant\n",
        "{output}", "\n\n"}},
      {"cot", {"Question: {input}\nAnswer: ", "{output}", "\n\n\n"}},
      {"direct", {"Question: {input}\nAnswer: ", "{output}", "\n\n"}},
      {"deepseek-math", {std::string("User: {input}\n") + kBoxedInstruction + "\n\nAssistant:", "{output}", "\n\n\n"}},
      {"mathstral", {std::string("{input}\n") + kBoxedInstruction, "{output}", "\n\n"}},
      {"abel", {"Question:\n{input}\nAnswer:\nLet's think step by step.\n", "{output}", "\n\n"}},
      {"wizard_zs", {"### Instruction:\n{input}\n\n### Response: Let's think step by step.", "{output}", "\n\n\n"}},
      {"platypus_fs", {"### Instruction:\n{input}\n\n### Response:\n", "{output}", "\n\n\n"}},
      {"internlm-math-chat", {"<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n", "{output}", "\n\n"}},
      {"numina", {"### Problem: {input}\n### Solution:", " {output}", "\n\n"}},
      {"pal", {"Question: {input}\n\n", "{output}", "\n---\n"}},
  };
  return templates;
}

const PromptTemplate& prompt_template(const std::string& prompt_type) {
  const auto& templates = prompt_templates();
  auto it = templates.find(prompt_type);
  if (it == templates.end()) {
    std::vector<std::string> names;
    for (const auto& [name, t] : templates) names.push_back(name);
    LR_FAIL("unknown prompt template '" << prompt_type << "' (known: " << py::join(names, ", ") << ")");
  }
  return it->second;
}

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
  const PromptTemplate& t = prompt_template(prompt_type);
  std::vector<FewShotDemo> demos = load_demos(data_name, shots);
  std::string full;
  if (prompt_type == "qwen25-math-cot") {
    // The toolkit's "hotfix": every demo inside the one user turn.
    std::string input = question;
    if (!demos.empty()) {
      std::vector<std::string> parts;
      for (const auto& d : demos) parts.push_back(d.question + "\n" + d.answer);
      input = py::join(parts, "\n\n") + "\n\n" + question;
    }
    full = format(t.input, "{input}", input);
  } else {
    std::string context = format(t.input, "{input}", question);
    if (!demos.empty()) {
      std::vector<std::string> parts;
      for (const auto& d : demos) parts.push_back(format(t.input, "{input}", d.question) + format(t.output, "{output}", d.answer));
      full = py::join(parts, t.splitter) + t.splitter + context;
    } else {
      full = context;
    }
    if (prompt_type == "platypus_fs") {
      full = "Below is an instruction that describes a task. Write a response that appropriately completes the "
             "request.\n\n### Instruction:\n" + full + "\n\n### Response:\n";
    }
  }
  return py::strip_chars(full, " ");
}

std::optional<std::string> prompt_type_for_template(const std::string& template_name) {
  static const std::map<std::string, std::string> links = {
      {"qwen25-math-cot", "qwen25-math-cot"}, {"qwen-boxed", "qwen-boxed"}, {"question-answer", "cot"}};
  auto it = links.find(template_name);
  if (it == links.end()) return std::nullopt;
  return it->second;
}

void check_prompt_matches_training(const std::string& prompt_type, const std::string& trained_template,
                                   const std::optional<std::string>& trained_system, const std::string& where) {
  // Two probe questions (one with surrounding spaces, which strip(" ") would expose).
  for (const std::string probe : {"What is 2 + 3?", " Lily has 4 apples. "}) {
    tokenizer::TemplateOptions options;
    options.system = trained_system;
    if (construct_prompt(probe, "gsm8k", prompt_type, 0) == tokenizer::render_template(trained_template, probe, options))
      continue;
    const auto linked = prompt_type_for_template(trained_template);
    LR_FAIL("eval template '" << prompt_type << "' renders other prompts than the model was trained with (prompt.template '"
                              << trained_template << "'" << (trained_system ? " with a system prompt" : "")
                              << ", recorded in " << where << "): the accuracy would be measured on a prompt it never saw. "
                              << (linked && !trained_system ? "Evaluate with --template " + *linked +
                                                                  " (eval.template), which renders that template."
                                                            : std::string("No eval template renders that prompt; "
                                                                          "train with one that has (qwen25-math-cot, "
                                                                          "qwen-boxed, question-answer).")));
  }
}

std::vector<std::string> stop_words(const std::string& prompt_type) {
  prompt_template(prompt_type);  // validates the name
  std::vector<std::string> stops{"</s>", "<|im_end|>", "<|endoftext|>"};
  if (prompt_type == "cot") stops.push_back("\n\nQuestion:");
  if (prompt_type == "pal") {
    stops.push_back("\n\n---");
    stops.push_back("```output");
  }
  if (prompt_type == "wizard_zs" || prompt_type == "platypus_fs") {
    stops.push_back("Instruction");
    stops.push_back("Response");
  }
  if (prompt_type == "numina") stops.push_back("\n### Problem");
  return stops;
}

}  // namespace lightreasoner::eval
