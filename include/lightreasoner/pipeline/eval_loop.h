// The eval loop every eval-shaped recipe runs (a model's eval, --grade, sft's rejection sampling):
// it owns its output directory — the lock, run.json (a resume must continue the same run),
// predictions.jsonl (appended per batch, resumable after a kill; ranks of a launch write part
// files that rank 0 merges in work order) and summary.json — and drives eval/grading.h's pieces:
// work ordered by prompt length, cut into batches for the CompletionSource, each completion
// graded. It does not render prompts or load data sets (the recipes do).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lightreasoner/dist/process_group.h"
#include "lightreasoner/eval/grading.h"

namespace lightreasoner::pipeline {

struct EvalLoopOptions {
  std::filesystem::path out_dir;
  std::string prompt_type = "qwen25-math-cot";
  int shots = 0;
  bool resume = true;  // continue from predictions.jsonl; false starts over
  eval::MathEqualOptions grading;
  // What made the completions (the model and its generation settings, or the graded file), nested as
  // in a config file; stored in run.json with prompt_type, shots and the source's name. A resume
  // compares them field by field (config/compare.h) and names each difference.
  io::Json run_settings = io::Json::object();
};

// prompts[d][i] is the prompt of datasets[d].examples[i]. `group`: the ranks sharing the work
// (dist::world() in a recipe; a default Group is one process).
eval::EvalSummary run_eval_loop(const std::vector<eval::LoadedDataset>& datasets,
                                const std::vector<std::vector<std::string>>& prompts,
                                const eval::CompletionSource& source, const EvalLoopOptions& options,
                                const dist::Group& group);

}  // namespace lightreasoner::pipeline
