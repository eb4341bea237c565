// Summary statistics of contrast.jsonl, as JSON and as a text report with bar histograms.
// One pass over the records; the KL values are kept in memory (a few bytes per step).
#include "lightreasoner/contrast/inspect.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <unordered_map>

#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/core/error.h"

namespace lightreasoner::contrast {

namespace {

using io::Json;

constexpr int kContextTokens = 16;  // prefix tokens shown before an example step

std::vector<double> uniform_edges(double width, double end) {
  std::vector<double> edges;
  for (int i = 0; i * width <= end + 1e-9; ++i) edges.push_back(std::round(i * width * 1e6) / 1e6);
  return edges;
}

double entropy(const std::vector<double>& p) {
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x * std::log(x);
  return std::max(0.0, h);
}

std::string token_text(const InspectOptions& options, int64_t id) { return options.decode ? options.decode({id}) : ""; }

// Printable one-line form of token text: escapes newlines/tabs, quotes it.
std::string shown(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"') out += "\\\"";
    else out += c;
  }
  return out + "\"";
}

std::string ids_text(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return "[" + out + "]";
}

ExampleStep make_example(const ContrastRecord& record, const ContrastStep& step, const InspectOptions& options) {
  ExampleStep ex;
  ex.record_id = record.id;
  ex.t = step.t;
  ex.kl = step.kl;
  const int64_t end = std::min<int64_t>(step.t, static_cast<int64_t>(record.completion_ids.size()));
  const int64_t begin = std::max<int64_t>(0, end - kContextTokens);
  std::vector<int64_t> context(record.completion_ids.begin() + begin, record.completion_ids.begin() + end);
  ex.context = (begin > 0 ? "…" : "") + (options.decode ? options.decode(context) : ids_text(context));
  for (size_t k = 0; k < step.ids.size(); ++k) {
    TokenRow row{step.ids[k], token_text(options, step.ids[k]), step.p[k], step.pe.empty() ? -1 : step.pe[k],
                 step.pa.empty() ? -1 : step.pa[k]};
    ex.tokens.push_back(row);
  }
  std::stable_sort(ex.tokens.begin(), ex.tokens.end(), [](const auto& a, const auto& b) { return a.target > b.target; });
  if (step.amateur_top_id) {
    TokenRow top{*step.amateur_top_id, token_text(options, *step.amateur_top_id), 0, -1, step.amateur_top_p};
    for (size_t k = 0; k < step.ids.size(); ++k)
      if (step.ids[k] == top.id) top.target = step.p[k], top.expert = step.pe.empty() ? -1 : step.pe[k];
    ex.amateur_top = top;
  }
  return ex;
}

Json histogram_json(const Histogram& h) { return Json{{"edges", h.edges}, {"counts", h.counts}}; }

Json quantiles_json(const Quantiles& q) {
  return Json{{"mean", q.mean}, {"p10", q.p10}, {"p50", q.p50}, {"p90", q.p90}, {"max", q.max}};
}

Json token_row_json(const TokenRow& row) {
  Json j{{"id", row.id}, {"target", row.target}};
  if (!row.text.empty()) j["text"] = row.text;
  if (row.expert >= 0) j["expert"] = row.expert;
  if (row.amateur >= 0) j["amateur"] = row.amateur;
  return j;
}

std::string percent(double share) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << 100.0 * share << "%";
  return out.str();
}

std::string number(double x, int precision = 3) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << x;
  return out.str();
}

// Text bars of a histogram, merging the fine bins into the coarser `display_edges`.
void render_histogram(std::ostringstream& out, const Histogram& h, const std::vector<double>& display_edges) {
  std::vector<int64_t> counts(display_edges.size(), 0);
  for (size_t i = 0; i < h.counts.size(); ++i) {
    size_t bin = std::upper_bound(display_edges.begin(), display_edges.end(), h.edges[i] + 1e-9) - display_edges.begin();
    counts[bin == 0 ? 0 : bin - 1] += h.counts[i];
  }
  int64_t total = 0, peak = 1;
  for (int64_t c : counts) total += c, peak = std::max(peak, c);
  for (size_t i = 0; i < counts.size(); ++i) {
    std::string label = (i + 1 < display_edges.size())
                            ? "[" + number(display_edges[i], 2) + ", " + number(display_edges[i + 1], 2) + ")"
                            : "[" + number(display_edges[i], 2) + ", inf)";
    out << "  " << std::left << std::setw(14) << label << std::right << std::setw(8) << counts[i] << " "
        << std::setw(6) << percent(total ? static_cast<double>(counts[i]) / total : 0) << " "
        << std::string(static_cast<size_t>(40.0 * counts[i] / peak + 0.5), '#') << "\n";
  }
}

