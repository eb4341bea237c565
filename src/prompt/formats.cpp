// The prompt-format registry (see formats.h): the table of entries first, then the chat renderers
// it uses, then lookup, few-shot assembly and encoding. Strings are copied from the references:
// the Qwen2.5-Math toolkit's PROMPT_TEMPLATES and construct_prompt (docs/grading.md#prompts),
// Qwen2.5's chat_template (docs/formats.md#tokenizer-files), and the DeepSeek-R1-Distill, Llama 2
// and Llama 3 chat templates as transformers renders them. Unknown names are refused, not guessed.
#include "lightreasoner/prompt/formats.h"

#include <algorithm>
#include <map>

#include "lightreasoner/config/schema.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/pytext.h"

namespace lightreasoner::prompt {
namespace {

const char* const kBoxedInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";
// The toolkit's cot and direct input (the paper's base-model prompt).
const char* const kQuestionAnswer = "Question: {input}\nAnswer: ";

ToolkitShape shape(std::string input, std::string splitter, std::string output = "{output}") {
  ToolkitShape t;
  t.input = std::move(input);
  t.output = std::move(output);
  t.splitter = std::move(splitter);
  return t;
}

PromptFormat toolkit_format(std::string name, ToolkitShape toolkit, std::vector<std::string> stops = {}) {
  PromptFormat f;
  f.name = std::move(name);
  f.toolkit = std::move(toolkit);
  f.stops = std::move(stops);
  return f;
}

PromptFormat rendered_format(std::string name, RenderFn render, bool takes_system, bool writes_bos) {
  PromptFormat f;
  f.name = std::move(name);
  f.render = std::move(render);
  f.takes_system = takes_system;
  f.writes_bos = writes_bos;
  return f;
}

std::vector<PromptFormat> make_registry() {
  std::vector<PromptFormat> r;
  // --- the toolkit's prompt types: training and eval, zero- and few-shot ---
  r.push_back(toolkit_format(
      "qwen25-math-cot",
      shape(std::string("<|im_start|>system\n") + kBoxedInstruction +
                "<|im_end|>\n<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
            "\n\n")));
  r.back().toolkit->demos_in_input = true;  // the toolkit's hotfix: demos inside the one user turn
  r.push_back(toolkit_format(
      "qwen-boxed", shape(std::string("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{input}\n") +
                              kBoxedInstruction + "<|im_end|>\n<|im_start|>assistant\n",
                          "\n\n")));
  // Configs have always called the toolkit's cot "question-answer"; both names select it.
  r.push_back(toolkit_format("question-answer", shape(kQuestionAnswer, "\n\n\n"), {"\n\nQuestion:"}));
  r.back().toolkit_name = "cot";
  // direct is not an alias of cot: its zero-shot text is cot's byte for byte (the same input), so a
  // model trained on one may be evaluated with the other, but its few-shot splitter ("\n\n") and
  // its stops (no "\n\nQuestion:") differ, so few-shot prompts and cut completions differ.
  r.push_back(toolkit_format("direct", shape(kQuestionAnswer, "\n\n")));
  r.back().same_zero_shot_as = "question-answer";
  r.push_back(toolkit_format("deepseek-math",
                             shape(std::string("User: {input}\n") + kBoxedInstruction + "\n\nAssistant:", "\n\n\n")));
  r.push_back(toolkit_format("mathstral", shape(std::string("{input}\n") + kBoxedInstruction, "\n\n")));
  r.push_back(toolkit_format("abel", shape("Question:\n{input}\nAnswer:\nLet's think step by step.\n", "\n\n")));
  r.push_back(toolkit_format("wizard_zs", shape("### Instruction:\n{input}\n\n### Response: Let's think step by step.", "\n\n\n"),
                             {"Instruction", "Response"}));
  r.push_back(toolkit_format("platypus_fs", shape("### Instruction:\n{input}\n\n### Response:\n", "\n\n\n"),
                             {"Instruction", "Response"}));
  r.back().toolkit->wrap_before =
      "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
      "### Instruction:\n";
  r.back().toolkit->wrap_after = "\n\n### Response:\n";
  r.push_back(toolkit_format("internlm-math-chat",
                             shape("<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n", "\n\n")));
  r.push_back(toolkit_format("numina", shape("### Problem: {input}\n### Solution:", "\n\n", " {output}"), {"\n### Problem"}));
  r.push_back(toolkit_format("pal", shape("Question: {input}\n\n", "\n---\n"), {"\n\n---", "```output"}));

  // --- formats the toolkit lacks: the models' own chat templates and the bare question (training only) ---
  r.push_back(rendered_format("qwen-chat", qwen_chat, /*takes_system=*/true, /*writes_bos=*/false));
  r.push_back(rendered_format("deepseek-r1", deepseek_r1, /*takes_system=*/true, /*writes_bos=*/true));
  r.push_back(rendered_format("llama2-chat", llama2_chat, /*takes_system=*/true, /*writes_bos=*/true));
  r.push_back(rendered_format("llama3-chat", llama3_chat, /*takes_system=*/true, /*writes_bos=*/true));
  r.push_back(rendered_format(
      "plain", [](std::string_view q, const std::optional<std::string>&) { return std::string(q); },
      /*takes_system=*/false, /*writes_bos=*/false));
  return r;
}

std::string im_turn(std::string_view role, std::string_view content) {
  std::string s = "<|im_start|>";
  s += role;
  s += '\n';
  s += content;
  s += "<|im_end|>\n";
  return s;
}

// The ASCII whitespace the Jinja `trim` filter / .strip() remove from a chat message.
std::string strip_whitespace(std::string_view s) { return py::strip_chars(s, " \t\n\r\f\v"); }

struct Registry {
  std::vector<PromptFormat> entries = make_registry();
  std::map<std::string, size_t> by_name;  // every name and toolkit name
  std::vector<std::string> names;         // sorted
  Registry() {
    for (size_t i = 0; i < entries.size(); ++i) {
      for (const std::string* n : {&entries[i].name, &entries[i].toolkit_name}) {
        if (n->empty()) continue;
        LR_CHECK(by_name.emplace(*n, i).second, "prompt registry: the name '" << *n << "' selects two entries");
      }
    }
    for (const auto& [name, index] : by_name) names.push_back(name);
  }
};

const Registry& registry() {
  static const Registry r;
  return r;
}

std::string list(const std::vector<std::string>& names) { return py::join(names, ", "); }

}  // namespace

const std::vector<std::string> kCommonStops = {"</s>", "<|im_end|>", "<|endoftext|>"};

const std::vector<PromptFormat>& formats() { return registry().entries; }

const PromptFormat& format_named(const std::string& name, std::string_view key) {
  const Registry& r = registry();
  auto it = r.by_name.find(name);
  if (it == r.by_name.end()) {
    const std::string hint = config::closest_key(name, r.names);
    LR_FAIL(key << (key.empty() ? "" : ": ") << "unknown prompt template \"" << name << "\" (valid: " << list(r.names) << ")"
                                         << (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
  }
  return r.entries[it->second];
}

const PromptFormat& eval_format_named(const std::string& name) {
  const PromptFormat& f = format_named(name);
  if (!f.toolkit) {
    std::vector<std::string> types;
    for (const auto& e : formats())
      if (e.toolkit) types.push_back(eval_name(e));
    std::sort(types.begin(), types.end());
    LR_FAIL("prompt template \"" << name << "\" is not one of the evaluation toolkit's prompt types, so eval cannot "
                                 << "build its prompts (expected one of: " << list(types) << ")");
  }
  return f;
}

void check_system(const PromptFormat& format, const std::optional<std::string>& system, std::string_view key) {
  if (!system || format.takes_system) return;
  std::vector<std::string> taking;
  for (const auto& e : formats())
    if (e.takes_system) taking.push_back(e.name);
  LR_FAIL(key << " is set (\"" << *system << "\"), but the prompt format \"" << format.name
              << "\" takes no system prompt, so it would be dropped: remove it, or use a format that takes one ("
              << list(taking) << ")");
}

const std::string& eval_name(const PromptFormat& format) {
  return format.toolkit_name.empty() ? format.name : format.toolkit_name;
}

bool same_zero_shot(const PromptFormat& trained, const PromptFormat& other) {
  auto owner = [](const PromptFormat& f) {
    return f.same_zero_shot_as.empty() ? &f : &format_named(f.same_zero_shot_as);
  };
  return owner(trained) == owner(other);
}

const std::vector<std::string>& template_names() { return registry().names; }

bool is_template_name(const std::string& name) { return registry().by_name.count(name) > 0; }

std::string assemble_prompt(const PromptFormat& format, std::string_view question, const std::vector<FewShotDemo>& demos) {
  LR_CHECK(format.toolkit, "prompt template \"" << format.name << "\" has no toolkit shape to assemble a prompt from");
  const ToolkitShape& t = *format.toolkit;
  std::string full;
  if (t.demos_in_input) {
    std::string input(question);
    if (!demos.empty()) {
      std::vector<std::string> parts;
      for (const auto& d : demos) parts.push_back(d.question + "\n" + d.answer);
      input = py::join(parts, "\n\n") + "\n\n" + input;
    }
    full = py::replace(t.input, "{input}", input);
  } else {
    std::vector<std::string> parts;
    for (const auto& d : demos) parts.push_back(py::replace(t.input, "{input}", d.question) + py::replace(t.output, "{output}", d.answer));
    full = py::replace(t.input, "{input}", question);
    if (!demos.empty()) full = py::join(parts, t.splitter) + t.splitter + full;
    full = t.wrap_before + full + t.wrap_after;
  }
  return py::strip_chars(full, " ");  // the toolkit's final full_prompt.strip(" "): spaces only
}

std::string render_template(const std::string& name, std::string_view question, const TemplateOptions& options) {
  const PromptFormat& f = format_named(name);
  check_system(f, options.system, "the system prompt");
  return f.toolkit ? assemble_prompt(f, question, {}) : f.render(question, options.system);
}

bool template_includes_bos(const std::string& name) { return format_named(name).writes_bos; }

std::vector<tokenizer::TokenId> encode_prompt(const tokenizer::Tokenizer& tokenizer, const std::string& name,
                                              std::string_view question, const TemplateOptions& options) {
  tokenizer::EncodeOptions encode_options;
  encode_options.add_special_tokens = !template_includes_bos(name);
  return tokenizer.encode(render_template(name, question, options), encode_options);
}

std::vector<std::string> stop_words(const PromptFormat& format) {
  std::vector<std::string> stops = kCommonStops;
  stops.insert(stops.end(), format.stops.begin(), format.stops.end());
  return stops;
}

// --- the chat templates ---

std::string chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt, std::string_view default_system) {
  std::string s;
  if (messages.empty() || messages.front().role != "system") s += im_turn("system", default_system);
  for (const auto& m : messages) {
    LR_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant",
             "chatml: message role must be system, user or assistant, got \"" << m.role << "\"");
    s += im_turn(m.role, m.content);
  }
  if (add_generation_prompt) s += "<|im_start|>assistant\n";
  return s;
}

std::string qwen_chat(std::string_view question, const std::optional<std::string>& system) {
  std::vector<ChatMessage> messages;
  if (system) messages.push_back({"system", *system});
  messages.push_back({"user", std::string(question)});
  return chatml(messages, true);
}

std::string deepseek_r1(std::string_view question, const std::optional<std::string>& system) {
  std::string s = "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";  // <｜begin▁of▁sentence｜>
  if (system) s += *system;
  s += "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";  // <｜User｜>
  s += question;
  s += "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><think>\n";  // <｜Assistant｜><think>\n
  return s;
}

std::string llama2_chat(std::string_view question, const std::optional<std::string>& system) {
  std::string content;
  if (system) content = "<<SYS>>\n" + *system + "\n<</SYS>>\n\n";
  content += question;
  return "<s>[INST] " + strip_whitespace(content) + " [/INST]";
}

std::string llama3_chat(std::string_view question, const std::optional<std::string>& system) {
  auto turn = [](std::string_view role, std::string_view content) {
    return "<|start_header_id|>" + std::string(role) + "<|end_header_id|>\n\n" + strip_whitespace(content) +
           "<|eot_id|>";
  };
  std::string s = "<|begin_of_text|>";
  if (system) s += turn("system", *system);
  s += turn("user", question);
  s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return s;
}

}  // namespace lightreasoner::prompt
