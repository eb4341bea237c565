// Dataset resolution and the toolkit's parse_question / parse_ground_truth (docs/grading.md (Data sets)),
// one branch per data_name. JSON numbers are rendered as Python's str() would (145.0, 39).
#include "lightreasoner/eval/dataset.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "lightreasoner/core/error.h"
#include "lightreasoner/core/resources.h"
#include "lightreasoner/eval/extract_answer.h"
#include "lightreasoner/eval/pyregex.h"
#include "lightreasoner/core/pytext.h"
#include "lightreasoner/eval/strip_string.h"

namespace lightreasoner::eval {

namespace fs = std::filesystem;

const std::vector<std::string>& known_data_names() {
  static const std::vector<std::string> names = {
      "gsm8k",         "math",          "minerva_math",     "svamp",          "asdiv",          "mawps",
      "carp_en",       "mmlu_stem",     "sat_math",         "aqua",           "gaokao2023en",   "college_math",
      "gaokao_math_cloze", "gaokao_math_qa", "gaokao2024_mix", "cn_middle_school", "olympiadbench", "aime24",
      "amc23",         "cmath",         "gaokao2024_I",     "gaokao2024_II",  "imo2024"};
  return names;
}

bool is_known_data_name(const std::string& name) {
  const auto& names = known_data_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

// str(value) for a JSON scalar the way Python prints it after json.loads.
std::string python_str(const io::Json& value, const io::JsonlRecord& record, const std::string& field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) return py::float_repr(value.get<double>());
  LR_FAIL(record.where() << ": field '" << field << "' must be a string or a number (got " << value.dump().substr(0, 60)
                         << ")");
}

std::string string_or_number_field(const io::JsonlRecord& record, const std::string& field) {
  return python_str(record.field(field), record, field);
}

std::string replace_relations(const std::string& s) {
  return py::replace(py::replace(py::replace(s, "\\neq", "\\ne"), "\\leq", "\\le"), "\\geq", "\\ge");
}

// parse_ground_truth's first pass: (gt_cot, gt_ans) before the post-processing strip.
struct RawGold {
  std::string cot;
  std::string answer;
};

RawGold raw_gold(const io::JsonlRecord& r, const std::string& data_name) {
  if (data_name == "math" || data_name == "minerva_math") {
    std::string solution = r.string_field("solution");
    return {solution, extract_answer(solution, data_name)};
  }
  if (data_name == "gsm8k") {
    auto parts = py::split(r.string_field("answer"), "####");
    LR_CHECK(parts.size() == 2, r.where() << ": field 'answer' must contain exactly one '####' (found "
                                          << parts.size() - 1 << ")");
    return {parts[0], parts[1]};
  }
  if (data_name == "svamp") return {"", string_or_number_field(r, "Answer")};
  if (data_name == "asdiv") {
    static const PyRegex parenthesised("\\(.*?\\)");
    return {"", parenthesised.sub(r.string_field("answer"), "")};
  }
  if (data_name == "mawps") return {"", string_or_number_field(r, "target")};
  if (data_name == "carp_en") return {"", r.string_field("answer")};
  if (data_name == "mmlu_stem") {
    const auto& answer = r.field("answer");
    LR_CHECK(answer.is_number_integer() && answer.get<int64_t>() >= 0 && answer.get<int64_t>() < 4,
             r.where() << ": field 'answer' must be an integer 0..3 (got " << answer.dump().substr(0, 60) << ")");
    return {"", std::string(1, "ABCD"[answer.get<int64_t>()])};
  }
  if (data_name == "sat_math") return {"", r.string_field("Answer")};
  if (data_name == "aqua") return {"", r.string_field("correct")};
  if (data_name == "gaokao2023en" || data_name == "college_math" || data_name == "gaokao_math_cloze") {
    return {"", py::strip(py::replace(r.string_field("answer"), "$", ""))};
  }
  if (data_name == "gaokao_math_qa") return {"", r.string_field("label")};
  if (data_name == "gaokao2024_mix" || data_name == "cn_middle_school") {
    std::string choice = r.string_field("choice_answer");
    return {"", choice.empty() ? string_or_number_field(r, "answer") : choice};
  }
  if (data_name == "olympiadbench") {
    const auto& answers = r.field("final_answer");
    LR_CHECK(answers.is_array() && !answers.empty() && answers[0].is_string(),
             r.where() << ": field 'final_answer' must be a non-empty list of strings (got "
                       << answers.dump().substr(0, 60) << ")");
    return {"", py::strip_chars(answers[0].get<std::string>(), "$")};
  }
  if (data_name == "aime24" || data_name == "amc23" || data_name == "cmath" || data_name == "gaokao2024_I" ||
      data_name == "gaokao2024_II" || data_name == "imo2024") {
    return {"", string_or_number_field(r, "answer")};
  }
  LR_FAIL("unknown data_name '" << data_name << "' (the toolkit raises NotImplementedError; use one of: "
                                << py::join(known_data_names(), ", ") << "; MATH500 is data_name 'math')");
}

// The first pass's post-processing: strip_string, or only the relation renames for the exceptions.
std::string first_pass_gold(const io::JsonlRecord& r, const std::string& data_name) {
  RawGold gold = raw_gold(r, data_name);
  if (skips_units(data_name)) return replace_relations(gold.answer);
  return strip_string(gold.answer, data_name == "carp_en");
}

}  // namespace

