// The prefill + decode loop. Per-row outputs are written into preallocated device tensors
// indexed by each active row's original position, so dropping finished rows (compaction) never
// reorders results. The host looks at the device only every `check_every` steps (or every step
// when a StopCheck needs the ids), which is when finished rows stop costing compute.
#include "lightreasoner/generate/generator.h"

#include <algorithm>
#include <chrono>

#include "lightreasoner/core/error.h"
#include "engine_common.h"

namespace lightreasoner::generate {
namespace {

// Left-padded [B, P] ids and validity on the host.
std::pair<torch::Tensor, torch::Tensor> left_pad(const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id) {
  int64_t width = 0;
  for (const auto& prompt : prompts) width = std::max<int64_t>(width, static_cast<int64_t>(prompt.size()));
  const int64_t B = static_cast<int64_t>(prompts.size());
  auto ids = torch::full({B, width}, pad_id, torch::kInt64);
  auto valid = torch::zeros({B, width}, torch::kBool);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto valid_a = valid.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& prompt = prompts[static_cast<size_t>(b)];
    const int64_t offset = width - static_cast<int64_t>(prompt.size());
    for (size_t t = 0; t < prompt.size(); ++t) {
      ids_a[b][offset + static_cast<int64_t>(t)] = prompt[t];
      valid_a[b][offset + static_cast<int64_t>(t)] = true;
    }
  }
  return {ids, valid};
}

}  // namespace

namespace detail {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

LoopSetup loop_setup(const model::CausalLM& model, const GenerationOptions& options) {
  const auto device = model.device();
  return {device, torch::TensorOptions().dtype(torch::kInt64).device(device), model.config().vocab_size,
          options.max_new_tokens, options.check_every > 0 ? options.check_every : (device.is_cpu() ? 1 : 8)};
}

void validate(const model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
              const GenerationOptions& options) {
  const int64_t V = model.config().vocab_size;
  LR_CHECK(!prompts.empty(), "generate needs at least one prompt");
  LR_CHECK(options.max_new_tokens > 0, "max_new_tokens must be > 0 (got " << options.max_new_tokens << ")");
  options.sampling.validate();
  LR_CHECK(options.pad_token_id >= 0 && options.pad_token_id < V,
           "pad_token_id " << options.pad_token_id << " is outside the vocabulary [0, " << V << ")");
  for (size_t i = 0; i < prompts.size(); ++i) {
    LR_CHECK(!prompts[i].empty(), "prompt " << i << " is empty");
    for (size_t t = 0; t < prompts[i].size(); ++t) {
      LR_CHECK(prompts[i][t] >= 0 && prompts[i][t] < V,
               "prompt " << i << " token " << t << " has id " << prompts[i][t] << ", outside the vocabulary [0, " << V
                         << ")");
    }
  }
}

void collect(GenerationResult& result, int64_t B, int64_t max_new, const torch::Tensor& out_ids,
             const torch::Tensor& lengths, const torch::Tensor& out_logprobs, const torch::Tensor& out_logits,
             const std::vector<bool>& stopped, const GenerationOptions& options) {
  auto ids_host = out_ids.reshape({B, max_new}).cpu();
  auto lengths_host = lengths.cpu();
  auto ids_a = ids_host.accessor<int64_t, 2>();
  auto lengths_a = lengths_host.accessor<int64_t, 1>();
  torch::Tensor logprobs_host = options.return_logprobs ? out_logprobs.reshape({B, max_new}).cpu() : torch::Tensor();
  torch::Tensor logits_host = options.return_logits ? out_logits.reshape({B, max_new, -1}).cpu() : torch::Tensor();
  result.completions.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    Completion& completion = result.completions[static_cast<size_t>(b)];
    const int64_t n = lengths_a[b];
    completion.ids.assign(&ids_a[b][0], &ids_a[b][0] + n);
    const bool ended_on_eos = n > 0 && std::find(options.eos_token_ids.begin(), options.eos_token_ids.end(),
                                                 completion.ids.back()) != options.eos_token_ids.end();
    completion.finish = stopped[static_cast<size_t>(b)] ? FinishReason::kStop
                        : ended_on_eos                   ? FinishReason::kEos
                                                         : FinishReason::kLength;
    if (options.return_logprobs) {
      auto row = logprobs_host[b];
      completion.logprobs.assign(row.data_ptr<float>(), row.data_ptr<float>() + n);
    }
    if (options.return_logits) completion.logits = logits_host[b].narrow(0, 0, n).clone();
    result.stats.new_tokens += n;
  }
}

}  // namespace detail

