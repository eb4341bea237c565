// Continuous batching (generate()): a fixed SlotCache of max_batch rows; active rows are always
// rows [0, a) of the cache. Each round decodes one token for every active row, each at its own
// position. At a check (every `check_every` rounds, or when a row reaches max_new_tokens, which
// the host knows without asking the device) finished rows leave, survivors are moved into the
// holes (one row copy each, no reordering of results: outputs are indexed by prompt), and the
// next prompts are prefilled together (right-padded) into the freed rows; their first token is
// selected from the prefill logits, then they join the joint decode. Per-row state (pending
// token, finished flag, prompt index, tokens so far) stays on the device; the host mirrors only
// what it decides itself (prompt index, tokens so far).
#include <algorithm>

#include "engine_common.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/generate/decode_graph.h"

namespace lightreasoner::generate {

GenerationResult generate(model::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                          const GenerationOptions& options) {
  detail::validate(model, prompts, options);
  c10::InferenceMode inference;
  // Named copies, not a structured binding: a lambda below captures them (clang refuses a binding in C++17).
  const detail::LoopSetup setup = detail::loop_setup(model, options);
  const torch::Device device = setup.device;
  const torch::TensorOptions index_options = setup.index_options;
  const int64_t V = setup.vocab, max_new = setup.max_new, check_every = setup.check_every;
  const int64_t N = static_cast<int64_t>(prompts.size());
  const int64_t slots = options.max_batch > 0 ? std::min<int64_t>(options.max_batch, N) : N;
  // Greedy without log-probs or logits needs no fp32 copy of the logits: argmax of the model-dtype
  // logits is the argmax of their exact fp32 upcast.
  const bool model_dtype_logits = options.sampling.greedy() && !options.return_logprobs && !options.return_logits;
  GenerationResult result;
  int64_t longest = 0;
  for (const auto& prompt : prompts) {
    result.stats.prompt_tokens += static_cast<int64_t>(prompt.size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompt.size()));
  }
  const auto start = detail::Clock::now();

  model::SlotCache cache = model.make_slot_cache(slots, longest + max_new);
  auto generator = make_generator(device, options.seed);
  auto eos = torch::tensor(options.eos_token_ids, torch::kInt64).to(device);
  auto out_ids = torch::full({N * max_new}, options.pad_token_id, index_options);  // [N * max_new]
  auto lengths = torch::zeros({N}, index_options);                                // [N]
  torch::Tensor out_logprobs, out_logits;
  if (options.return_logprobs) out_logprobs = torch::zeros({N * max_new}, index_options.dtype(torch::kFloat32));
  if (options.return_logits) out_logits = torch::zeros({N * max_new, V}, index_options.dtype(torch::kFloat32));
  std::vector<bool> stopped(static_cast<size_t>(N), false);
  std::vector<std::vector<int64_t>> host_completions(options.stop_check ? static_cast<size_t>(N) : 0);

  // Active rows [0, a): device state and the host's mirror of what it decides.
  torch::Tensor token = torch::zeros({0}, index_options);                    // [a] next decode input
  torch::Tensor finished = torch::zeros({0}, index_options.dtype(torch::kBool));  // [a]
  torch::Tensor row_prompt = torch::zeros({0}, index_options);               // [a] prompt index
  torch::Tensor row_step = torch::zeros({0}, index_options);                 // [a] tokens selected so far
  std::vector<int64_t> host_prompt, host_step, host_checked;                 // [a]
  int64_t next_prompt = 0;

  // Selects the next token of rows [from, from + r) from their logits [r, V] and records it.
  auto emit = [&](const torch::Tensor& logits, int64_t from) {
    const int64_t r = logits.size(0);
    auto scores = model_dtype_logits ? logits : logits.to(torch::kFloat32);
    auto tok = next_tokens(scores, options.sampling, generator);  // [r]
    auto fin = finished.narrow(0, from, r);
    tok = tok.masked_fill(fin, options.pad_token_id);
    auto prompt_of = row_prompt.narrow(0, from, r);
    auto flat = prompt_of * max_new + row_step.narrow(0, from, r);  // [r] into out_ids
    out_ids.index_copy_(0, flat, tok);
    if (options.return_logprobs) {
      out_logprobs.index_copy_(0, flat, scores.log_softmax(-1).gather(1, tok.unsqueeze(1)).squeeze(1));
    }
    if (options.return_logits) out_logits.index_copy_(0, flat, scores);
    lengths.index_add_(0, prompt_of, fin.logical_not().to(torch::kInt64));
    if (eos.numel() > 0) fin.logical_or_(torch::isin(tok, eos));
    row_step.narrow(0, from, r).add_(1);
    token.narrow(0, from, r).copy_(tok);
    for (int64_t i = from; i < from + r; ++i) ++host_step[static_cast<size_t>(i)];
  };

