// `lightreasoner world generate|tokenizer`: the worlds' data and tokenizer (docs/worlds.md). `generate` writes
// train/valid/test jsonl (GSM8K fields "question"/"answer", plus id, steps, story) and the
// tokenizer corpus (train split only); with --corpora also the lineage world's general / math /
// instruct training corpora and their tokenizer corpus; `tokenizer` trains a small digit-splitting
// sentencepiece model. The generator is src/world/; the pipelines are scripts/toy_world.sh (the
// instruct-analog world) and scripts/lineage_world.sh (the lineage world).
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/sentencepiece_train.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/world/corpora.h"
#include "lightreasoner/world/problems.h"

namespace lightreasoner::cli {
namespace {

namespace fs = std::filesystem;

struct WorldArgs {
  world::WorldOptions world;
  bool corpora = false;
  world::LineageOptions lineage;
  std::string reasoned_answers_in = "general";  // lineage.reasoned_answers_in, by name
  std::string data_out;
  std::string corpus;
  std::string tokenizer_out;
  int vocab_size = 256;
};

std::string to_jsonl(const std::vector<world::WorldProblem>& problems) {
  std::string text;
  for (const auto& p : problems) {
    nlohmann::ordered_json j = {{"id", p.id}, {"question", p.question}, {"answer", p.answer},
                                {"steps", p.steps}, {"story", p.story}};
    text += j.dump() + "\n";
  }
  return text;
}

// Corpus records as `sft` reads them with the plain template: question = prompt, answer = text.
std::string to_jsonl(const std::vector<world::CorpusRecord>& records) {
  std::string text;
  for (const auto& r : records)
    text += nlohmann::ordered_json{{"id", r.id}, {"question", r.prompt}, {"answer", r.text}}.dump() + "\n";
  return text;
}

void run_generate(const WorldArgs& args) {
  const auto splits = world::generate_world(args.world);
  const fs::path out = args.data_out;
  fs::create_directories(out);
  write_file_atomic(out / "train.jsonl", to_jsonl(splits.train));
  write_file_atomic(out / "valid.jsonl", to_jsonl(splits.valid));
  write_file_atomic(out / "test.jsonl", to_jsonl(splits.test));
  // The tokenizer sees the train split only, one question or solution line per line.
  std::string corpus;
  for (const auto& p : splits.train) corpus += p.question + "\n" + p.answer + "\n";
  write_file_atomic(out / "corpus.txt", corpus);
  if (args.corpora) {
    world::LineageOptions lineage = args.lineage;
    lineage.seed = args.world.seed;
    lineage.reasoned_answers_in =
        args.reasoned_answers_in == "math" ? world::ReasonedAnswersIn::math : world::ReasonedAnswersIn::general;
    const auto c = world::lineage_corpora(splits.train, lineage);
    write_file_atomic(out / "general.jsonl", to_jsonl(c.general));
    write_file_atomic(out / "math.jsonl", to_jsonl(c.math));
    write_file_atomic(out / "instruct.jsonl", to_jsonl(c.instruct));
    std::string text;  // the lineage tokenizer's corpus: every general and math document
    for (const auto* corpus : {&c.general, &c.math})
      for (const auto& r : *corpus) text += r.prompt + (r.prompt.empty() ? "" : "\n") + r.text + "\n";
    write_file_atomic(out / "lineage-corpus.txt", text);
    spdlog::info("world: lineage corpora: {} general, {} math, {} instruct records", c.general.size(), c.math.size(),
                 c.instruct.size());
  }
  spdlog::info("world: {} train, {} valid, {} test problems (seed {}, {} stories) in {}", splits.train.size(),
               splits.valid.size(), splits.test.size(), args.world.seed, world::story_names().size(), out.string());
}

void run_tokenizer(const WorldArgs& args) {
  LR_CHECK(fs::is_regular_file(args.corpus), "world tokenizer: --corpus " << args.corpus << " is not a file");
  const fs::path out = args.tokenizer_out;
  fs::create_directories(out);
  // BPE with every digit its own piece (numbers are read and written digit by digit), no byte
  // fallback (the world is ASCII; 256 byte pieces would dwarf the vocabulary), Llama-2 ids
  // (unk 0, bos 1, eos 2), which is what `init` writes into config.json.
  tokenizer::train_sentencepiece({"--input=" + args.corpus, "--model_prefix=" + (out / "tokenizer").string(),
                                  "--vocab_size=" + std::to_string(args.vocab_size), "--model_type=bpe",
                                  "--split_digits=true", "--character_coverage=1.0", "--byte_fallback=false",
                                  "--unk_id=0", "--bos_id=1", "--eos_id=2", "--pad_id=-1",
                                  "--num_threads=1", "--minloglevel=1"});
  write_file_atomic(out / "tokenizer_config.json",
                    nlohmann::json{{"add_bos_token", true}, {"add_eos_token", false}, {"bos_token", "<s>"},
                                   {"eos_token", "</s>"}, {"unk_token", "<unk>"}}
                            .dump(2) +
                        "\n");
  auto tok = tokenizer::load_tokenizer(out);
  LR_CHECK(tok->vocab_size() == args.vocab_size,
           "world tokenizer: asked for " << args.vocab_size << " pieces, spm_train wrote " << tok->vocab_size());
  spdlog::info("world: sentencepiece tokenizer ({} pieces, digits split) in {}", tok->vocab_size(), out.string());
}

}  // namespace

Command make_world_command(CLI::App& root, const GlobalOptions& /*global*/) {
  auto args = std::make_shared<WorldArgs>();
  CLI::App* app = root.add_subcommand("world", "the worlds (docs/worlds.md): generate arithmetic word problems and corpora, train a tokenizer");
  app->require_subcommand(1);
  CLI::App* generate = app->add_subcommand("generate", "write train/valid/test jsonl and the tokenizer corpus");
  generate->add_option("--out", args->data_out, "output directory")->required();
  generate->add_option("--seed", args->world.seed, "generator seed")->capture_default_str();
  generate->add_option("--train", args->world.train_count, "train problems")->capture_default_str();
  generate->add_option("--valid", args->world.valid_count, "validation problems (train side)")->capture_default_str();
  generate->add_option("--test", args->world.test_count, "test problems")->capture_default_str();
  CLI::Option* corpora = generate->add_flag(
      "--corpora", args->corpora, "also write the lineage world's general.jsonl, math.jsonl, instruct.jsonl and lineage-corpus.txt");
  // The corpora's settings need --corpora: without it they would be silently ignored.
  generate->add_option("--fact-documents", args->lineage.fact_documents, "--corpora: arithmetic-fact documents (5 facts each)")
      ->capture_default_str()
      ->needs(corpora);
  generate->add_option("--math-general-share", args->lineage.math_general_share,
                       "--corpora: share of general documents in the math corpus")
      ->capture_default_str()
      ->needs(corpora);
  generate->add_option("--reasoned-answer-share", args->lineage.reasoned_answer_share,
                       "--corpora: share of the question/answer documents answered with a worked solution")
      ->capture_default_str()
      ->needs(corpora);
  generate
      ->add_option("--reasoned-answers-in", args->reasoned_answers_in,
                   "--corpora: the corpus holding the worked question/answer documents (math: the general base never sees one)")
      ->capture_default_str()
      ->check(CLI::IsMember({"general", "math"}))
      ->needs(corpora);
  generate->add_option("--test-percent", args->world.test_percent, "share of question space reserved for test")
      ->capture_default_str();
  CLI::App* tok = app->add_subcommand("tokenizer", "train the world's sentencepiece tokenizer (runs spm_train)");
  tok->add_option("--corpus", args->corpus, "text corpus (world generate's corpus.txt)")->required();
  tok->add_option("--out", args->tokenizer_out, "output directory (tokenizer.model, tokenizer_config.json)")->required();
  tok->add_option("--vocab-size", args->vocab_size, "pieces")->capture_default_str();
  return {app, [args, generate, tok] {
            if (generate->parsed()) run_generate(*args);
            if (tok->parsed()) run_tokenizer(*args);
          }};
}

}  // namespace lightreasoner::cli
