// contrast.jsonl records (round trip, validation, batch appends over a torn line), the meta file
// and its compatibility check, the official per-step format (round trip with a table tokenizer),
// and `inspect` (library figures checked by hand, the CLI's text and JSON, bad input).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>

#include "lightreasoner/contrast/builder.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/inspect.h"
#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/contrast/official_format.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/pipeline/options.h"
#include "support.h"

namespace lr = lightreasoner::contrast;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// A toy tokenizer: a fixed table of strings, greedy longest-match encoding, decoding = concatenation.
struct TableTokenizer {
  std::vector<std::string> table = {"<q>", "<a>", " ", "2", "+", "=", "4", "so", "s", "o", "ab", "a", "b", "\n", "é"};
  std::string decode(const std::vector<int64_t>& ids) const {
    std::string text;
    for (int64_t id : ids) text += table.at(static_cast<size_t>(id));
    return text;
  }
  std::vector<int64_t> encode(const std::string& text) const {
    std::vector<int64_t> ids;
    size_t pos = 0;
    while (pos < text.size()) {
      int64_t best = -1;
      size_t best_len = 0;
      for (size_t i = 0; i < table.size(); ++i)
        if (table[i].size() > best_len && text.compare(pos, table[i].size(), table[i]) == 0) best = i, best_len = table[i].size();
      if (best < 0) throw std::runtime_error("untokenisable text at " + std::to_string(pos));
      ids.push_back(best);
      pos += best_len;
    }
    return ids;
  }
  lr::DecodeFn decode_fn() const { return [this](const std::vector<int64_t>& ids) { return decode(ids); }; }
  lr::EncodeFn encode_fn() const { return [this](const std::string& text) { return encode(text); }; }
  lr::PromptIdsFn prompt_fn() const {
    return [this](const std::string& q) { return encode("<q>" + q + "<a>"); };
  }
};

// A record built the way `sample` builds one: driver result over its completion positions.
// `kl`, when given, receives the builder's unrounded KL per position (the record keeps 4 significant digits).
lr::ContrastRecord scored_record(const std::string& id, const std::string& question, const std::string& completion,
                                 const TableTokenizer& tok, uint64_t seed, std::vector<float>* kl = nullptr,
                                 double beta = 0.3) {
  lr::ContrastRecord record;
  record.id = id;
  record.question = question;
  record.prompt_ids = tok.prompt_fn()(question);
  record.completion = completion;
  record.completion_ids = tok.encode(completion);
  const auto n = static_cast<int64_t>(record.completion_ids.size());
  torch::manual_seed(seed);
  torch::Tensor expert = torch::randn({n, 15}) * 3, amateur = torch::randn({n, 15}) * 3;
  lr::ContrastOptions options;
  options.selection.beta = beta;
  auto result = lr::build_contrast(expert, amateur, {}, options);
  if (kl) *kl = result.kl;
  lr::attach_contrast(record, result);
  return record;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void expect_records_equal(const lr::ContrastRecord& a, const lr::ContrastRecord& b, bool with_details) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.question, b.question);
  EXPECT_EQ(a.prompt_ids, b.prompt_ids);
  EXPECT_EQ(a.completion_ids, b.completion_ids);
  EXPECT_EQ(a.completion, b.completion);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t s = 0; s < a.steps.size(); ++s) {
    EXPECT_EQ(a.steps[s].t, b.steps[s].t);
    EXPECT_NEAR(a.steps[s].kl, b.steps[s].kl, 1e-5 * std::max(1.0, a.steps[s].kl));
    EXPECT_EQ(a.steps[s].ids, b.steps[s].ids);
    ASSERT_EQ(a.steps[s].p.size(), b.steps[s].p.size());
    for (size_t k = 0; k < a.steps[s].p.size(); ++k) EXPECT_NEAR(a.steps[s].p[k], b.steps[s].p[k], 1e-6);
    if (with_details) {
      EXPECT_EQ(a.steps[s].pe.size(), b.steps[s].pe.size());
      EXPECT_EQ(a.steps[s].amateur_top_id, b.steps[s].amateur_top_id);
    }
  }
}

}  // namespace

