// The one registry of prompt formats: every format training renders (prompt.template: sample,
// train, sft, rejection, generate, tokenize, official) and every prompt type eval renders
// (eval.template) is ONE entry here, carrying its name(s), how it renders a zero-shot question,
// whether it writes BOS, its few-shot shape and its stop strings. The zero-shot text of a format
// is defined once: training renders it through render_template, eval through assemble_prompt with
// no demos, and both read the same entry. Adding a format means adding one entry in formats.cpp.
// Strings are TEXT ("<|im_start|>" as characters); encode_prompt recognises special tokens. The
// toolkit's demos and data-set mapping are eval's (eval/prompt.h); no Jinja, no chat_template.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::prompt {

// How the Qwen2.5-Math toolkit builds prompts of one of its prompt types (docs/grading.md#prompts):
// its PROMPT_TEMPLATES triple and the construct_prompt rules that depend on the type.
struct ToolkitShape {
  std::string input;     // "{input}" becomes the question (and each demo's question)
  std::string output;    // "{output}" becomes each demo's answer
  std::string splitter;  // between demos, and between the last demo and the question
  // The toolkit's qwen25-math-cot "hotfix": every demo ("q\na", joined by "\n\n") goes inside the
  // one user turn instead of input/output pairs.
  bool demos_in_input = false;
  // platypus_fs: the whole prompt, demos included, inside an Alpaca instruction.
  std::string wrap_before, wrap_after;
};

// A system prompt for the formats that take one; nullopt = the format's default.
struct TemplateOptions {
  std::optional<std::string> system;
};

using RenderFn = std::function<std::string(std::string_view question, const std::optional<std::string>& system)>;

struct PromptFormat {
  std::string name;  // what configs and the CLI call it
  // The toolkit's name for the same format where configs have always used another one
  // ("cot" for question-answer); either name selects the entry, in every config and flag.
  std::string toolkit_name;
  // Set for the toolkit's prompt types: the zero-shot text is the shape with no demos, few-shot
  // works, and eval.template may name it. Exactly one of `toolkit` and `render` is set.
  std::optional<ToolkitShape> toolkit;
  // Formats the toolkit lacks (the models' chat templates, plain): zero-shot only, training only.
  RenderFn render;
  bool takes_system = false;  // render uses TemplateOptions::system (the toolkit's types never do)
  bool writes_bos = false;    // the text starts with BOS: encode without adding special tokens
  std::vector<std::string> stops;  // the format's own stop strings, after kCommonStops
  // Another entry whose zero-shot text this one renders byte for byte (`direct` renders `cot`'s):
  // a model trained on either may be evaluated with the other. "" = none.
  std::string same_zero_shot_as;
};

// The stop strings of every format (vLLM's, as the toolkit passes them), before its own.
extern const std::vector<std::string> kCommonStops;

// The registry, in the order of formats.cpp.
const std::vector<PromptFormat>& formats();
// The entry a name (or toolkit name) selects; an unknown one throws Error listing the valid names,
// with a "did you mean" when one is close, after `key` (the setting that named it) when given.
const PromptFormat& format_named(const std::string& name, std::string_view key = {});
// format_named for eval.template: also refuses a format that is not one of the toolkit's types.
const PromptFormat& eval_format_named(const std::string& name);
// Refuses a system prompt for a format that takes none (it would be dropped without a word), naming
// `key` (the setting or flag that set it) and the formats that do take one.
void check_system(const PromptFormat& format, const std::optional<std::string>& system, std::string_view key);
// The name eval knows an entry by (its toolkit name where it has one).
const std::string& eval_name(const PromptFormat& format);
// Whether a model trained on `trained` sees the same zero-shot text when prompted with `other`.
bool same_zero_shot(const PromptFormat& trained, const PromptFormat& other);

// Every name that selects an entry, sorted (for --template checks and messages).
const std::vector<std::string>& template_names();
bool is_template_name(const std::string& name);

// The toolkit's construct_prompt for a format with a toolkit shape: demos assembled per the shape,
// then the toolkit's final strip(" "). `demos` are (question, answer) pairs.
struct FewShotDemo {
  std::string question;
  std::string answer;
};
std::string assemble_prompt(const PromptFormat& format, std::string_view question, const std::vector<FewShotDemo>& demos);

// The zero-shot prompt of the named format (what sample, train and sft write before the response).
std::string render_template(const std::string& name, std::string_view question, const TemplateOptions& options = {});
// Whether the named format writes the BOS token itself (then encode with add_special_tokens=false,
// as transformers' apply_chat_template does).
bool template_includes_bos(const std::string& name);
// Renders and encodes a prompt: special tokens recognised, BOS added only when the format lacks it.
std::vector<tokenizer::TokenId> encode_prompt(const tokenizer::Tokenizer& tokenizer, const std::string& name,
                                              std::string_view question, const TemplateOptions& options = {});
// kCommonStops and the format's own.
std::vector<std::string> stop_words(const PromptFormat& format);

// The chat templates' renderers, as transformers renders them with add_generation_prompt=true.
// Qwen2.5 chat template (no tools) for [system, user]; nullopt = Qwen2.5's "You are Qwen, ..." system.
std::string qwen_chat(std::string_view question, const std::optional<std::string>& system);
// DeepSeek-R1-Distill: BOS, system text, "<｜User｜>{q}<｜Assistant｜><think>\n".
std::string deepseek_r1(std::string_view question, const std::optional<std::string>& system);
// Llama 2 chat: "<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{q} [/INST]" (no <<SYS>> block without a system).
std::string llama2_chat(std::string_view question, const std::optional<std::string>& system);
// Llama 3 chat: header/eot-delimited turns starting with <|begin_of_text|>, ending with the assistant header.
std::string llama3_chat(std::string_view question, const std::optional<std::string>& system);

// One ChatML message and a ChatML conversation as Qwen2.5's template renders it (no tools):
// a default system turn is inserted when the first message is not a system message.
struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};
std::string chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                   std::string_view default_system = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");

}  // namespace lightreasoner::prompt