std::string probability_cell(double p) { return p < 0 ? "     -" : number(p, 4); }

}  // namespace

Histogram Histogram::of(const std::vector<double>& values, std::vector<double> edges) {
  Histogram h;
  h.edges = std::move(edges);
  h.counts.assign(h.edges.size(), 0);
  for (double v : values) {
    size_t bin = std::upper_bound(h.edges.begin(), h.edges.end(), v) - h.edges.begin();
    h.counts[bin == 0 ? 0 : bin - 1] += 1;  // below the first edge counts in the first bin
  }
  return h;
}

Quantiles Quantiles::of(std::vector<double> values) {
  Quantiles q;
  if (values.empty()) return q;
  std::sort(values.begin(), values.end());
  auto at = [&](double f) { return values[static_cast<size_t>(f * static_cast<double>(values.size() - 1) + 0.5)]; };
  double sum = 0;
  for (double v : values) sum += v;
  q.mean = sum / static_cast<double>(values.size());
  q.p10 = at(0.1), q.p50 = at(0.5), q.p90 = at(0.9), q.max = values.back();
  return q;
}

ContrastSummary summarize_contrast(const std::filesystem::path& path, const InspectOptions& options) {
  ContrastSummary s;
  s.path = path.string();
  const auto meta_path = meta_path_for(path);
  if (std::filesystem::exists(meta_path)) {
    try {
      s.meta = read_meta(meta_path);
    } catch (const Error& e) {  // the lines can still be summarised without it
      spdlog::warn("ignoring {}: {}", meta_path.string(), e.what());
    }
  }

  std::vector<double> kl_all, kl_selected, entropies, max_probs;
  std::vector<double> kl_sum_by_position;
  std::unordered_map<int64_t, TopToken> tokens;
  int64_t off_target = 0;
  struct Candidate {
    double kl;
    size_t record;
    size_t step;
  };
  std::vector<Candidate> candidates;
  std::vector<ContrastRecord> records = read_contrast(path);

  for (size_t r = 0; r < records.size(); ++r) {
    const ContrastRecord& record = records[r];
    ++s.records;
    s.prompt_tokens += static_cast<int64_t>(record.prompt_ids.size());
    s.completion_tokens += static_cast<int64_t>(record.completion_ids.size());
    if (!record.step_kl.empty()) {
      ++s.records_with_step_kl;
      if (kl_sum_by_position.size() < record.step_kl.size()) {
        kl_sum_by_position.resize(record.step_kl.size(), 0.0);
        s.scored_by_position.resize(record.step_kl.size(), 0);
      }
      for (size_t t = 0; t < record.step_kl.size(); ++t) {
        kl_all.push_back(record.step_kl[t]);
        kl_sum_by_position[t] += record.step_kl[t];
        s.scored_by_position[t] += 1;
      }
    }
    for (size_t k = 0; k < record.steps.size(); ++k) {
      const ContrastStep& step = record.steps[k];
      ++s.steps_selected;
      kl_selected.push_back(step.kl);
      candidates.push_back({step.kl, r, k});
      if (s.selected_by_position.size() <= static_cast<size_t>(step.t)) s.selected_by_position.resize(step.t + 1, 0);
      s.selected_by_position[step.t] += 1;
      s.mask_sizes[static_cast<int64_t>(step.ids.size())] += 1;
      entropies.push_back(entropy(step.p));
      const size_t best = std::max_element(step.p.begin(), step.p.end()) - step.p.begin();
      max_probs.push_back(step.p[best]);
      tokens[step.ids[best]].count += 1;
      for (size_t i = 0; i < step.ids.size(); ++i) tokens[step.ids[i]].mass += step.p[i];
      if (step.amateur_top_id) {
        ++s.steps_with_amateur_top;
        if (!std::binary_search(step.ids.begin(), step.ids.end(), *step.amateur_top_id)) ++off_target;
      }
    }
  }
  s.steps_scored = static_cast<int64_t>(kl_all.size());
  s.kl_all = Quantiles::of(kl_all);
  s.kl_selected = Quantiles::of(kl_selected);
  s.kl_all_histogram = Histogram::of(kl_all, uniform_edges(0.1, 5.0));
  s.kl_selected_histogram = Histogram::of(kl_selected, uniform_edges(0.1, 5.0));
  for (size_t t = 0; t < kl_sum_by_position.size(); ++t)
    s.kl_mean_by_position.push_back(kl_sum_by_position[t] / static_cast<double>(s.scored_by_position[t]));
  s.single_token_share = s.steps_selected ? static_cast<double>(s.mask_sizes[1]) / s.steps_selected : 0.0;
  if (s.mask_sizes[1] == 0) s.mask_sizes.erase(1);
  s.target_entropy = Quantiles::of(entropies);
  s.target_entropy_histogram = Histogram::of(entropies, uniform_edges(0.1, 2.0));
  s.target_max_prob = Quantiles::of(max_probs);
  s.amateur_top_off_target_share =
      s.steps_with_amateur_top ? static_cast<double>(off_target) / s.steps_with_amateur_top : 0.0;

  std::vector<TopToken> ranked;
  for (auto& [id, token] : tokens) {
    token.id = id;
    if (token.count > 0) ranked.push_back(token);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.count != b.count ? a.count > b.count : a.id < b.id; });
  if (ranked.size() > static_cast<size_t>(std::max(0, options.top_tokens))) ranked.resize(options.top_tokens);
  for (auto& token : ranked) token.text = token_text(options, token.id);
  s.top_tokens = std::move(ranked);

  // Examples at evenly spaced KL quantiles of the selected steps (lowest to highest).
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.kl < b.kl; });
  const int examples = std::min<int>(options.examples, static_cast<int>(candidates.size()));
  for (int e = 0; e < examples; ++e) {
    const size_t index = static_cast<size_t>((e + 0.5) / examples * static_cast<double>(candidates.size()));
    const Candidate& c = candidates[std::min(index, candidates.size() - 1)];
    s.examples.push_back(make_example(records[c.record], records[c.record].steps[c.step], options));
  }
  return s;
}