TEST(ContrastDataset, RecordsRoundTripThroughTheFile) {
  TableTokenizer tok;
  auto dir = lrtest::temp_dir();
  std::vector<std::vector<float>> kl(2);
  std::vector<lr::ContrastRecord> records = {scored_record("p0", "2+2", "2+2=4 so ab\n", tok, 1, &kl[0], 4.0),
                                             scored_record("p1", "ab", "ab ba so 4", tok, 2, &kl[1], 4.0)};
  ASSERT_FALSE(records[0].steps.empty());
  ASSERT_EQ(records[0].step_kl.size(), records[0].completion_ids.size());
  {
    lr::ContrastWriter writer(dir / "contrast.jsonl", /*append=*/false);
    for (const auto& r : records) writer.write(r);
    writer.flush();
  }
  auto back = lr::read_contrast(dir / "contrast.jsonl");
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    expect_records_equal(records[i], back[i], /*with_details=*/true);
    ASSERT_EQ(back[i].step_kl.size(), records[i].step_kl.size());
    for (size_t t = 0; t < back[i].step_kl.size(); ++t) EXPECT_NEAR(back[i].step_kl[t], records[i].step_kl[t], 1e-12);
  }
  // The selected steps are exactly those whose KL (the builder's, unrounded) is >= β = 4 (these
  // random logits give KLs of 1-9, so β splits them); each step
  // carries that KL, and step_kl[t] is it rounded to 4 significant digits (relative error ≤ 5e-4).
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    ASSERT_EQ(kl[i].size(), r.step_kl.size()) << r.id;
    std::vector<int64_t> selected, above;
    for (const auto& step : r.steps) selected.push_back(step.t);
    for (size_t t = 0; t < kl[i].size(); ++t) {
      if (kl[i][t] >= 4.0f) above.push_back(static_cast<int64_t>(t));
      EXPECT_NEAR(r.step_kl[t], kl[i][t], 5e-4 * kl[i][t]) << r.id << " t " << t;
    }
    EXPECT_EQ(selected, above) << r.id;
    EXPECT_FALSE(selected.empty()) << r.id;
    EXPECT_LT(selected.size(), kl[i].size()) << r.id;  // β really splits the steps
    for (const auto& step : r.steps) EXPECT_EQ(static_cast<float>(step.kl), kl[i][step.t]) << r.id << " t " << step.t;
  }
}

TEST(ContrastDataset, AppendsBatchByBatchAndDropsATornLine) {
  TableTokenizer tok;
  auto dir = lrtest::temp_dir();
  const auto path = dir / "contrast.jsonl";
  {
    lr::ContrastWriter writer(path, false);
    writer.write(scored_record("p0", "2", "2+2=4", tok, 1));
    writer.flush();
  }
  // A run killed mid-line leaves a torn last line.
  { std::ofstream(path, std::ios::app) << R"({"id": "p1", "prompt_ids": [0, 3], "compl)"; }
  EXPECT_EQ(lr::contrast_record_ids(path), (std::unordered_set<std::string>{"p0"}));
  {
    lr::ContrastWriter writer(path, /*append=*/true);
    writer.write(scored_record("p1", "4", "4 so", tok, 2));
    writer.flush();
  }
  auto back = lr::read_contrast(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].id, "p1");
  EXPECT_TRUE(lr::contrast_record_ids(dir / "absent.jsonl").empty());
}