using detail::Clock;
using detail::seconds_since;

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
  }
  return "?";
}

StopCheck stop_strings_check(std::vector<std::string> stops, std::function<std::string(const std::vector<int64_t>&)> decode) {
  // The check runs after every new token, so a stop string first appears at the completion's end:
  // decoding a tail a few tokens longer than the longest stop (every token decodes to >= 1 byte,
  // special tokens aside) finds it without re-decoding the whole completion each step (O(n^2)).
  size_t longest = 0;
  for (const auto& stop : stops) longest = std::max(longest, stop.size());
  const size_t window = longest + 8;
  return [stops = std::move(stops), decode = std::move(decode), window](int64_t, const std::vector<int64_t>& ids) {
    const std::string text =
        ids.size() <= window ? decode(ids)
                             : decode(std::vector<int64_t>(ids.end() - static_cast<std::ptrdiff_t>(window), ids.end()));
    for (const auto& stop : stops) {
      if (!stop.empty() && text.find(stop) != std::string::npos) return true;
    }
    return false;
  };
}

GenerationResult generate_static(model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                 const GenerationOptions& options) {
  detail::validate(model, prompts, options);
  c10::InferenceMode inference;
  // Named copies, not a structured binding: a lambda below captures them (clang refuses a binding in C++17).
  const detail::LoopSetup setup = detail::loop_setup(model, options);
  const torch::Device device = setup.device;
  const torch::TensorOptions index_options = setup.index_options;
  const int64_t V = setup.vocab, max_new = setup.max_new, check_every = setup.check_every;
  const int64_t B = static_cast<int64_t>(prompts.size());
  GenerationResult result;
  for (const auto& prompt : prompts) result.stats.prompt_tokens += static_cast<int64_t>(prompt.size());

  // ---- prefill ----
  const auto prefill_start = Clock::now();
  auto [host_ids, host_valid] = left_pad(prompts, options.pad_token_id);
  auto ids = host_ids.to(device), valid = host_valid.to(device);  // [B, P]
  auto positions = model::positions_from_valid(valid);             // [B, P]
  model::KVCache cache = model.make_cache(B, ids.size(1) + max_new);
  auto hidden = model.forward(ids, positions, valid, &cache);                // [B, P, d]
  auto logits = model.logits(hidden.select(1, -1)).to(torch::kFloat32);      // [B, V]
  auto next_position = positions.select(1, -1) + 1;                          // [B]
  if (!device.is_cpu()) (void)next_position.sum().item<int64_t>();           // sync for the timing only
  result.stats.prefill_seconds = seconds_since(prefill_start);
  result.stats.prefills = 1;

  // ---- decode ----
  const auto decode_start = Clock::now();
  auto generator = make_generator(device, options.seed);
  auto eos = torch::tensor(options.eos_token_ids, torch::kInt64).to(device);
  auto out_ids = torch::full({B, max_new}, options.pad_token_id, index_options);  // [B, N]
  auto lengths = torch::zeros({B}, index_options);                              // [B]
  torch::Tensor out_logprobs, out_logits;
  if (options.return_logprobs) out_logprobs = torch::zeros({B, max_new}, index_options.dtype(torch::kFloat32));
  if (options.return_logits) out_logits = torch::zeros({B, max_new, V}, index_options.dtype(torch::kFloat32));

  std::vector<int64_t> rows(static_cast<size_t>(B));  // original index of each active row
  for (int64_t b = 0; b < B; ++b) rows[static_cast<size_t>(b)] = b;
  auto rows_device = torch::arange(B, index_options);
  auto finished = torch::zeros({B}, index_options.dtype(torch::kBool));  // per active row
  std::vector<bool> stopped(static_cast<size_t>(B), false);
  std::vector<std::vector<int64_t>> host_completions(options.stop_check ? static_cast<size_t>(B) : 0);

  // Stop strings are checked at the same checkpoints as finished rows (every step on CPU, every
  // `check_every` on an accelerator, where a per-step host sync would cost more than the step): the
  // tokens since the last check come to the host in one copy and are fed to stop_check one by one;
  // a row that stops at token t keeps exactly t + 1 tokens, as if it had been checked every step.
  int64_t checked_upto = 0;
  auto check_stops = [&](torch::TensorAccessor<bool, 1>& finished_a, int64_t upto) {
    auto window = out_ids.slice(1, checked_upto, upto).cpu();  // [B, upto - checked_upto]
    auto lengths_host = lengths.cpu();
    auto window_a = window.accessor<int64_t, 2>();
    auto lengths_a = lengths_host.accessor<int64_t, 1>();
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t row = rows[i];
      auto& completion = host_completions[static_cast<size_t>(row)];
      for (int64_t t = checked_upto; t < std::min(upto, lengths_a[row]); ++t) {
        completion.push_back(window_a[row][t - checked_upto]);
        if (options.stop_check(row, completion)) {
          stopped[static_cast<size_t>(row)] = true;
          finished_a[static_cast<int64_t>(i)] = true;
          lengths.index_fill_(0, torch::tensor({row}, index_options), t + 1);
          any = true;
          break;
        }
      }
    }
    checked_upto = upto;
    return any;
  };

  int64_t step = 0;
  while (true) {
    auto token = next_tokens(logits, options.sampling, generator);  // [Ba]
    token = token.masked_fill(finished, options.pad_token_id);
    out_ids.select(1, step).index_copy_(0, rows_device, token);
    if (options.return_logprobs) {
      auto logprob = logits.log_softmax(-1).gather(1, token.unsqueeze(1)).squeeze(1);
      out_logprobs.select(1, step).index_copy_(0, rows_device, logprob);
    }
    if (options.return_logits) out_logits.select(1, step).index_copy_(0, rows_device, logits);
    lengths.index_add_(0, rows_device, finished.logical_not().to(torch::kInt64));
    if (eos.numel() > 0) finished = finished.logical_or(torch::isin(token, eos));
    ++step;
    if (options.on_step) options.on_step(step, static_cast<int64_t>(rows.size()));
    if (step == max_new) break;

    if (step % check_every == 0) {
      auto finished_host = finished.cpu();
      auto finished_a = finished_host.accessor<bool, 1>();
      if (options.stop_check && check_stops(finished_a, step)) finished = finished_host.to(device);
      std::vector<int64_t> keep;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!finished_a[static_cast<int64_t>(i)]) keep.push_back(static_cast<int64_t>(i));
      }
      if (keep.empty()) break;
      if (keep.size() < rows.size()) {  // compaction: finished rows leave the batch and the cache
        auto keep_device = torch::tensor(keep, torch::kInt64).to(device);
        cache.keep_rows(keep_device);
        token = token.index_select(0, keep_device);
        next_position = next_position.index_select(0, keep_device);
        finished = finished.index_select(0, keep_device);
        rows_device = rows_device.index_select(0, keep_device);
        std::vector<int64_t> kept_rows;
        for (int64_t i : keep) kept_rows.push_back(rows[static_cast<size_t>(i)]);
        rows = std::move(kept_rows);
      }
    }

    const int64_t Ba = static_cast<int64_t>(rows.size());
    hidden = model.forward(token.view({Ba, 1}), next_position.view({Ba, 1}), {}, &cache);  // [Ba, 1, d]
    logits = model.logits(hidden.select(1, 0)).to(torch::kFloat32);                      // [Ba, V]
    next_position = next_position + 1;
  }
  // The tokens after the last checkpoint: a stop string there still ends its row.
  if (options.stop_check && checked_upto < step) {
    auto finished_host = finished.cpu();
    auto finished_a = finished_host.accessor<bool, 1>();
    check_stops(finished_a, step);
  }

  // ---- collect (the one big device → host copy) ----
  detail::collect(result, B, max_new, out_ids, lengths, out_logprobs, out_logits, stopped, options);
  result.stats.steps = step;
  result.stats.decode_seconds = seconds_since(decode_start);
  return result;
}

}  // namespace lightreasoner::generate