std::string data_name_of_folder(const std::string& folder) {
  // Folders in data/ whose name is not the toolkit's data_name.
  static const std::map<std::string, std::string> aliases = {
      {"gsm8k_openai", "gsm8k"}, {"math_prm800k", "math"}, {"math500", "math"}};
  auto it = aliases.find(folder);
  return it == aliases.end() ? folder : it->second;
}

DatasetSpec resolve_dataset(const std::string& name_or_path, const fs::path& data_dir, const std::string& data_name) {
  DatasetSpec spec;
  fs::path as_path(name_or_path);
  if (fs::is_regular_file(as_path)) {
    spec.path = as_path;
    spec.label = as_path.parent_path().filename().string() + "/" + as_path.stem().string();
    spec.data_name = data_name.empty() ? data_name_of_folder(fs::absolute(as_path).parent_path().filename().string())
                                       : data_name;
  } else {
    // An empty data_dir means the data/ folder shipped with the binary (core/resources.h).
    const fs::path dir = resolve_data_dir(data_dir.string());
    fs::path candidate = dir / name_or_path / "test.jsonl";
    LR_CHECK(fs::is_regular_file(candidate), "dataset '" << name_or_path << "' is neither a file nor a folder with "
                                                         << candidate.string() << " (data dir " << dir.string()
                                                         << ")");
    spec.path = candidate;
    spec.label = name_or_path;
    spec.data_name = data_name.empty() ? data_name_of_folder(name_or_path) : data_name;
  }
  LR_CHECK(is_known_data_name(spec.data_name),
           "dataset " << spec.path.string() << ": unknown data_name '" << spec.data_name
                      << "' (pass --data-name, one of: " << py::join(known_data_names(), ", ") << ")");
  return spec;
}

std::string parse_ground_truth(const io::JsonlRecord& r, const std::string& data_name) {
  // evaluate() parses again from {"gt_cot", "gt"}: math re-extracts from the solution (one
  // strip in total), the exceptions keep gt, the others strip a second time.
  if (data_name == "math") return extract_answer(py::strip(raw_gold(r, data_name).cot), data_name);
  std::string gt = first_pass_gold(r, data_name);
  if (skips_units(data_name)) return gt;
  return strip_string(gt);
}