TEST(ContrastDataset, BadRecordsNameFileLineAndKey) {
  auto dir = lrtest::temp_dir();
  const std::string good_step = R"({"t": 1, "kl": 0.5, "ids": [3, 7], "p": [0.25, 0.75]})";
  auto line = [&](const std::string& steps, const std::string& extra = "") {
    return R"({"id": "a", "prompt_ids": [1, 2], "completion_ids": [5, 6, 7], "completion": "x")" + extra +
           R"(, "steps": [)" + steps + "]}\n";
  };
  struct Case {
    std::string text, needle;
  };
  const std::vector<Case> cases = {
      {line(good_step) + R"({"id": "b", "prompt_ids": [1], "completion": "x", "steps": []})" "\n",
       ":2: missing field 'completion_ids'"},
      {line(R"({"t": 1, "kl": 0.5, "ids": [3, 7], "p": [0.25, 0.5]})"), "field 'p' sums to 0.75"},
      {line(R"({"t": 4, "kl": 0.5, "ids": [3], "p": [1]})"), "field 't' must be an integer in [0, 3]"},
      {line(R"({"t": 1, "kl": 0.5, "ids": [7, 3], "p": [0.5, 0.5]})"), "field 'ids' must be strictly ascending"},
      {line(R"({"t": 1, "kl": 0.5, "ids": [3, -1], "p": [0.5, 0.5]})"), "'ids'[1] must be a non-negative integer"},
      {line(R"({"t": 1, "kl": 0.5, "ids": [3], "p": [1, 0]})"), "field 'p' has 2 entries for 1 token ids"},
      {line(good_step + ", " + good_step), "strictly ascending 't' (1 then 1)"},
      {line(good_step, R"(, "step_kl": [0.1])"), "'step_kl' has 1 entries, 'completion_ids' has 3"},
      {line(R"({"t": 1, "kl": "high", "ids": [3], "p": [1]})"), "field 'kl' must be a finite number"},
      {"[1, 2]\n", ":1:"},
      {"{\"id\": \"a\", \n", ":1:"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto path = dir / ("bad" + std::to_string(i) + ".jsonl");
    write_text(path, cases[i].text);
    EXPECT_LR_ERROR(lr::read_contrast(path), cases[i].needle);
    EXPECT_LR_ERROR(lr::read_contrast(path), path.string());
  }
}

TEST(ContrastMeta, RoundTripAndCompatibility) {
  auto dir = lrtest::temp_dir();
  lightreasoner::config::RunConfig config;
  config.expert.path = "models/expert";
  config.amateur.path = "models/amateur";
  config.data.path = "data/gsm8k.jsonl";
  lr::ContrastMeta meta = lightreasoner::pipeline::contrast_meta(config);
  meta.expert.config_hash = "c1";
  meta.expert.weights_checksum = "w1";
  meta.amateur.config_hash = "c2";
  meta.amateur.weights_checksum = "w2";
  meta.tokenizer_fingerprint = "tok";
  meta.counts.rollouts = 3;
  meta.wall_seconds = 1.5;
  EXPECT_EQ(lr::meta_setting(meta, "selection.beta"), 0.4);
  EXPECT_EQ(lr::meta_setting(meta, "prompt.template"), "qwen25-math-cot");
  const auto path = lr::meta_path_for(dir / "contrast.jsonl");
  EXPECT_EQ(path.filename(), "contrast.meta.json");
  lr::write_meta(path, meta);
  lr::ContrastMeta back = lr::read_meta(path);
  EXPECT_EQ(lr::meta_to_json(back), lr::meta_to_json(meta));
  EXPECT_TRUE(lr::meta_mismatches(back, meta, lr::MetaUse::kResume).empty());

  lr::ContrastMeta moved = meta;  // same weights under another path: still the same expert
  moved.expert.path = "/elsewhere/expert";
  EXPECT_TRUE(lr::meta_mismatches(meta, moved, lr::MetaUse::kTrain).empty());

  lr::ContrastMeta other = meta;
  other.expert.weights_checksum = "w9";
  other.settings["selection"]["beta"] = 0.5;
  other.amateur.weights_checksum = "w8";
  EXPECT_LR_ERROR(lr::check_meta_compatible(meta, other, lr::MetaUse::kTrain, path),
                  "expert.weights_checksum: dataset has w1, this run has w9");
  EXPECT_LR_ERROR(lr::check_meta_compatible(meta, other, lr::MetaUse::kTrain, path), "train --resample");
  auto resume = lr::meta_mismatches(meta, other, lr::MetaUse::kResume);
  EXPECT_EQ(resume.size(), 3u);  // expert weights, amateur weights, beta
  EXPECT_EQ(lr::meta_mismatches(meta, other, lr::MetaUse::kTrain), resume);  // train compares the same
  other.expert.weights_checksum = "w1";
  EXPECT_LR_ERROR(lr::check_meta_compatible(meta, other, lr::MetaUse::kResume, path),
                  "selection.beta: dataset has 0.4, this run has 0.5");
  other.amateur.path.clear();  // a run that names no amateur (train on a dataset) does not compare it
  EXPECT_EQ(lr::meta_mismatches(meta, other, lr::MetaUse::kTrain).size(), 1u);

  // Format 1 (flat keys) is still read, into the same settings.
  Json v1 = lr::meta_to_json(meta);
  v1["format_version"] = 1;
  v1.erase("settings");
  v1["template"] = "qwen25-math-cot";
  v1["system_prompt"] = nullptr;
  v1["alpha"] = 0.2;
  v1["beta"] = 0.4;
  v1["selection_enabled"] = true;
  v1["skip_first_step"] = false;
  v1["target_kind"] = "contrast";
  v1["decoding"] = {{"max_new_tokens", 128}, {"temperature", 0.0}, {"top_p", 1.0}, {"top_k", 0}, {"min_p", 0.0},
                    {"seed", 42}};
  v1["data"] = {{"path", "data/gsm8k.jsonl"}, {"max_problems", 1000}, {"shuffle", false}};
  write_text(dir / "v1.json", v1.dump());
  EXPECT_TRUE(lr::meta_mismatches(lr::read_meta(dir / "v1.json"), meta, lr::MetaUse::kResume).empty());
  // A recorded setting of the wrong type names the key.
  Json bad = lr::meta_to_json(meta);
  bad["settings"]["selection"]["beta"] = "high";
  write_text(dir / "bad_settings.json", bad.dump());
  EXPECT_LR_ERROR(lr::read_meta(dir / "bad_settings.json"), "selection.beta");

  lr::ContrastMeta unhashed = meta;  // no checksums: models matched by path
  unhashed.expert.weights_checksum.clear();
  EXPECT_EQ(lr::meta_mismatches(unhashed, moved, lr::MetaUse::kTrain).size(), 1u);

  Json j = lr::meta_to_json(meta);
  j["format_version"] = 99;
  write_text(dir / "v99.json", j.dump());
  EXPECT_LR_ERROR(lr::read_meta(dir / "v99.json"), "format_version 99 is not supported");
  j = v1;
  j["decoding"].erase("top_p");
  write_text(dir / "missing.json", j.dump());
  EXPECT_LR_ERROR(lr::read_meta(dir / "missing.json"), "missing.json: missing key 'decoding.top_p'");
  j = v1;
  j["beta"] = "high";
  write_text(dir / "typed.json", j.dump());
  EXPECT_LR_ERROR(lr::read_meta(dir / "typed.json"), "typed.json: key 'beta' must be a number (got \"high\")");
}

TEST(ContrastOfficialFormat, ExportWritesTheOfficialFields) {
  TableTokenizer tok;
  lr::ContrastRecord record;
  record.id = "gsm8k-0";
  record.question = "2+2";
  record.prompt_ids = {0};
  record.completion_ids = tok.encode("2+2=4");
  record.completion = "2+2=4";
  lr::ContrastStep step;
  step.t = 3;
  step.kl = 0.9;
  step.ids = {5, 6};
  step.p = {0.25, 0.75};
  record.steps.push_back(step);
  auto lines = lr::to_official_lines(record, tok.decode_fn());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].dump(),
            R"({"prompt_id":"2+2","step":3,"prefix":"2+2","tokens":["=","4"],"token_ids":[5,6],"weights":[0.25,0.75],)"
            R"("kl_divergence":0.9})");
  record.question.reset();
  EXPECT_EQ(lr::to_official_lines(record, tok.decode_fn())[0]["prompt_id"], "gsm8k-0");
}

