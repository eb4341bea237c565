// `lightreasoner tokenize`: shows how a prompt or data field is tokenized, the way llama.cpp's
// tokenize tool helps debug prompts. One id per line with its vocabulary token and decoded text,
// or with --json one JSON array of ids per input. Encodes like Hugging Face's tokenizer(text)
// unless --no-special. The tokenizer work itself is in src/tokenizer/.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::cli {
namespace {

struct TokenizeOptions {
  std::string model_dir;
  std::optional<std::string> text;
  std::string file;
  std::string field;
  std::string template_name;
  std::optional<std::string> system;
  bool json = false;
  bool no_special = false;
};

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_ids(const tokenizer::Tokenizer& tok, const std::vector<tokenizer::TokenId>& ids, bool as_json) {
  if (as_json) {
    std::cout << nlohmann::json(ids).dump() << "\n";
    return;
  }
  for (auto id : ids) {
    std::cout << id << "\t" << json_string(tok.id_to_token(id)) << "\t" << json_string(tok.decode({id})) << "\n";
  }
  std::cout << ids.size() << " tokens\n";
}

void run_tokenize(const TokenizeOptions& o) {
  auto tok = tokenizer::load_tokenizer(o.model_dir);
  spdlog::info("tokenizer: {} from {}, {} ids, fingerprint {}", tokenizer::tokenizer_kind_name(tok->kind()), o.model_dir,
               tok->vocab_size(), tok->fingerprint());
  LR_CHECK(!o.system || !o.template_name.empty(), "--system is set but no --template renders it: add --template");
  if (!o.template_name.empty()) prompt::check_system(prompt::format_named(o.template_name, "--template"), o.system, "--system");
  prompt::TemplateOptions template_options;
  template_options.system = o.system;
  auto encode = [&](const std::string& text) {
    if (o.no_special) {
      const std::string prompt = o.template_name.empty() ? text : prompt::render_template(o.template_name, text, template_options);
      tokenizer::EncodeOptions plain_text;
      plain_text.parse_special = false;
      plain_text.add_special_tokens = false;
      return tok->encode(prompt, plain_text);
    }
    if (o.template_name.empty()) return tok->encode(text);
    return prompt::encode_prompt(*tok, o.template_name, text, template_options);
  };
  if (o.text) {
    print_ids(*tok, encode(*o.text), o.json);
    return;
  }
  io::JsonlReader reader(o.file);
  io::JsonlRecord record;
  Progress progress("tokenize", -1, "records");
  int64_t records = 0, tokens = 0;
  while (reader.next(record)) {
    const auto ids = encode(record.string_field(o.field));
    print_ids(*tok, ids, o.json);
    ++records;
    tokens += static_cast<int64_t>(ids.size());
    progress.update(records, {{"tokens", std::to_string(tokens)}});
  }
  progress.finish({{"tokens", std::to_string(tokens)}});
}

}  // namespace

Command make_tokenize_command(CLI::App& root, const GlobalOptions& global) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* app = root.add_subcommand("tokenize", "show the token ids of a text or of a jsonl field (prompt debugging)");
  app->add_option("--model", o->model_dir, "directory with tokenizer.json or tokenizer.model (+ tokenizer_config.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* text = app->add_option("--text", o->text, "the text to encode");
  auto* file = app->add_option("--file", o->file, "a .jsonl file: encode one field of every record")->check(CLI::ExistingFile);
  app->add_option("--field", o->field, "the record field to encode with --file")->needs(file);
  text->excludes(file);
  app->add_option("--template", o->template_name, "render the text with a prompt template first")
      ->check(CLI::IsMember(prompt::template_names()));
  app->add_option("--system", o->system, "system prompt for templates that take one");
  app->add_flag("--json", o->json, "print one JSON array of ids per input");
  app->add_flag("--no-special", o->no_special, "treat special-token text as plain text and add no BOS");
  return {app, [o] {
            LR_CHECK(o->text || !o->file.empty(), "tokenize: give --text TEXT or --file F.jsonl --field NAME");
            LR_CHECK(o->file.empty() || !o->field.empty(), "tokenize: --file needs --field NAME (the record field to encode)");
            run_tokenize(*o);
          }};
}

}  // namespace lightreasoner::cli