Json summary_to_json(const ContrastSummary& s) {
  Json j = Json::object();
  j["path"] = s.path;
  if (s.meta) j["meta"] = meta_to_json(*s.meta);
  j["records"] = s.records;
  j["prompt_tokens"] = s.prompt_tokens;
  j["completion_tokens"] = s.completion_tokens;
  j["records_with_step_kl"] = s.records_with_step_kl;
  j["steps_scored"] = s.steps_scored;
  j["steps_selected"] = s.steps_selected;
  j["selected_rate"] = s.steps_scored ? Json(static_cast<double>(s.steps_selected) / s.steps_scored) : Json(nullptr);
  j["kl_all"] = quantiles_json(s.kl_all);
  j["kl_selected"] = quantiles_json(s.kl_selected);
  j["kl_all_histogram"] = histogram_json(s.kl_all_histogram);
  j["kl_selected_histogram"] = histogram_json(s.kl_selected_histogram);
  j["kl_mean_by_position"] = s.kl_mean_by_position;
  j["scored_by_position"] = s.scored_by_position;
  j["selected_by_position"] = s.selected_by_position;
  Json sizes = Json::object();
  for (const auto& [size, count] : s.mask_sizes) sizes[std::to_string(size)] = count;
  j["mask_sizes"] = sizes;
  j["single_token_share"] = s.single_token_share;
  j["target_entropy"] = quantiles_json(s.target_entropy);
  j["target_entropy_histogram"] = histogram_json(s.target_entropy_histogram);
  j["target_max_prob"] = quantiles_json(s.target_max_prob);
  j["steps_with_amateur_top"] = s.steps_with_amateur_top;
  j["amateur_top_off_target_share"] = s.amateur_top_off_target_share;
  Json top = Json::array();
  for (const auto& token : s.top_tokens) {
    Json t{{"id", token.id}, {"count", token.count}, {"mass", token.mass}};
    if (!token.text.empty()) t["text"] = token.text;
    top.push_back(t);
  }
  j["top_tokens"] = top;
  Json examples = Json::array();
  for (const auto& ex : s.examples) {
    Json e{{"id", ex.record_id}, {"t", ex.t}, {"kl", ex.kl}, {"context", ex.context}};
    Json rows = Json::array();
    for (const auto& row : ex.tokens) rows.push_back(token_row_json(row));
    e["tokens"] = rows;
    if (ex.amateur_top) e["amateur_top"] = token_row_json(*ex.amateur_top);
    examples.push_back(e);
  }
  j["examples"] = examples;
  return j;
}