TEST(ContrastOfficialFormat, RoundTrip) {
  TableTokenizer tok;
  auto dir = lrtest::temp_dir();
  std::vector<lr::ContrastRecord> records = {scored_record("2+2", "2+2", "2+2=4 so ab\n", tok, 1),
                                             scored_record("ab", "ab", "ab ba so 4 é", tok, 2)};
  {
    lr::ContrastWriter writer(dir / "contrast.jsonl", false);
    for (const auto& r : records) writer.write(r);
    writer.flush();
  }
  auto exported = lr::export_official(dir / "contrast.jsonl", dir / "official.jsonl", tok.decode_fn());
  EXPECT_EQ(exported.records, 2);
  EXPECT_EQ(exported.steps, static_cast<int64_t>(records[0].steps.size() + records[1].steps.size()));
  EXPECT_EQ(exported.records_without_question, 0);

  lr::OfficialImportStats stats;
  auto imported = lr::import_official(dir / "official.jsonl", tok.encode_fn(), tok.decode_fn(), tok.prompt_fn(), &stats);
  EXPECT_EQ(stats.steps_dropped, 0);
  ASSERT_EQ(imported.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    // The official format knows the rollout only up to the last selected prefix.
    lr::ContrastRecord expected = records[i];
    const int64_t last_t = expected.steps.back().t;
    expected.completion_ids.resize(static_cast<size_t>(last_t));
    expected.completion = tok.decode(expected.completion_ids);
    expect_records_equal(expected, imported[i], /*with_details=*/false);
  }
  // Second round: exporting the imported records gives the same official file, byte for byte.
  auto again = lr::import_official_to(dir / "official.jsonl", dir / "imported.jsonl", tok.encode_fn(),
                                      tok.decode_fn(), tok.prompt_fn());
  EXPECT_EQ(again.records, 2);
  lr::export_official(dir / "imported.jsonl", dir / "official2.jsonl", tok.decode_fn());
  EXPECT_EQ(lightreasoner::read_file(dir / "official2.jsonl"), lightreasoner::read_file(dir / "official.jsonl"));
}