  // Stop strings: the tokens each active row made since its last check, fed one by one (a row that
  // stops at token t keeps t + 1 tokens, as if checked every step). Marks stopped rows finished.
  auto check_stops = [&](std::vector<uint8_t>& finished_host) {
    const int64_t a = static_cast<int64_t>(host_prompt.size());
    const int64_t lo = *std::min_element(host_checked.begin(), host_checked.end());
    const int64_t hi = *std::max_element(host_step.begin(), host_step.end());
    if (hi <= lo) return;
    auto window = out_ids.view({N, max_new}).index_select(0, row_prompt).narrow(1, lo, hi - lo).cpu();  // [a, hi-lo]
    auto row_lengths = lengths.index_select(0, row_prompt).cpu();
    auto window_a = window.accessor<int64_t, 2>();
    auto lengths_a = row_lengths.accessor<int64_t, 1>();
    for (int64_t i = 0; i < a; ++i) {
      const int64_t prompt = host_prompt[static_cast<size_t>(i)];
      auto& completion = host_completions[static_cast<size_t>(prompt)];
      for (int64_t t = host_checked[static_cast<size_t>(i)]; t < std::min(host_step[static_cast<size_t>(i)], lengths_a[i]); ++t) {
        completion.push_back(window_a[i][t - lo]);
        if (options.stop_check(prompt, completion)) {
          stopped[static_cast<size_t>(prompt)] = true;
          finished_host[static_cast<size_t>(i)] = 1;
          lengths.index_fill_(0, torch::tensor({prompt}, index_options), t + 1);
          break;
        }
      }
      host_checked[static_cast<size_t>(i)] = host_step[static_cast<size_t>(i)];
    }
  };