std::string render_summary(const ContrastSummary& s) {
  std::ostringstream out;
  out << s.path << "\n";
  if (s.meta) {
    const ContrastMeta& m = *s.meta;
    auto text = [&](const char* key) {
      const auto& v = meta_setting(m, key);
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    out << "  expert " << m.expert.path << " | amateur " << m.amateur.path << " | template " << text("prompt.template")
        << " | target " << text("target.kind") << " alpha " << text("target.alpha") << " | beta "
        << text("selection.beta") << (meta_setting(m, "selection.enabled").get<bool>() ? "" : " (selection off)")
        << (meta_setting(m, "sample.skip_first_step").get<bool>() ? " | t=0 skipped" : "") << "\n";
  }
  out << "records " << s.records << ", prompt tokens " << s.prompt_tokens << ", completion tokens "
      << s.completion_tokens << "\n";
  out << "steps scored " << s.steps_scored << " (KL stored for " << s.records_with_step_kl << " of " << s.records
      << " records), selected " << s.steps_selected;
  if (s.steps_scored) out << " = " << percent(static_cast<double>(s.steps_selected) / s.steps_scored);
  out << "\n\n";
  // Coarse bars for the terminal; every edge is an edge of the 0.1-wide bins they merge.
  const std::vector<double> display = {0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0};
  if (s.steps_scored) {
    out << "KL(expert||amateur), every scored step: mean " << number(s.kl_all.mean) << ", median "
        << number(s.kl_all.p50) << ", p90 " << number(s.kl_all.p90) << ", max " << number(s.kl_all.max) << "\n";
    render_histogram(out, s.kl_all_histogram, display);
  }
  if (s.steps_selected) {
    out << "KL, selected steps: mean " << number(s.kl_selected.mean) << ", median " << number(s.kl_selected.p50)
        << ", max " << number(s.kl_selected.max) << "\n";
    render_histogram(out, s.kl_selected_histogram, display);
    out << "\ntarget support size (mask): ";
    for (const auto& [size, count] : s.mask_sizes)
      out << size << ": " << count << " (" << percent(static_cast<double>(count) / s.steps_selected) << ")  ";
    out << "\nsingle-token targets: " << percent(s.single_token_share) << "\n";
    out << "target entropy (nats): mean " << number(s.target_entropy.mean) << ", p10 " << number(s.target_entropy.p10)
        << ", median " << number(s.target_entropy.p50) << ", p90 " << number(s.target_entropy.p90) << "\n";
    out << "largest target probability: mean " << number(s.target_max_prob.mean) << ", median "
        << number(s.target_max_prob.p50) << "\n";
    if (s.steps_with_amateur_top)
      out << "amateur's top token outside the target: " << percent(s.amateur_top_off_target_share) << " of "
          << s.steps_with_amateur_top << " steps\n";
    out << "\nmost frequent target tokens (top-1 of the target):\n";
    for (const auto& token : s.top_tokens)
      out << "  " << std::setw(8) << token.id << " " << std::left << std::setw(token.text.empty() ? 0 : 16)
          << (token.text.empty() ? "" : shown(token.text)) << std::right << std::setw(7) << token.count << " steps "
          << std::setw(7) << percent(static_cast<double>(token.count) / s.steps_selected) << "  mass "
          << number(token.mass, 1) << "\n";
    out << "\nexample steps (spread over the selected KL range):\n";
    for (const auto& ex : s.examples) {
      out << "  " << ex.record_id << " t=" << ex.t << " KL " << number(ex.kl) << "  after: " << shown(ex.context)
          << "\n";
      const bool with_text = std::any_of(ex.tokens.begin(), ex.tokens.end(), [](const auto& r) { return !r.text.empty(); });
      out << "      token id" << (with_text ? "    text            " : "") << "  expert  amateur  target\n";
      for (const auto& row : ex.tokens) {
        out << "    " << std::setw(10) << row.id;
        if (with_text) out << "    " << std::left << std::setw(16) << shown(row.text) << std::right;
        out << "  " << probability_cell(row.expert) << "   " << probability_cell(row.amateur) << "  "
            << number(row.target, 4) << "\n";
      }
      if (ex.amateur_top)
        out << "    amateur's top: " << ex.amateur_top->id
            << (ex.amateur_top->text.empty() ? "" : " " + shown(ex.amateur_top->text)) << " p "
            << number(ex.amateur_top->amateur, 4)
            << (ex.amateur_top->target > 0 ? " (in target)" : " (outside the target)") << "\n";
    }
  }
  return out.str();
}

}  // namespace lightreasoner::contrast
