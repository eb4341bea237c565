// Export to and import from the official LightReasoner per-step jsonl (docs/formats.md#official-format): one line
// per selected step {prompt_id, step, prefix, tokens, token_ids, weights, kl_divergence}, where
// prompt_id is the question text (the official fine-tuning reads it as the question) and prefix is
// the decoded rollout before the step. Text needs a tokenizer: it comes in as callbacks, so this
// file does not depend on the tokenizer module. Files are written atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

using DecodeFn = std::function<std::string(const std::vector<int64_t>& ids)>;
using EncodeFn = std::function<std::vector<int64_t>(const std::string& text)>;  // no special tokens added
// Question → prompt ids, i.e. the chat template rendered and encoded as `sample` does it.
using PromptIdsFn = std::function<std::vector<int64_t>(const std::string& question)>;

// The official lines of one record. prompt_id = record.question, or record.id when absent.
// Keys in the official script's order.
std::vector<nlohmann::ordered_json> to_official_lines(const ContrastRecord& record, const DecodeFn& decode);

struct OfficialExportStats {
  int64_t records = 0;
  int64_t steps = 0;
  int64_t records_without_question = 0;  // prompt_id fell back to the record id
};
OfficialExportStats export_official(const std::filesystem::path& contrast_path, const std::filesystem::path& out_path,
                                    const DecodeFn& decode);

struct OfficialImportStats {
  int64_t lines = 0;
  int64_t records = 0;
  int64_t steps = 0;
  // Steps whose prefix is not the decoded start of the longest prefix's tokens (re-tokenisation
  // differs, e.g. a multi-byte character cut in half): dropped and counted, first one named.
  int64_t steps_dropped = 0;
  std::string first_dropped;  // file:line
};
// Groups the lines by prompt_id (first-appearance order) into records: id = question = prompt_id,
// prompt_ids = prompt_ids_of(question), completion_ids = encode(longest prefix) — the rollout is
// only known up to its last selected step, so that step has t == completion_ids.size().
std::vector<ContrastRecord> import_official(const std::filesystem::path& official_path, const EncodeFn& encode,
                                            const DecodeFn& decode, const PromptIdsFn& prompt_ids_of,
                                            OfficialImportStats* stats = nullptr);
// import_official + write the records as contrast.jsonl (atomically).
OfficialImportStats import_official_to(const std::filesystem::path& official_path,
                                       const std::filesystem::path& contrast_path, const EncodeFn& encode,
                                       const DecodeFn& decode, const PromptIdsFn& prompt_ids_of);

}  // namespace lightreasoner::contrast