TEST(ContrastOfficialFormat, ImportChecksPrefixesAndFields) {
  TableTokenizer tok;
  auto dir = lrtest::temp_dir();
  // The longest prefix "2+2" encodes to [2, +, 2]; steps 2 and 3 are its first 2 and 3 tokens,
  // but step 1's prefix "a" is not the decoded first token ("2"): that step is dropped and counted.
  write_text(dir / "official.jsonl",
             R"({"prompt_id": "4", "step": 1, "prefix": "a", "tokens": ["b"], "token_ids": [12], "weights": [1.0], "kl_divergence": 0.5})" "\n"
             R"({"prompt_id": "4", "step": 2, "prefix": "2+", "tokens": ["2"], "token_ids": [3], "weights": [1.0], "kl_divergence": 0.7})" "\n"
             R"({"prompt_id": "4", "step": 3, "prefix": "2+2", "tokens": ["="], "token_ids": [5], "weights": [1.0], "kl_divergence": 0.8})" "\n");
  lr::OfficialImportStats stats;
  auto records = lr::import_official(dir / "official.jsonl", tok.encode_fn(), tok.decode_fn(), tok.prompt_fn(), &stats);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].completion_ids, tok.encode("2+2"));
  ASSERT_EQ(records[0].steps.size(), 2u);  // steps 2 and 3
  EXPECT_EQ(stats.steps_dropped, 1);
  EXPECT_EQ(stats.first_dropped, (dir / "official.jsonl").string() + ":1");

  const std::string good = R"({"prompt_id": "4", "step": 1, "prefix": "2", "tokens": ["+"], "token_ids": [4], "weights": [1.0], "kl_divergence": 0.5})";
  struct Case {
    std::string line, needle;
  };
  const std::vector<Case> cases = {
      {R"({"prompt_id": "4", "step": 1, "tokens": ["+"], "token_ids": [4], "weights": [1.0], "kl_divergence": 0.5})",
       ":2: missing field 'prefix'"},
      {R"({"prompt_id": "4", "step": 2, "prefix": "2+", "tokens": ["2"], "token_ids": [3, 4], "weights": [1.0], "kl_divergence": 0.5})",
       "field 'weights' has 1 entries for 2 token ids"},
      {R"({"prompt_id": "4", "step": -2, "prefix": "2", "tokens": ["+"], "token_ids": [4], "weights": [1.0], "kl_divergence": 0.5})",
       "field 'step' must be a non-negative integer"},
      {good, ":2: step 1 of this prompt already appeared at"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto path = dir / ("bad" + std::to_string(i) + ".jsonl");
    write_text(path, good + "\n" + cases[i].line + "\n");
    EXPECT_LR_ERROR(lr::import_official(path, tok.encode_fn(), tok.decode_fn(), tok.prompt_fn()), cases[i].needle);
  }
}

