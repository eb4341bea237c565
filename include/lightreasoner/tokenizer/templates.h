// Prompt templates as plain C++ functions (no Jinja): each renders one question into the exact
// prompt text the reference tooling produces (Qwen2.5-Math evaluation toolkit, the models' chat
// templates with add_generation_prompt=true). Special tokens appear as text ("<|im_start|>") and
// are recognised when the prompt is encoded with parse_special. Few-shot assembly is eval's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::tokenizer {

struct TemplateOptions {
  // System prompt for templates that take one (qwen-chat, llama2-chat, llama3-chat, deepseek-r1);
  // nullopt = the template's default (Qwen2.5's "You are Qwen, ..." for qwen-chat, none otherwise).
  std::optional<std::string> system;
};

// The toolkit's `qwen25-math-cot`: ChatML, system "Please reason step by step, and put your final
// answer within \boxed{}.", the question as the user turn, then "<|im_start|>assistant\n".
std::string qwen25_math_cot(std::string_view question);
// The toolkit's `qwen-boxed`: system "You are a helpful assistant.", the boxed instruction after the question.
std::string qwen_boxed(std::string_view question);
// Qwen2.5 chat template (no tools) for [system, user] with add_generation_prompt=true.
std::string qwen_chat(std::string_view question, const std::optional<std::string>& system);
// The toolkit's `cot`/`direct` zero-shot prompt after its final strip(" "): "Question: {q}\nAnswer:".
std::string question_answer(std::string_view question);
// DeepSeek-R1-Distill chat template: BOS, system text, "<｜User｜>{q}<｜Assistant｜><think>\n".
std::string deepseek_r1(std::string_view question, const std::optional<std::string>& system);
// Llama 2 chat: "<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{q} [/INST]" (no <<SYS>> block without a system).
std::string llama2_chat(std::string_view question, const std::optional<std::string>& system);
// Llama 3 chat: header/eot-delimited turns starting with <|begin_of_text|>, ending with the assistant header.
std::string llama3_chat(std::string_view question, const std::optional<std::string>& system);
// The question unchanged.
std::string plain(std::string_view question);

// One ChatML message and a ChatML conversation as Qwen2.5's template renders it (no tools):
// a default system turn is inserted when the first message is not a system message.
struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};
std::string chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                   std::string_view default_system = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");

// The registry used by configs and the CLI.
const std::vector<std::string>& template_names();
bool is_template_name(const std::string& name);
// Renders `question` with the named template; unknown names throw Error listing the valid ones.
std::string render_template(const std::string& name, std::string_view question, const TemplateOptions& options = {});
// Whether the named template writes the BOS token itself (then encode with add_special_tokens=false,
// as transformers' apply_chat_template does).
bool template_includes_bos(const std::string& name);
// Renders and encodes a prompt: special tokens recognised, BOS added only when the template lacks it.
std::vector<TokenId> encode_prompt(const Tokenizer& tokenizer, const std::string& name, std::string_view question,
                                   const TemplateOptions& options = {});

}  // namespace lightreasoner::tokenizer
