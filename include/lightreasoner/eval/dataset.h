// Evaluation data sets: resolving a name (a folder under the data dir, as the toolkit's
// <data_dir>/<data_name>/test.jsonl) or a path, and the toolkit's dataset-specific question
// text (parse_question) and gold answer (parse_ground_truth, as evaluate() finally compares it)
// for every data set in data/, multiple choice included. Bad records are reported with
// file:line and the field. No prompts (prompt.h) and no grading here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::eval {

// Data set names the toolkit parses (parse_ground_truth branches).
const std::vector<std::string>& known_data_names();
bool is_known_data_name(const std::string& name);

// The toolkit data_name for a data set folder name (gsm8k_openai -> gsm8k, math_prm800k and
// math500 -> math, otherwise the name itself).
std::string data_name_of_folder(const std::string& folder);

struct DatasetSpec {
  std::string label;      // shown in summaries: the folder name (e.g. "math_prm800k") or file stem
  std::string data_name;  // the toolkit's data_name that selects parsing (e.g. "math")
  std::filesystem::path path;
};

// `name_or_path`: a known folder name under data_dir (gsm8k_openai -> data_name gsm8k,
// math_prm800k/math500 -> math; an empty data_dir is the shipped data/, core/resources.h), or a .jsonl path whose data_name is `data_name` when given,
// else its parent folder's name. Throws naming what was tried.
DatasetSpec resolve_dataset(const std::string& name_or_path, const std::filesystem::path& data_dir,
                            const std::string& data_name = "");

struct EvalExample {
  int64_t id = 0;          // the record's "idx", else its 0-based record index (as the toolkit)
  std::string where;       // file:line
  std::string question;    // parse_question
  std::string gold;        // final gold string (parse_ground_truth twice, as evaluate() does)
  io::Json record;
};

// parse_question / parse_ground_truth for one record; throw Error naming where and the field.
std::string parse_question(const io::JsonlRecord& record, const std::string& data_name);
std::string parse_ground_truth(const io::JsonlRecord& record, const std::string& data_name);
EvalExample parse_example(const io::JsonlRecord& record, const std::string& data_name, int64_t record_index);

struct LoadedDataset {
  DatasetSpec spec;
  std::vector<EvalExample> examples;
  int64_t skipped = 0;         // bad records skipped (policy kSkip)
  std::string skipped_summary;  // first problem, for the log
};

// Reads every record; with kStop the first bad record throws (file:line: reason), with kSkip it
// is counted and logged. `limit` > 0 keeps the first `limit` examples. `check_record`, when
// set, runs first on each record and throws Error for a record that is bad for the caller.
LoadedDataset load_dataset(const DatasetSpec& spec, io::BadRecordPolicy policy = io::BadRecordPolicy::kStop,
                           int64_t limit = 0,
                           const std::function<void(const io::JsonlRecord&)>& check_record = {});

}  // namespace lightreasoner::eval