namespace {

// Two hand-made records whose statistics are known exactly.
fs::path write_inspect_fixture(const fs::path& dir) {
  lr::ContrastRecord a;
  a.id = "a";
  a.prompt_ids = {1, 2};
  a.completion_ids = {3, 4, 5, 6};
  a.completion = "abcd";
  a.step_kl = {0.05, 0.5, 0.15, 1.2};
  lr::ContrastStep s1;
  s1.t = 1, s1.kl = 0.5, s1.ids = {7}, s1.p = {1.0}, s1.pe = {0.9}, s1.pa = {0.3}, s1.amateur_top_id = 8, s1.amateur_top_p = 0.6;
  lr::ContrastStep s3;
  s3.t = 3, s3.kl = 1.2, s3.ids = {7, 9}, s3.p = {0.5, 0.5}, s3.pe = {0.5, 0.4}, s3.pa = {0.1, 0.08},
  s3.amateur_top_id = 9, s3.amateur_top_p = 0.2;
  a.steps = {s1, s3};
  lr::ContrastRecord b;
  b.id = "b";
  b.prompt_ids = {1};
  b.completion_ids = {3, 4};
  b.completion = "ab";
  b.step_kl = {0.7, 0.01};
  lr::ContrastStep s0;
  s0.t = 0, s0.kl = 0.7, s0.ids = {2, 5, 9}, s0.p = {0.2, 0.3, 0.5};
  b.steps = {s0};
  const auto path = dir / "contrast.jsonl";
  lr::ContrastWriter writer(path, false);
  writer.write(a);
  writer.write(b);
  writer.flush();
  return path;
}

}  // namespace

