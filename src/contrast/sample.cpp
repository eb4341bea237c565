// `sample`: rollouts → teacher-forced scoring of both models → KL/selection/targets → contrast.jsonl.
#include "lightreasoner/contrast/sample.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/decoding.h"
#include "lightreasoner/contrast/problems.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/hash.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/dist/parts.h"
#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/generate/generator.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"
#include "lightreasoner/tokenizer/templates.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace lightreasoner::contrast {

namespace fs = std::filesystem;

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<fs::path> weight_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() == ".safetensors" || name == "model.safetensors.index.json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

ModelIdentity identify_model(const fs::path& dir) {
  ModelIdentity id;
  id.path = fs::absolute(dir).lexically_normal().string();
  id.config_hash = hash_file(dir / "config.json");
  auto files = weight_files(dir);
  LR_CHECK(!files.empty(), "no .safetensors files in '" << dir.string() << "'");
  id.weights_checksum = hash_files(files);
  return id;
}

ScoredRollouts score_rollouts(model::CausalLM& expert, model::CausalLM& amateur,
                              const std::vector<std::vector<int64_t>>& prompts,
                              const std::vector<std::vector<int64_t>>& completions, const ContrastOptions& options,
                              ScoreTimings* timings) {
  LR_CHECK(prompts.size() == completions.size(), "score_rollouts: " << prompts.size() << " prompts but "
                                                                    << completions.size() << " completions");
  torch::NoGradGuard no_grad;
  const auto device = expert.device();
  const int64_t batch = static_cast<int64_t>(prompts.size());
  ScoredRollouts scored;
  // Row i's input is prompt + completion[:-1] (the last token is predicted, never an input),
  // right-padded: causal attention keeps pads out of every real position.
  int64_t width = 0, positions = 0;
  for (int64_t i = 0; i < batch; ++i) {
    LR_CHECK(!prompts[i].empty() && !completions[i].empty(), "score_rollouts: row " << i << " is empty");
    width = std::max<int64_t>(width, prompts[i].size() + completions[i].size() - 1);
    scored.first_position.push_back(positions);
    positions += static_cast<int64_t>(completions[i].size());
  }
  auto ids = torch::zeros({batch, width}, torch::kInt64);  // [B, L]
  std::vector<int64_t> flat_index;   // position in [B*L] that predicts each step
  std::vector<int64_t> step_index;   // t of each step
  flat_index.reserve(positions);
  step_index.reserve(positions);
  auto ids_a = ids.accessor<int64_t, 2>();
  for (int64_t i = 0; i < batch; ++i) {
    const auto& p = prompts[i];
    const auto& c = completions[i];
    int64_t len = 0;
    for (auto id : p) ids_a[i][len++] = id;
    for (size_t t = 0; t + 1 < c.size(); ++t) ids_a[i][len++] = c[t];
    for (size_t t = 0; t < c.size(); ++t) {
      flat_index.push_back(i * width + static_cast<int64_t>(p.size()) - 1 + static_cast<int64_t>(t));
      step_index.push_back(static_cast<int64_t>(t));
    }
  }
  ids = ids.to(device);
  auto gather = torch::tensor(flat_index, torch::kInt64).to(device);  // [N]
  auto d_expert = expert.config().hidden_size;
  auto d_amateur = amateur.config().hidden_size;
  // Final hidden states at the scored positions only; lm_head is applied chunk by chunk below.
  // Clock reads that first wait for the device, only when a split was asked for.
  auto clock = [&] {
    if (timings && device.is_cuda()) torch::cuda::synchronize();
    return std::chrono::steady_clock::now();
  };
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const auto start = clock();
  auto hidden_expert = expert.forward(ids).reshape({batch * width, d_expert}).index_select(0, gather);    // [N, dE]
  auto hidden_amateur = amateur.forward(ids).reshape({batch * width, d_amateur}).index_select(0, gather);  // [N, dA]
  const auto bodies_done = clock();
  double lm_head_seconds = 0;
  int64_t vocab = std::max(expert.config().vocab_size, amateur.config().vocab_size);
  LogitsChunkFn logits = [&](int64_t begin, int64_t end) {
    const auto t0 = timings ? clock() : bodies_done;
    auto pair = std::make_pair(expert.logits(hidden_expert.slice(0, begin, end)),
                               amateur.logits(hidden_amateur.slice(0, begin, end)));
    if (timings) lm_head_seconds += seconds(t0, clock());
    return pair;
  };
  scored.result = build_contrast_chunked(positions, vocab, device, logits, torch::tensor(step_index, torch::kInt64),
                                         options);
  if (timings) {
    const auto end = clock();
    timings->body_seconds += seconds(start, bodies_done);
    timings->lm_head_seconds += lm_head_seconds;
    timings->targets_seconds += seconds(bodies_done, end) - lm_head_seconds;
  }
  return scored;
}

