// The prompt templates (see templates.h). Strings are copied from the references: the Qwen2.5-Math
// toolkit's PROMPT_TEMPLATES (docs/grading.md#prompts), Qwen2.5's chat_template (docs/formats.md#tokenizer-files),
// and the DeepSeek-R1-Distill, Llama 2 and Llama 3 chat templates as transformers renders them.
#include "lightreasoner/tokenizer/templates.h"

#include <functional>
#include <map>

#include "lightreasoner/core/error.h"

namespace lightreasoner::tokenizer {
namespace {

const char* const kBoxedInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

std::string im_turn(std::string_view role, std::string_view content) {
  std::string s = "<|im_start|>";
  s += role;
  s += '\n';
  s += content;
  s += "<|im_end|>\n";
  return s;
}

// Python's str.strip() for the whitespace the Jinja `trim` filter / .strip() remove.
std::string_view strip_whitespace(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// The toolkit's final `full_prompt.strip(" ")`: only spaces.
std::string strip_spaces(std::string s) {
  const size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

struct TemplateEntry {
  std::function<std::string(std::string_view, const TemplateOptions&)> render;
  bool includes_bos;
};

const std::map<std::string, TemplateEntry>& registry() {
  static const std::map<std::string, TemplateEntry> entries = {
      {"qwen25-math-cot", {[](std::string_view q, const TemplateOptions&) { return qwen25_math_cot(q); }, false}},
      {"qwen-boxed", {[](std::string_view q, const TemplateOptions&) { return qwen_boxed(q); }, false}},
      {"qwen-chat", {[](std::string_view q, const TemplateOptions& o) { return qwen_chat(q, o.system); }, false}},
      {"question-answer", {[](std::string_view q, const TemplateOptions&) { return question_answer(q); }, false}},
      {"deepseek-r1", {[](std::string_view q, const TemplateOptions& o) { return deepseek_r1(q, o.system); }, true}},
      {"llama2-chat", {[](std::string_view q, const TemplateOptions& o) { return llama2_chat(q, o.system); }, true}},
      {"llama3-chat", {[](std::string_view q, const TemplateOptions& o) { return llama3_chat(q, o.system); }, true}},
      {"plain", {[](std::string_view q, const TemplateOptions&) { return plain(q); }, false}},
  };
  return entries;
}

const TemplateEntry& entry(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string valid;
    for (const auto& n : template_names()) valid += (valid.empty() ? "" : ", ") + n;
    LR_FAIL("unknown prompt template \"" << name << "\" (valid: " << valid << ")");
  }
  return it->second;
}

}  // namespace

std::string qwen25_math_cot(std::string_view question) {
  return im_turn("system", kBoxedInstruction) + im_turn("user", question) + "<|im_start|>assistant\n";
}

std::string qwen_boxed(std::string_view question) {
  std::string user(question);
  user += "\n";
  user += kBoxedInstruction;
  return im_turn("system", "You are a helpful assistant.") + im_turn("user", user) + "<|im_start|>assistant\n";
}

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

std::string question_answer(std::string_view question) {
  return strip_spaces("Question: " + std::string(question) + "\nAnswer: ");
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
  return "<s>[INST] " + std::string(strip_whitespace(content)) + " [/INST]";
}

std::string llama3_chat(std::string_view question, const std::optional<std::string>& system) {
  auto turn = [](std::string_view role, std::string_view content) {
    return "<|start_header_id|>" + std::string(role) + "<|end_header_id|>\n\n" + std::string(strip_whitespace(content)) +
           "<|eot_id|>";
  };
  std::string s = "<|begin_of_text|>";
  if (system) s += turn("system", *system);
  s += turn("user", question);
  s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return s;
}

std::string plain(std::string_view question) { return std::string(question); }

const std::vector<std::string>& template_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, e] : registry()) n.push_back(name);
    return n;
  }();
  return names;
}

bool is_template_name(const std::string& name) { return registry().count(name) > 0; }

std::string render_template(const std::string& name, std::string_view question, const TemplateOptions& options) {
  return entry(name).render(question, options);
}

bool template_includes_bos(const std::string& name) { return entry(name).includes_bos; }

std::vector<TokenId> encode_prompt(const Tokenizer& tokenizer, const std::string& name, std::string_view question,
                                   const TemplateOptions& options) {
  EncodeOptions encode_options;
  encode_options.add_special_tokens = !template_includes_bos(name);
  return tokenizer.encode(render_template(name, question, options), encode_options);
}

}  // namespace lightreasoner::tokenizer