TEST(ContrastInspect, FiguresMatchTheHandMadeDataset) {
  auto dir = lrtest::temp_dir();
  const auto path = write_inspect_fixture(dir);
  auto s = lr::summarize_contrast(path, {/*examples=*/2, /*top_tokens=*/2, {}});
  EXPECT_FALSE(s.meta.has_value());
  EXPECT_EQ(s.records, 2);
  EXPECT_EQ(s.prompt_tokens, 3);
  EXPECT_EQ(s.completion_tokens, 6);
  EXPECT_EQ(s.steps_scored, 6);
  EXPECT_EQ(s.steps_selected, 3);
  EXPECT_NEAR(s.kl_all.mean, (0.05 + 0.5 + 0.15 + 1.2 + 0.7 + 0.01) / 6, 1e-12);
  // Width-0.1 bins: 0.01 and 0.05 in [0, 0.1), 0.15 in [0.1, 0.2), 0.5, 0.7, 1.2 in theirs.
  EXPECT_EQ(s.kl_all_histogram.counts[0], 2);
  EXPECT_EQ(s.kl_all_histogram.counts[1], 1);
  EXPECT_EQ(s.kl_all_histogram.counts[5], 1);
  EXPECT_EQ(s.kl_all_histogram.counts[7], 1);
  EXPECT_EQ(s.kl_all_histogram.counts[12], 1);
  EXPECT_EQ(s.kl_all_histogram.edges.size(), 51u);
  EXPECT_EQ(s.kl_mean_by_position, (std::vector<double>{(0.05 + 0.7) / 2, (0.5 + 0.01) / 2, 0.15, 1.2}));
  EXPECT_EQ(s.selected_by_position, (std::vector<int64_t>{1, 1, 0, 1}));
  EXPECT_EQ(s.mask_sizes, (std::map<int64_t, int64_t>{{1, 1}, {2, 1}, {3, 1}}));
  EXPECT_NEAR(s.single_token_share, 1.0 / 3, 1e-12);
  const double h3 = -(0.2 * std::log(0.2) + 0.3 * std::log(0.3) + 0.5 * std::log(0.5));
  EXPECT_NEAR(s.target_entropy.mean, (0 + std::log(2.0) + h3) / 3, 1e-9);
  EXPECT_NEAR(s.target_entropy.max, h3, 1e-9);
  EXPECT_EQ(s.steps_with_amateur_top, 2);
  EXPECT_NEAR(s.amateur_top_off_target_share, 0.5, 1e-12);  // 8 ∉ {7}, 9 ∈ {7, 9}
  // Top-1 target tokens: 7 twice (ties broken towards the lower id), 9 once.
  ASSERT_EQ(s.top_tokens.size(), 2u);
  EXPECT_EQ(s.top_tokens[0].id, 7);
  EXPECT_EQ(s.top_tokens[0].count, 2);
  EXPECT_NEAR(s.top_tokens[0].mass, 1.5, 1e-12);
  EXPECT_EQ(s.top_tokens[1].id, 9);
  ASSERT_EQ(s.examples.size(), 2u);
  EXPECT_EQ(s.examples[0].t, 1);  // KL 0.5: the lower half of {0.5, 0.7, 1.2}
  EXPECT_EQ(s.examples[1].t, 3);  // KL 1.2
  EXPECT_EQ(s.examples[1].context, "[3 4 5]");
  ASSERT_TRUE(s.examples[0].amateur_top.has_value());
  EXPECT_EQ(s.examples[0].amateur_top->id, 8);

  // With a decoder, the text appears.
  lr::InspectOptions with_text{1, 1, [](const std::vector<int64_t>& ids) {
                                 std::string t;
                                 for (auto id : ids) t += "<" + std::to_string(id) + ">";
                                 return t;
                               }};
  auto texted = lr::summarize_contrast(path, with_text);
  EXPECT_EQ(texted.top_tokens[0].text, "<7>");
  EXPECT_EQ(texted.examples[0].tokens[0].text.empty(), false);
}

TEST(ContrastInspect, CommandLinePrintsTextAndJson) {
  auto dir = lrtest::temp_dir();
  const auto path = write_inspect_fixture(dir);
  lightreasoner::config::RunConfig config;
  lr::write_meta(lr::meta_path_for(path), lightreasoner::pipeline::contrast_meta(config));

  auto text = lrtest::run_binary("inspect " + path.string());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("selected 3 = 50.0%"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("single-token targets: 33.3%"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("beta 0.4"), std::string::npos) << text.output;

  auto json = lrtest::run_binary("inspect --json --examples 1 " + path.string());
  ASSERT_EQ(json.exit_code, 0) << json.output;
  Json j = Json::parse(json.output);
  EXPECT_EQ(j["steps_selected"], 3);
  EXPECT_DOUBLE_EQ(j["selected_rate"].get<double>(), 0.5);
  EXPECT_EQ(j["examples"].size(), 1u);
  EXPECT_EQ(j["meta"]["settings"]["selection"]["beta"], 0.4);
  EXPECT_EQ(j["kl_mean_by_position"].size(), 4u);

  write_text(lr::meta_path_for(path), "{\"format\": \"something else\"}");  // a bad meta is ignored, with a warning
  auto without_meta = lrtest::run_binary("inspect " + path.string());
  EXPECT_EQ(without_meta.exit_code, 0) << without_meta.output;
  EXPECT_NE(without_meta.output.find("ignoring " + lr::meta_path_for(path).string()), std::string::npos)
      << without_meta.output;

  write_text(dir / "bad.jsonl", "{\"id\": \"x\"}\n");
  auto bad = lrtest::run_binary("inspect " + (dir / "bad.jsonl").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("bad.jsonl:1: missing field 'prompt_ids'"), std::string::npos) << bad.output;
  auto missing = lrtest::run_binary("inspect " + (dir / "absent.jsonl").string());
  EXPECT_NE(missing.exit_code, 0);
}
