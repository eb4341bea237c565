// The `sample` recipe in five phases, each one screen: check the inputs, open the output directory
// (resume checks, part files, meta), plan the batches, sample them (generate → score → write), and
// finish (reduce over ranks, merge the parts, final counts in the meta).
#include "lightreasoner/pipeline/sample.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/decoding.h"
#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/contrast/sample.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/core/stage_timer.h"
#include "lightreasoner/dist/output_dir.h"
#include "lightreasoner/dist/parts.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/identity.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/prompt/formats.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "lightreasoner/pipeline/options.h"

namespace lightreasoner::pipeline {

namespace fs = std::filesystem;
using namespace contrast;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Phase 1: the keys sample needs, and one tokenizer for both models (or the step-by-step
// comparison is meaningless).
std::unique_ptr<tokenizer::Tokenizer> check_inputs(const config::RunConfig& config) {
  LR_CHECK(!config.expert.path.empty(), "sample needs expert.path (the expert model directory)");
  LR_CHECK(!config.amateur.path.empty(), "sample needs amateur.path (the amateur model directory)");
  LR_CHECK(!config.data.path.empty(), "sample needs data.path (a problems .jsonl file)");
  check_model_dir(config.expert.path, "expert.path");
  check_model_dir(config.amateur.path, "amateur.path");
  // An unknown name, or a system prompt the format would drop, fails before any work.
  prompt::check_system(prompt::format_named(config.prompt.template_name, "prompt.template"), config.prompt.system,
                       "prompt.system");
  parse_device(config.device);  // a bad device name fails before any work
  auto tok = tokenizer::load_tokenizer(config.expert.path);
  auto amateur_tok = tokenizer::load_tokenizer(config.amateur.path);
  LR_CHECK(tok->fingerprint() == amateur_tok->fingerprint(),
           "the expert and the amateur use different tokenizers: expert '"
               << config.expert.path << "' has " << tokenizer::tokenizer_kind_name(tok->kind()) << " vocabulary "
               << tok->vocab_size() << " (fingerprint " << tok->fingerprint() << "), amateur '" << config.amateur.path
               << "' has " << tokenizer::tokenizer_kind_name(amateur_tok->kind()) << " vocabulary "
               << amateur_tok->vocab_size() << " (fingerprint " << amateur_tok->fingerprint()
               << "); LightReasoner compares the two next-token distributions id by id, so they must share one");
  return tok;
}

struct OpenedDataset {
  fs::path dataset, meta_file;
  ContrastMeta meta;          // this run's settings and identities
  double earlier_wall = 0.0;  // wall seconds of the runs this one resumes
  std::unordered_set<std::string> done;  // ids already in the dataset
};

// Phase 2: rank 0 checks the output directory — an existing dataset must have been made with
// these settings (else refused, or discarded with --resample), part files of an interrupted
// data-parallel run join it — and writes the meta; then every rank reads which ids are done.
OpenedDataset open_dataset(const config::RunConfig& config, const tokenizer::Tokenizer& tok, bool resample) {
  const dist::Group& group = dist::world();
  const fs::path out_dir = config.output_dir;
  fs::create_directories(out_dir);
  if (group.is_main()) config::write_resolved_config(config, out_dir);
  OpenedDataset d;
  d.dataset = out_dir / "contrast.jsonl";
  d.meta_file = meta_path_for(d.dataset);
  d.meta = contrast_meta(config);
  d.meta.expert = model::identify_model(config.expert.path);
  d.meta.amateur = model::identify_model(config.amateur.path);
  d.meta.tokenizer_fingerprint = tok.fingerprint();
  if (group.is_main()) {
    if (resample) discard_dataset(d.dataset);
    if (fs::exists(d.meta_file)) {
      ContrastMeta earlier = read_meta(d.meta_file);
      check_meta_compatible(earlier, d.meta, MetaUse::kResume, d.meta_file);
      d.earlier_wall = earlier.wall_seconds;
    } else {
      LR_CHECK(!fs::exists(d.dataset), "'" << d.dataset.string() << "' exists without "
                                           << d.meta_file.filename().string()
                                           << ": it was not written by this program's sample; move it away or choose "
                                              "another output_dir");
    }
    // Parts left by an interrupted data-parallel run (of any world size) join the dataset now;
    // the final merge puts every line in problem order.
    if (auto leftovers = dist::existing_parts(d.dataset); !leftovers.empty()) {
      LR_CHECK(fs::exists(d.meta_file), "'" << leftovers.front().string() << "' exists without "
                                            << d.meta_file.filename().string() << "; move it away");
      dist::merge_parts(d.dataset, leftovers, {}, dist::field_key("id"));
      spdlog::info("sample: {} part file(s) of an interrupted run folded into {}", leftovers.size(), d.dataset.string());
    }
    contrast_record_ids(d.dataset);  // drops a torn last line, as the writer would
    write_meta(d.meta_file, d.meta);  // from here on the directory is a (partial) dataset
  }
  group.barrier("sample: start (rank 0 checks the output directory)");
  d.done = contrast_record_ids(d.dataset);
  return d;
}

struct Pending {
  const Problem* problem;
  std::vector<int64_t> prompt_ids;
  int64_t batch = 0;  // which batch of the whole (uninterrupted, one-process) run it belongs to
};

struct Plan {
  std::vector<Pending> pending;  // this rank's problems still to do, in batch order
  int64_t too_long = 0;
};

// Phase 3: prompts, and the batches cut from every eligible problem, done or not, so a resumed or
// data-parallel run computes each batch with the same rows and seed as one uninterrupted process;
// rank r runs the batches k with k mod world_size = r.
Plan plan_batches(const config::RunConfig& config, const ProblemSet& set, const tokenizer::Tokenizer& tok,
                  const std::unordered_set<std::string>& done, const fs::path& dataset) {
  const dist::Group& group = dist::world();
  const auto expert_config = model::load_model_config(config.expert.path);
  const auto amateur_config = model::load_model_config(config.amateur.path);
  const int64_t context = std::min(expert_config.max_position_embeddings, amateur_config.max_position_embeddings);
  prompt::TemplateOptions template_options;
  template_options.system = config.prompt.system;
  const auto batch_size = static_cast<int64_t>(config.sample.batch_size);
  Plan plan;
  int64_t eligible = 0, done_eligible = 0;
  for (const auto& problem : set.problems) {
    auto encoded = prompt::encode_prompt(tok, config.prompt.template_name, problem.question, template_options);
    std::vector<int64_t> prompt(encoded.begin(), encoded.end());
    int64_t needed = static_cast<int64_t>(prompt.size()) + config.sample.max_new_tokens;
    if (needed > context) {
      LR_CHECK(config.data.on_bad_record == "skip",
               problem.where() << ": prompt of " << prompt.size() << " tokens + max_new_tokens "
                               << config.sample.max_new_tokens << " exceeds the models' context of " << context
                               << " (set data.on_bad_record=skip to skip such problems)");
      ++plan.too_long;
      continue;
    }
    const int64_t batch = eligible++ / batch_size;
    if (done.count(problem.id)) {
      ++done_eligible;
      continue;
    }
    if (dist::owns_batch(batch, group.rank(), group.world_size()))
      plan.pending.push_back({&problem, std::move(prompt), batch});
  }
  if (plan.too_long > 0)
    spdlog::warn("sample: {} problem(s) skipped: prompt + max_new_tokens exceeds the context", plan.too_long);
  spdlog::info("sample: {} problems, {} already in {}, {} to do{}", set.problems.size(), done.size(), dataset.string(),
               eligible - done_eligible,
               group.is_distributed()
                   ? fmt::format(" over {} ranks ({} on rank 0)", group.world_size(), plan.pending.size())
                   : std::string());
  return plan;
}

struct Produced {
  int64_t new_tokens = 0, scored_tokens = 0;
};

// Phase 4: the models, then per batch: generate (seeded by the batch's place in the whole run),
// score both models over the exact ids, append the records (a rank to its own part file).
Produced sample_batches(const config::RunConfig& config, const Plan& plan, const tokenizer::Tokenizer& tok,
                        const fs::path& dataset, std::shared_ptr<model::CausalLM> expert, SampleReport& report,
                        StageTimer& stages) {
  const dist::Group& group = dist::world();
  Produced produced;
  if (plan.pending.empty()) return produced;
  const auto& pending = plan.pending;
  stages.start("load models");
  model::LoadOptions load;
  load.dtype = parse_dtype(config.expert.dtype);
  load.device = parse_device(config.device);
  if (!expert)
    expert = model::load_model_with_adapter(
        config.expert.path, config.expert.adapter ? std::optional<fs::path>(*config.expert.adapter) : std::nullopt, load);
  load.dtype = parse_dtype(config.amateur.dtype);
  auto amateur = model::load_model(config.amateur.path, load);
  expert->eval();
  amateur->eval();

  generate::GenerationOptions gen;
  gen.max_new_tokens = config.sample.max_new_tokens;
  const DecodingSettings decoding = sample_decoding(config);  // sample.decoding
  gen.sampling.temperature = decoding.temperature;
  gen.sampling.top_p = decoding.top_p;
  gen.sampling.top_k = decoding.top_k;
  gen.sampling.min_p = decoding.min_p;
  gen.sampling.validate();
  auto defaults = model::load_generation_defaults(config.expert.path, model::load_model_config(config.expert.path));
  gen.eos_token_ids = model::eos_ids_with(defaults, tok.eos_id());
  gen.pad_token_id = model::pad_id_with(defaults, tok.pad_id());
  const auto options = contrast_options(config);
  const auto batch_size = static_cast<int64_t>(config.sample.batch_size);

  ContrastWriter writer(group.is_distributed() ? dist::part_path(dataset, group.rank(), group.world_size()) : dataset,
                        /*append=*/true);
  Progress progress("sample", static_cast<int64_t>(pending.size()), "problems");
  int64_t selected = 0, scored_steps = 0;
  for (size_t begin = 0, end = 0; begin < pending.size(); begin = end) {
    end = begin;
    while (end < pending.size() && pending[end].batch == pending[begin].batch) ++end;
    std::vector<std::vector<int64_t>> prompts;
    for (size_t i = begin; i < end; ++i) prompts.push_back(pending[i].prompt_ids);

    stages.start("generate");
    // Each batch's seed is its position in the whole run: a resumed or data-parallel run samples
    // exactly what one uninterrupted process would.
    gen.seed = static_cast<uint64_t>(config.seed) * 1000003ULL + static_cast<uint64_t>(pending[begin].batch * batch_size);
    auto generated = generate::generate(*expert, prompts, gen);

    std::vector<std::vector<int64_t>> completions;
    for (const auto& c : generated.completions) completions.push_back(c.ids);
    stages.start("score");
    auto scored = score_rollouts(*expert, *amateur, prompts, completions, options);

    stages.start("write");
    for (size_t i = begin; i < end; ++i) {
      size_t row = i - begin;
      ContrastRecord record;
      record.id = pending[i].problem->id;
      record.question = pending[i].problem->question;
      record.prompt_ids = pending[i].prompt_ids;
      record.completion_ids = completions[row];
      record.completion = tokenizer::decode_model_ids(tok, completions[row], /*skip_special_tokens=*/false);
      attach_contrast(record, scored.result, scored.first_position[row]);
      selected += static_cast<int64_t>(record.steps.size());
      scored_steps += static_cast<int64_t>(record.completion_ids.size());
      produced.scored_tokens += static_cast<int64_t>(record.prompt_ids.size() + record.completion_ids.size() - 1);
      writer.write(record);
    }
    writer.flush();
    stages.stop();
    produced.new_tokens += generated.stats.new_tokens;
    report.new_rollouts += static_cast<int64_t>(end - begin);
    double elapsed = progress.elapsed_seconds();
    progress.update(static_cast<int64_t>(end),
                    {{"tok/s", format_rate(elapsed > 0 ? produced.new_tokens / elapsed : 0)},
                     {"selected", std::to_string(selected) + "/" + std::to_string(scored_steps)}});
    if (stop_requested() && end < pending.size()) {  // every written line is kept: the rerun resumes
      throw StopRequested{"sample: " + std::to_string(end) + " of " + std::to_string(pending.size()) +
                          " new rollouts written to " + dataset.string() + "; rerun the command to continue"};
    }
  }
  progress.finish({{"tok/s", format_rate(produced.new_tokens / std::max(progress.elapsed_seconds(), 1e-9))},
                   {"selected", std::to_string(selected) + "/" + std::to_string(scored_steps)}});
  report.timings.generation_seconds = stages.seconds("generate");
  report.timings.scoring_seconds = stages.seconds("score");
  report.timings.writing_seconds = stages.seconds("write");
  return produced;
}

// Phase 5: throughput over ranks (tokens add up, the slowest rank's seconds count), rank 0 merges
// the part files in problem order and writes the counts of the whole file into the meta.
void finish(const config::RunConfig& config, const ProblemSet& set, const Plan& plan, OpenedDataset& d,
            Produced produced, std::chrono::steady_clock::time_point wall_start, SampleReport& report) {
  const dist::Group& group = dist::world();
  report.new_rollouts = static_cast<int64_t>(
      group.sum_of({static_cast<double>(report.new_rollouts)}, "sample: rollout count")[0]);
  auto sums = group.sum_of({static_cast<double>(produced.new_tokens), static_cast<double>(produced.scored_tokens)},
                           "sample: token counts");
  auto slowest = group.max_of({report.timings.generation_seconds, report.timings.scoring_seconds,
                               report.timings.writing_seconds}, "sample: timings");
  report.timings = {slowest[0], slowest[1], slowest[2]};
  if (group.is_distributed() && group.is_main()) {
    std::vector<std::string> order;
    order.reserve(set.problems.size());
    for (const auto& problem : set.problems) order.push_back(problem.id);
    dist::merge_parts(d.dataset, dist::existing_parts(d.dataset), order, dist::field_key("id"));
  }
  if (!group.is_main()) {
    group.barrier("sample: rank 0 merging the part files");
    report.meta = d.meta;
    return;
  }
  // Counts describe the whole file, including lines written by earlier (resumed) runs.
  ContrastCounts counts;
  counts.problems = static_cast<int64_t>(set.problems.size());
  counts.problems_skipped = set.skipped + plan.too_long;
  for (const auto& record : read_contrast(d.dataset)) {
    ++counts.rollouts;
    counts.completion_tokens += static_cast<int64_t>(record.completion_ids.size());
    counts.steps_scored += static_cast<int64_t>(record.completion_ids.size());
    counts.steps_selected += static_cast<int64_t>(record.steps.size());
  }
  d.meta.counts = counts;
  const double this_run = seconds_since(wall_start);
  d.meta.wall_seconds = d.earlier_wall + this_run;
  // Throughput of this run: generated tokens per generation second, and teacher-forced tokens
  // (through both models, incl. KL and targets) per scoring second.
  if (report.timings.generation_seconds > 0) d.meta.rollout_tokens_per_second = sums[0] / report.timings.generation_seconds;
  if (report.timings.scoring_seconds > 0) d.meta.scored_tokens_per_second = sums[1] / report.timings.scoring_seconds;
  write_meta(d.meta_file, d.meta);
  report.meta = d.meta;
  group.barrier("sample: rank 0 merging the part files");
  spdlog::info("sample: {} rollouts in {} ({} new), {} of {} steps selected ({:.1f}%), {:.1f}s", counts.rollouts,
               d.dataset.string(), report.new_rollouts, counts.steps_selected, counts.steps_scored,
               counts.steps_scored ? 100.0 * counts.steps_selected / counts.steps_scored : 0.0, this_run);
}

}  // namespace

void discard_dataset(const fs::path& dataset) {
  for (const auto& part : dist::existing_parts(dataset)) fs::remove(part);
  const bool had = fs::remove(dataset);
  if (fs::remove(meta_path_for(dataset)) || had) spdlog::info("--resample: {} discarded", dataset.string());
}

SampleReport run_sample(const config::RunConfig& config, bool resample, std::shared_ptr<model::CausalLM> expert) {
  const auto wall_start = std::chrono::steady_clock::now();
  StageTimer stages("sample");
  stages.start("prepare");  // the lock, the tokenizer, the dataset's resume checks, the problems, the plan
  const OutputDirLock lock = dist::lock_output_dir(config.output_dir, "sample");
  auto tok = check_inputs(config);
  watch_device_memory(parse_device(config.device));  // the stages from here on log the GPU's peak
  OpenedDataset opened = open_dataset(config, *tok, resample);
  const ProblemSet set = load_problems(config.data, config.seed);
  if (set.skipped > 0) spdlog::warn("sample: {} problem record(s) skipped: {}", set.skipped, set.skip_summary);
  const Plan plan = plan_batches(config, set, *tok, opened.done, opened.dataset);
  // The one selection difference with a measured cost (docs/worlds.md: the whole gain of the ancestor
  // world), said where a user reads the run's settings.
  if (config.sample.skip_first_step)
    spdlog::info("sample: the first generated token (t = 0) is never kept (sample.skip_first_step = true, the "
                 "official code's default); where the first token decides how the expert answers, set it to false "
                 "(docs/worlds.md)");
  SampleReport report;
  report.dataset = opened.dataset;
  report.resumed_rollouts = static_cast<int64_t>(opened.done.size());
  const Produced produced = sample_batches(config, plan, *tok, opened.dataset, std::move(expert), report, stages);
  stages.start("finish");  // the reduction over ranks, the merge of the part files, the meta
  finish(config, set, plan, opened, produced, wall_start, report);
  stages.log();
  return report;
}

}  // namespace lightreasoner::pipeline