std::string parse_question(const io::JsonlRecord& r, const std::string& data_name) {
  std::string question;
  if (data_name == "asdiv") {
    question = py::strip(r.string_field("body")) + " " + py::strip(r.string_field("question"));
  } else if (data_name == "svamp") {
    std::string body = py::strip(r.string_field("Body"));
    if (!py::ends_with(body, ".")) body += ".";
    question = body + " " + py::strip(r.string_field("Question"));
  } else if (data_name == "carp_en") {
    question = r.string_field("content");
  } else if (data_name == "mmlu_stem") {
    const auto& choices = r.field("choices");
    LR_CHECK(choices.is_array() && choices.size() == 4,
             r.where() << ": field 'choices' must be a list of 4 options (got " << choices.dump().substr(0, 60) << ")");
    std::vector<std::string> options;
    for (size_t i = 0; i < 4; ++i) {
      options.push_back(std::string("(") + "ABCD"[i] + ") " + py::strip(python_str(choices[i], r, "choices")));
    }
    question = py::strip(r.string_field("question")) + "\nAnswer Choices: " + py::join(options, " ");
  } else if (data_name == "sat_math") {
    std::string options = py::strip(r.string_field("options"));
    LR_CHECK(!options.empty() && options[0] == 'A',
             r.where() << ": field 'options' must start with 'A' (got " << options.substr(0, 20) << ")");
    options = "(" + options;
    for (const char* letter : {"B", "C", "D"}) {
      options = py::replace(options, std::string(" ") + letter + ") ", std::string(" (") + letter + ") ");
    }
    question = py::strip(r.string_field("question")) + "\nAnswer Choices: " + options;
  } else if (data_name == "aqua") {
    const auto& options = r.field("options");
    LR_CHECK(options.is_array(), r.where() << ": field 'options' must be a list");
    std::vector<std::string> texts;
    for (const auto& option : options) texts.push_back(python_str(option, r, "options"));
    std::string choice = "(" + py::join(texts, "(");
    choice = py::strip(py::replace(py::replace(choice, "(", " ("), ")", ") "));
    question = py::strip(r.string_field("question")) + "\nAnswer Choices: " + choice;
  } else if (data_name == "gaokao_math_qa") {
    const auto& options = r.field("options");
    LR_CHECK(options.is_object(), r.where() << ": field 'options' must be an object of lettered options");
    std::vector<std::string> texts;
    for (const auto& [key, value] : options.items()) texts.push_back("(" + key + ") " + python_str(value, r, "options"));
    question = py::strip(r.string_field("question")) + "\n选项: " + py::join(texts, " ");
  } else {
    question = r.first_string_field({"question", "problem", "Question", "input"});
  }
  std::string gt_lower = py::lower(first_pass_gold(r, data_name));
  if (gt_lower == "true" || gt_lower == "false") question += " (True or False)";
  if (gt_lower == "yes" || gt_lower == "no") question += " (Yes or No)";
  return py::strip(question);
}

EvalExample parse_example(const io::JsonlRecord& record, const std::string& data_name, int64_t record_index) {
  EvalExample example;
  example.where = record.where();
  if (record.has("idx")) {
    const auto& idx = record.field("idx");
    LR_CHECK(idx.is_number_integer(), record.where() << ": field 'idx' must be an integer (got "
                                                     << idx.dump().substr(0, 40) << ")");
    example.id = idx.get<int64_t>();
  } else {
    example.id = record_index;
  }
  example.question = parse_question(record, data_name);
  example.gold = parse_ground_truth(record, data_name);
  example.record = record.value;
  return example;
}

LoadedDataset load_dataset(const DatasetSpec& spec, io::BadRecordPolicy policy, int64_t limit,
                           const std::function<void(const io::JsonlRecord&)>& check_record) {
  LoadedDataset out;
  out.spec = spec;
  io::JsonlReader reader(spec.path, policy);
  io::JsonlRecord record;
  int64_t index = 0;
  while (reader.next(record)) {
    if (limit > 0 && static_cast<int64_t>(out.examples.size()) >= limit) break;
    try {
      if (check_record) check_record(record);
      out.examples.push_back(parse_example(record, spec.data_name, index));
    } catch (const Error& e) {
      if (policy == io::BadRecordPolicy::kStop) throw;
      if (out.skipped++ == 0) out.skipped_summary = e.what();
    }
    ++index;
  }
  out.skipped += reader.bad_records();
  if (out.skipped_summary.empty()) out.skipped_summary = reader.summary();
  if (out.skipped > 0) spdlog::warn("{}: {} bad records skipped ({})", spec.path.string(), out.skipped, out.skipped_summary);
  return out;
}

}  // namespace lightreasoner::eval