SampleReport run_sample(const config::RunConfig& config) {
  const auto wall_start = std::chrono::steady_clock::now();
  const dist::Group& group = dist::world();
  LR_CHECK(!config.expert.path.empty(), "sample needs expert.path (the expert model directory)");
  LR_CHECK(!config.amateur.path.empty(), "sample needs amateur.path (the amateur model directory)");
  LR_CHECK(!config.data.path.empty(), "sample needs data.path (a problems .jsonl file)");
  LR_CHECK(tokenizer::is_template_name(config.prompt.template_name),
           "prompt.template '" << config.prompt.template_name << "' is not a known template");
  const auto device = parse_device(config.device);
  const fs::path out_dir = config.output_dir;
  fs::create_directories(out_dir);
  if (group.is_main()) config::write_resolved_config(config, out_dir);

  // One tokenizer for both models, or the step-by-step comparison is meaningless.
  auto tok = tokenizer::load_tokenizer(config.expert.path);
  auto amateur_tok = tokenizer::load_tokenizer(config.amateur.path);
  LR_CHECK(tok->fingerprint() == amateur_tok->fingerprint(),
           "the expert and the amateur use different tokenizers: expert '"
               << config.expert.path << "' has " << tokenizer::tokenizer_kind_name(tok->kind()) << " vocabulary "
               << tok->vocab_size() << " (fingerprint " << tok->fingerprint() << "), amateur '" << config.amateur.path
               << "' has " << tokenizer::tokenizer_kind_name(amateur_tok->kind()) << " vocabulary "
               << amateur_tok->vocab_size() << " (fingerprint " << amateur_tok->fingerprint()
               << "); LightReasoner compares the two next-token distributions id by id, so they must share one");

  ContrastMeta meta = meta_from_config(config);
  meta.program_version = LR_VERSION;
  meta.expert = identify_model(config.expert.path);
  meta.amateur = identify_model(config.amateur.path);
  meta.tokenizer_fingerprint = tok->fingerprint();

  const fs::path dataset = out_dir / "contrast.jsonl";
  const fs::path meta_file = meta_path_for(dataset);
  double earlier_wall = 0.0;
  if (group.is_main()) {
    if (fs::exists(meta_file)) {
      ContrastMeta earlier = read_meta(meta_file);
      check_meta_compatible(earlier, meta, MetaUse::kResume, meta_file);
      earlier_wall = earlier.wall_seconds;
    } else {
      LR_CHECK(!fs::exists(dataset), "'" << dataset.string() << "' exists without " << meta_file.filename().string()
                                         << ": it was not written by this program's sample; move it away or choose "
                                            "another output_dir");
    }
    // Parts left by an interrupted data-parallel run (of any world size) join the dataset now;
    // the final merge puts every line in problem order.
    if (auto leftovers = dist::existing_parts(dataset); !leftovers.empty()) {
      LR_CHECK(fs::exists(meta_file), "'" << leftovers.front().string() << "' exists without "
                                          << meta_file.filename().string() << "; move it away");
      dist::merge_parts(dataset, leftovers, {}, dist::field_key("id"));
      spdlog::info("sample: {} part file(s) of an interrupted run folded into {}", leftovers.size(), dataset.string());
    }
    contrast_record_ids(dataset);  // drops a torn last line, as the writer would
    write_meta(meta_file, meta);   // from here on the directory is a (partial) dataset
  }
  group.barrier("sample: start (rank 0 checks the output directory)");
  auto done = contrast_record_ids(dataset);

  ProblemSet set = load_problems(config.data.path, config.data.max_problems, config.data.shuffle,
                                 static_cast<uint64_t>(config.seed), io::parse_bad_record_policy(config.data.on_bad_record));
  if (set.skipped > 0) spdlog::warn("sample: {} problem record(s) skipped: {}", set.skipped, set.skip_summary);

  const auto expert_config = model::load_model_config(config.expert.path);
  const auto amateur_config = model::load_model_config(config.amateur.path);
  const int64_t context = std::min(expert_config.max_position_embeddings, amateur_config.max_position_embeddings);
  tokenizer::TemplateOptions template_options;
  template_options.system = config.prompt.system;
  struct Pending {
    const Problem* problem;
    std::vector<int64_t> prompt_ids;
    int64_t batch = 0;  // which batch of the whole (uninterrupted, one-process) run it belongs to
  };
  // The batches are cut from every eligible problem, done or not, so a resumed or data-parallel
  // run computes each batch with the same rows and seed as one uninterrupted process; rank r
  // runs the batches k with k mod world_size = r.
  const auto batch_size = static_cast<int64_t>(config.sample.batch_size);
  std::vector<Pending> pending;
  int64_t too_long = 0, eligible = 0, done_eligible = 0;
  for (const auto& problem : set.problems) {
    auto encoded = tokenizer::encode_prompt(*tok, config.prompt.template_name, problem.question, template_options);
    std::vector<int64_t> prompt(encoded.begin(), encoded.end());
    int64_t needed = static_cast<int64_t>(prompt.size()) + config.sample.max_new_tokens;
    if (needed > context) {
      LR_CHECK(config.data.on_bad_record == "skip",
               problem.where << ": prompt of " << prompt.size() << " tokens + max_new_tokens "
                             << config.sample.max_new_tokens << " exceeds the models' context of " << context
                             << " (set data.on_bad_record=skip to skip such problems)");
      ++too_long;
      continue;
    }
    const int64_t batch = eligible++ / batch_size;
    if (done.count(problem.id)) {
      ++done_eligible;
      continue;
    }
    if (dist::owns_batch(batch, group.rank(), group.world_size())) pending.push_back({&problem, std::move(prompt), batch});
  }
  if (too_long > 0) spdlog::warn("sample: {} problem(s) skipped: prompt + max_new_tokens exceeds the context", too_long);
  spdlog::info("sample: {} problems, {} already in {}, {} to do{}", set.problems.size(), done.size(), dataset.string(),
               eligible - done_eligible,
               group.is_distributed() ? fmt::format(" over {} ranks ({} on rank 0)", group.world_size(), pending.size())
                                      : std::string());

  SampleReport report;
  report.dataset = dataset;
  report.resumed_rollouts = static_cast<int64_t>(done.size());
  int64_t new_tokens = 0, scored_tokens = 0;
  if (!pending.empty()) {
    model::LoadOptions load;
    load.dtype = parse_dtype(config.expert.dtype);
    load.device = device;
    auto expert = model::load_model_with_adapter(
        config.expert.path, config.expert.adapter ? std::optional<fs::path>(*config.expert.adapter) : std::nullopt, load);
    load.dtype = parse_dtype(config.amateur.dtype);
    auto amateur = model::load_model(config.amateur.path, load);
    expert->eval();
    amateur->eval();

    generate::GenerationOptions gen;
    gen.max_new_tokens = config.sample.max_new_tokens;
    const DecodingSettings decoding = resolved_decoding(config);  // sample.decoding
    gen.sampling.temperature = decoding.temperature;
    gen.sampling.top_p = decoding.top_p;
    gen.sampling.top_k = decoding.top_k;
    gen.sampling.min_p = decoding.min_p;
    gen.sampling.validate();
    auto defaults = model::load_generation_defaults(config.expert.path, expert_config);
    gen.eos_token_ids = model::eos_ids_with(defaults, tok->eos_id());
    gen.pad_token_id = model::pad_id_with(defaults, tok->pad_id());
    const auto options = contrast_options_from(config);

    // One process appends to the dataset itself; a rank of a launch to its own part file.
    ContrastWriter writer(group.is_distributed() ? dist::part_path(dataset, group.rank(), group.world_size()) : dataset,
                          /*append=*/true);
    Progress progress("sample", static_cast<int64_t>(pending.size()), "problems");
    int64_t selected = 0, scored_steps = 0;
    for (size_t begin = 0, end = 0; begin < pending.size(); begin = end) {
      end = begin;
      while (end < pending.size() && pending[end].batch == pending[begin].batch) ++end;
      std::vector<std::vector<int64_t>> prompts;
      for (size_t i = begin; i < end; ++i) prompts.push_back(pending[i].prompt_ids);

      auto t0 = std::chrono::steady_clock::now();
      // Each batch's seed is its position in the whole run: a resumed or data-parallel run samples
      // exactly what one uninterrupted process would.
      gen.seed = static_cast<uint64_t>(config.seed) * 1000003ULL + static_cast<uint64_t>(pending[begin].batch * batch_size);
      auto generated = generate::generate(*expert, prompts, gen);
      report.timings.generation_seconds += seconds_since(t0);

      std::vector<std::vector<int64_t>> completions;
      for (const auto& c : generated.completions) completions.push_back(c.ids);
      auto t1 = std::chrono::steady_clock::now();
      auto scored = score_rollouts(*expert, *amateur, prompts, completions, options);
      report.timings.scoring_seconds += seconds_since(t1);

      auto t2 = std::chrono::steady_clock::now();
      for (size_t i = begin; i < end; ++i) {
        size_t row = i - begin;
        ContrastRecord record;
        record.id = pending[i].problem->id;
        record.question = pending[i].problem->question;
        record.prompt_ids = pending[i].prompt_ids;
        record.completion_ids = completions[row];
        record.completion = tokenizer::decode_model_ids(*tok, completions[row], /*skip_special_tokens=*/false);
        attach_contrast(record, scored.result, scored.first_position[row]);
        selected += static_cast<int64_t>(record.steps.size());
        scored_steps += static_cast<int64_t>(record.completion_ids.size());
        scored_tokens += static_cast<int64_t>(record.prompt_ids.size() + record.completion_ids.size() - 1);
        writer.write(record);
      }
      writer.flush();
      report.timings.writing_seconds += seconds_since(t2);
      new_tokens += generated.stats.new_tokens;
      report.new_rollouts += static_cast<int64_t>(end - begin);
      double elapsed = progress.elapsed_seconds();
      progress.update(static_cast<int64_t>(end),
                      {{"tok/s", format_rate(elapsed > 0 ? new_tokens / elapsed : 0)},
                       {"selected", std::to_string(selected) + "/" + std::to_string(scored_steps)}});
    }
    progress.finish({{"tok/s", format_rate(new_tokens / std::max(progress.elapsed_seconds(), 1e-9))},
                     {"selected", std::to_string(selected) + "/" + std::to_string(scored_steps)}});
  }

  // Throughput over ranks: tokens add up, the slowest rank's seconds count.
  report.new_rollouts = static_cast<int64_t>(
      group.sum_of({static_cast<double>(report.new_rollouts)}, "sample: rollout count")[0]);
  {
    auto sums = group.sum_of({static_cast<double>(new_tokens), static_cast<double>(scored_tokens)}, "sample: token counts");
    new_tokens = static_cast<int64_t>(sums[0]);
    scored_tokens = static_cast<int64_t>(sums[1]);
    auto slowest = group.max_of({report.timings.generation_seconds, report.timings.scoring_seconds,
                                 report.timings.writing_seconds}, "sample: timings");
    report.timings = {slowest[0], slowest[1], slowest[2]};
  }
  if (group.is_distributed()) {
    if (group.is_main()) {
      std::vector<std::string> order;
      order.reserve(set.problems.size());
      for (const auto& problem : set.problems) order.push_back(problem.id);
      dist::merge_parts(dataset, dist::existing_parts(dataset), order, dist::field_key("id"));
    }
  }
  if (!group.is_main()) {
    group.barrier("sample: rank 0 merging the part files");
    report.meta = meta;
    return report;
  }

  // Counts describe the whole file, including lines written by earlier (resumed) runs.
  ContrastCounts counts;
  counts.problems = static_cast<int64_t>(set.problems.size());
  counts.problems_skipped = set.skipped + too_long;
  for (const auto& record : read_contrast(dataset)) {
    ++counts.rollouts;
    counts.completion_tokens += static_cast<int64_t>(record.completion_ids.size());
    counts.steps_scored += static_cast<int64_t>(record.completion_ids.size());
    counts.steps_selected += static_cast<int64_t>(record.steps.size());
  }
  meta.counts = counts;
  double this_run = seconds_since(wall_start);
  meta.wall_seconds = earlier_wall + this_run;
  // Throughput of this run: generated tokens per generation second, and teacher-forced tokens
  // (through both models, incl. KL and targets) per scoring second.
  if (report.timings.generation_seconds > 0) meta.rollout_tokens_per_second = new_tokens / report.timings.generation_seconds;
  if (report.timings.scoring_seconds > 0) meta.scored_tokens_per_second = scored_tokens / report.timings.scoring_seconds;
  write_meta(meta_file, meta);
  report.meta = meta;
  group.barrier("sample: rank 0 merging the part files");
  spdlog::info("sample: {} rollouts in {} ({} new), {} of {} steps selected ({:.1f}%), {:.1f}s",
               counts.rollouts, dataset.string(), report.new_rollouts, counts.steps_selected, counts.steps_scored,
               counts.steps_scored ? 100.0 * counts.steps_selected / counts.steps_scored : 0.0, this_run);
  return report;
}

}  // namespace lightreasoner::contrast
