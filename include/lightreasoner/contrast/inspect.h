// Statistics of a contrast dataset for `lightreasoner inspect`: counts, selected-step rate, KL
// histograms (every scored step and the selected ones), KL by position, mask sizes, target
// entropies, share of single-token targets, the most frequent target tokens, and example steps
// with expert / amateur / target probabilities side by side. Rendered as text or JSON. Token text
// needs a decode callback (optional); this file only reads the dataset and its meta.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lightreasoner/contrast/meta.h"
#include "lightreasoner/contrast/official_format.h"
#include "lightreasoner/io/jsonl.h"

namespace lightreasoner::contrast {

struct InspectOptions {
  int examples = 5;     // example steps, spread over the KL range of the selected steps
  int top_tokens = 15;  // most frequent target tokens listed
  DecodeFn decode;      // empty: ids only
};

// Bins [edges[i], edges[i+1]); the last bin is [edges.back(), +inf).
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
  static Histogram of(const std::vector<double>& values, std::vector<double> edges);
};

struct Quantiles {
  double mean = 0, p10 = 0, p50 = 0, p90 = 0, max = 0;
  static Quantiles of(std::vector<double> values);
};

struct TokenRow {
  int64_t id = 0;
  std::string text;  // empty without a decoder
  double target = 0, expert = -1, amateur = -1;  // -1: not stored in the dataset
};

struct ExampleStep {
  std::string record_id;
  int64_t t = 0;
  double kl = 0;
  std::string context;  // the end of the prefix (text, or ids without a decoder)
  std::vector<TokenRow> tokens;  // target support, by target probability
  std::optional<TokenRow> amateur_top;
};

struct TopToken {
  int64_t id = 0;
  std::string text;
  int64_t count = 0;    // steps where it carries the largest target probability
  double mass = 0;      // summed target probability over all steps
};

struct ContrastSummary {
  std::string path;
  std::optional<ContrastMeta> meta;  // contrast.meta.json beside the file, when present
  int64_t records = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t records_with_step_kl = 0;
  int64_t steps_scored = 0;  // KL known (step_kl)
  int64_t steps_selected = 0;
  Quantiles kl_all, kl_selected;
  Histogram kl_all_histogram, kl_selected_histogram;  // width 0.1 up to 5 (docs/method.md#inspect-statistics)
  std::vector<double> kl_mean_by_position;             // over records with step_kl
  std::vector<int64_t> scored_by_position, selected_by_position;
  std::map<int64_t, int64_t> mask_sizes;  // support size → steps
  double single_token_share = 0;
  Quantiles target_entropy;  // nats
  Histogram target_entropy_histogram;
  Quantiles target_max_prob;
  int64_t steps_with_amateur_top = 0;
  double amateur_top_off_target_share = 0;  // the amateur's argmax is not in the target support
  std::vector<TopToken> top_tokens;
  std::vector<ExampleStep> examples;
};

ContrastSummary summarize_contrast(const std::filesystem::path& path, const InspectOptions& options = {});
io::Json summary_to_json(const ContrastSummary& summary);
std::string render_summary(const ContrastSummary& summary);

}  // namespace lightreasoner::contrast