  // Retires finished rows (device flags read only when `read_device`; rows at max_new always),
  // fills the holes from the top, then admits new prompts into the free rows.
  auto retire_and_admit = [&](bool read_device) {
    while (true) {
      const int64_t a = static_cast<int64_t>(host_prompt.size());
      std::vector<uint8_t> leaving(static_cast<size_t>(a), 0);
      bool any = false;
      for (int64_t i = 0; i < a; ++i) any = any || host_step[static_cast<size_t>(i)] >= max_new;
      // A row leaving for its length must have its last tokens stop-checked: read the device then.
      if (a > 0 && (read_device || (any && options.stop_check))) {
        auto finished_host = finished.to(torch::kUInt8).cpu();
        std::copy(finished_host.data_ptr<uint8_t>(), finished_host.data_ptr<uint8_t>() + a, leaving.begin());
        if (options.stop_check) check_stops(leaving);
      }
      for (int64_t i = 0; i < a; ++i) {
        if (host_step[static_cast<size_t>(i)] >= max_new) leaving[static_cast<size_t>(i)] = 1;
      }
      std::vector<int64_t> survivors;
      for (int64_t i = 0; i < a; ++i) {
        if (!leaving[static_cast<size_t>(i)]) survivors.push_back(i);
      }
      const int64_t s = static_cast<int64_t>(survivors.size());
      const int64_t admit = std::min(slots - s, N - next_prompt);
      if (s == a && admit == 0) return;
      // Survivors at rows >= s move into the holes below s.
      std::vector<int64_t> order(static_cast<size_t>(s));
      {
        std::vector<int64_t> movers;
        for (int64_t i : survivors)
          if (i >= s) movers.push_back(i);
        size_t next_mover = 0;
        for (int64_t i = 0; i < s; ++i) {
          if (!leaving[static_cast<size_t>(i)]) {
            order[static_cast<size_t>(i)] = i;
          } else {
            const int64_t from = movers[next_mover++];
            cache.move_row(from, i);
            order[static_cast<size_t>(i)] = from;
          }
        }
      }
      if (s < a) {
        auto order_device = torch::tensor(order, torch::kInt64).to(device);
        token = token.index_select(0, order_device);
        finished = finished.index_select(0, order_device);
        row_prompt = row_prompt.index_select(0, order_device);
        row_step = row_step.index_select(0, order_device);
        std::vector<int64_t> p, st, ch;
        for (int64_t i : order) {
          p.push_back(host_prompt[static_cast<size_t>(i)]);
          st.push_back(host_step[static_cast<size_t>(i)]);
          ch.push_back(host_checked[static_cast<size_t>(i)]);
        }
        host_prompt = std::move(p);
        host_step = std::move(st);
        host_checked = std::move(ch);
      }
      if (admit == 0) return;  // survivors only (compacted)
      // Prefill the newcomers together (right-padded) into rows [s, s + admit).
      const auto prefill_start = detail::Clock::now();
      int64_t width = 0;
      for (int64_t k = 0; k < admit; ++k) width = std::max<int64_t>(width, static_cast<int64_t>(prompts[static_cast<size_t>(next_prompt + k)].size()));
      auto ids = torch::full({admit, width}, options.pad_token_id, torch::kInt64);
      auto ids_a = ids.accessor<int64_t, 2>();
      std::vector<int64_t> rows, row_lengths, new_prompts;
      for (int64_t k = 0; k < admit; ++k) {
        const auto& prompt = prompts[static_cast<size_t>(next_prompt + k)];
        for (size_t t = 0; t < prompt.size(); ++t) ids_a[k][static_cast<int64_t>(t)] = prompt[t];
        rows.push_back(s + k);
        row_lengths.push_back(static_cast<int64_t>(prompt.size()));
        new_prompts.push_back(next_prompt + k);
      }
      auto hidden = model.prefill_slots(ids.to(device), rows, row_lengths, cache);  // [admit, width, d]
      auto last = torch::tensor(row_lengths, torch::kInt64).to(device) - 1;         // [admit]
      auto at_last = hidden.gather(1, last.view({admit, 1, 1}).expand({admit, 1, hidden.size(2)})).squeeze(1);
      auto logits = model.logits(at_last);  // [admit, V]
      token = torch::cat({token, torch::zeros({admit}, index_options)});
      finished = torch::cat({finished, torch::zeros({admit}, index_options.dtype(torch::kBool))});
      row_prompt = torch::cat({row_prompt, torch::tensor(new_prompts, torch::kInt64).to(device)});
      row_step = torch::cat({row_step, torch::zeros({admit}, index_options)});
      for (int64_t k = 0; k < admit; ++k) {
        host_prompt.push_back(next_prompt + k);
        host_step.push_back(0);
        host_checked.push_back(0);
      }
      next_prompt += admit;
      ++result.stats.prefills;
      emit(logits, s);
      if (!device.is_cpu()) (void)last.sum().item<int64_t>();  // sync for the timing only
      result.stats.prefill_seconds += detail::seconds_since(prefill_start);
      // Newcomers that already reached max_new (max_new_tokens = 1) leave on the next pass.
      read_device = false;
      bool done = false;
      for (int64_t v : host_step) done = done || v >= max_new;
      if (!done) return;
    }
  };

  std::unique_ptr<DecodeGraphs> graphs;
  if (options.cuda_graphs) graphs = std::make_unique<DecodeGraphs>(model, cache, options.pad_token_id);
  int64_t rounds = 0;
  retire_and_admit(false);
  rounds = 1;
  if (options.on_step) options.on_step(rounds, static_cast<int64_t>(host_prompt.size()));
  while (true) {
    bool at_length = false;
    for (int64_t v : host_step) at_length = at_length || v >= max_new;
    if (rounds % check_every == 0 || at_length) retire_and_admit(rounds % check_every == 0);
    const int64_t a = static_cast<int64_t>(host_prompt.size());
    if (a == 0) break;
    emit(graphs ? graphs->step(token) : model.logits(model.decode_slots(token, cache)), 0);  // [a, V]
    ++rounds;
    if (options.on_step) options.on_step(rounds, a);
  }

  detail::collect(result, N, max_new, out_ids, lengths, out_logprobs, out_logits, stopped, options);
  result.stats.steps = rounds;
  result.stats.decode_seconds = detail::seconds_since(start) - result.stats.prefill_seconds;
  return result;
}

}  // namespace lightreasoner::generate
