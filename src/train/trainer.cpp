// One optimizer update (trainer.h): the seeded schedule's micro-batches, the loss, the
// data-parallel all-reduce, clipping and AdamW. Data order and dropout are pure functions of
// (seed, step), so a resumed run replays exactly what an uninterrupted one would.
#include "lightreasoner/train/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "lightreasoner/core/hash.h"
#include "lightreasoner/train/adamw.h"

namespace lightreasoner::train {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr const char* kLossAdvice = "Lower optim.lr or check the data and the model weights.";

std::string data_fingerprint(const std::vector<TrainRow>& units, Order order, bool rows_are_examples) {
  Fnv64 h;
  h.add(std::string(order_name(order)) + (rows_are_examples ? "/rows" : "/steps"));
  for (const auto& u : units) {
    h.add(u.id);
    h.add(static_cast<int64_t>(u.prompt_ids.size()));
    for (const auto& s : u.steps) h.add(s.t);
  }
  return h.hex();
}

const char* loss_name(LossKind kind) { return kind == LossKind::kSoftTargetKL ? "soft_target_kl" : "token_ce"; }

// Data parallelism's one all-reduce per optimizer step: every gradient and the step's loss,
// supervised-step and token counts travel in one flat fp32 buffer, summed over ranks, and the
// gradients are written back. Each rank's loss was already scaled by its share of the global
// batch's steps, so the sum is the gradient of the global batch's mean loss.
struct StepTotals {
  torch::Tensor loss_sum;  // 0-dim fp64 on the device: Σ over micro-batches (and ranks): the update's mean loss
  double steps = 0.0;
  double tokens = 0.0;
  double stop = 0.0;  // ranks that were asked to stop (SIGINT/SIGTERM): all stop at the same step
};

StepTotals reduce_gradients(const dist::Group& group, const std::vector<torch::Tensor>& params, StepTotals local,
                            int64_t step) {
  if (!group.communicates()) return local;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> pieces;
  pieces.reserve(params.size() + 2);
  for (const auto& p : params)
    pieces.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  pieces.push_back(local.loss_sum.to(torch::kFloat32).reshape({1}));
  pieces.push_back(torch::tensor({local.steps, local.tokens, local.stop}, torch::kFloat32).to(params[0].device()));
  auto flat = torch::cat(pieces).to(group.device());  // [Σ numel + 4] fp32
  group.all_reduce_sum(flat, "gradient all-reduce of step " + std::to_string(step + 1));
  flat = flat.to(params[0].device());
  int64_t offset = 0;
  for (const auto& p : params) {
    auto reduced = flat.slice(0, offset, offset + p.numel()).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(reduced);
    } else {
      p.mutable_grad() = reduced.clone();
    }
    offset += p.numel();
  }
  StepTotals totals;
  totals.loss_sum = flat[offset].to(torch::kFloat64);
  // The counts and the stop flag decide what the host does next: the one read of a data-parallel update.
  auto counts = flat.slice(0, offset + 1).to(torch::kFloat64).cpu();
  totals.steps = counts[0].item<double>();
  totals.tokens = counts[1].item<double>();
  totals.stop = counts[2].item<double>();
  return totals;
}

// torch::nn::utils::clip_grad_norm_ without its final read of the norm (the same tensors and
// arithmetic, so the clipped gradients are bitwise the same); returns the norm on the device.
torch::Tensor clip_grad_norm_on_device(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({}, torch::kFloat64);
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) norms.push_back(g.norm(2));
  auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  auto coefficient = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.mul_(coefficient);
  return total.to(torch::kFloat64);
}

// The unclipped norm, Σ in fp64 in parameter order (the order a host loop would add them in).
torch::Tensor grad_norm_on_device(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  torch::Tensor sq = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(params[0].device()));
  for (const auto& p : params)
    if (p.grad().defined()) sq = sq + p.grad().to(torch::kFloat64).pow(2).sum();
  return sq.sqrt();
}

}  // namespace

int64_t total_updates(const TrainerOptions& o, int64_t examples) {
  int64_t total = o.train.max_steps;
  if (total == 0) {
    LR_CHECK(o.train.epochs > 0, o.label << ": set train.max_steps or train.epochs (both are 0)");
    total = static_cast<int64_t>(
        std::ceil(o.train.epochs * static_cast<double>(examples) / static_cast<double>(o.train.batch_size)));
  }
  LR_CHECK(total > 0, o.label << ": zero optimizer steps to run");
  return total;
}

double lr_factor(const std::string& schedule, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (schedule == "constant") return 1.0;
  double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
  if (schedule == "cosine") return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * progress)));
  LR_CHECK(schedule == "linear", "optim.schedule must be linear, cosine or constant, got '" << schedule << "'");
  return std::max(0.0, 1.0 - progress);
}

Trainer::Trainer(model::CausalLM& model, io::NamedTensors trainable, const std::vector<TrainRow>& rows,
                 TrainerOptions options, const dist::Group& group)
    : model_(model),
      trainable_(std::move(trainable)),
      options_(std::move(options)),
      group_(group),
      schedule_(rows, options_.order(), options_.rows_are_examples, options_.seed) {
  const auto& o = options_;
  LR_CHECK(!trainable_.empty(), o.label << ": nothing to train (no trainable tensors)");
  examples_ = schedule_.examples();
  LR_CHECK(examples_ > 0, o.label << ": the training data has no supervised steps (empty dataset, or every step was "
                                     "dropped by max_seq_len)");
  LR_CHECK(o.vocab > 0, o.label << ": vocabulary size not set");
  // train.batch_size is the examples of one optimizer update over all ranks and micro-batches:
  // grad_accum, the rank count and the packing change the memory and the speed, not the update.
  total_ = train::total_updates(o, examples_);
  // The unit of train.batch_size differs between a contrast run and SFT: say which, with the passes
  // it makes over the data (one config shared by both once gave an SFT baseline 19x the tokens).
  if (group_.rank() == 0) {
    const char* unit = o.rows_are_examples ? "sequences" : "selected steps";
    spdlog::info("{}: {} updates of {} {} each (train.batch_size), {:.2f} passes over the {} {}", o.label, total_,
                 o.train.batch_size, unit,
                 static_cast<double>(total_) * o.train.batch_size / static_cast<double>(examples_), examples_, unit);
  }
  for (const auto& [name, t] : trainable_) {
    LR_CHECK(t.requires_grad() && t.scalar_type() == torch::kFloat32,
             o.label << ": trainable tensor " << name << " must be fp32 and require grad");
    params_.push_back(t);
  }
  optimizer_ = std::make_unique<ForeachAdamW>(params_, torch::optim::AdamWOptions(o.optim.lr)
                                                           .betas({o.optim.betas[0], o.optim.betas[1]})
                                                           .eps(o.optim.eps)
                                                           .weight_decay(o.optim.weight_decay));
  data_fingerprint_ = data_fingerprint(rows, o.order(), o.rows_are_examples);
}

TrainerState Trainer::describe() const {
  TrainerState state;
  state.total_steps = total_;
  state.units = examples_;
  state.units_per_step = options_.train.batch_size;
  state.packing = packing_name(options_.packing());
  state.loss = loss_name(options_.loss);
  state.seed = options_.seed;
  state.data_fingerprint = data_fingerprint_;
  return state;
}

void Trainer::check_ranks_agree(int64_t step, const std::string& when) const {
  if (!group_.communicates()) return;
  std::vector<torch::Tensor> tensors{torch::tensor({step}, torch::kInt64)};
  for (const auto& item : trainable_) tensors.push_back(item.second);
  group_.check_identical(tensors, "trainable tensors " + when);
}

UpdateResult Trainer::update(int64_t step, bool stop_requested) {
  const auto& o = options_;
  UpdateResult result;
  result.lr = o.optim.lr * lr_factor(o.optim.schedule, step, o.optim.warmup_steps, total_);
  for (auto& param_group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(param_group.options()).lr(result.lr);
  optimizer_->zero_grad();

  const int64_t world = group_.world_size(), rank = group_.rank();
  StepTotals local;
  const auto device = model_.device();
  local.loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  std::vector<torch::Tensor> micro_losses;
  const auto micros = schedule_.update(step, o.train.batch_size, o.train.grad_accum, world, rank, o.packing());
  int64_t update_steps = 0;  // supervised steps of the whole update, over all ranks
  for (const auto& m : micros) update_steps += m.global_steps;
  for (int64_t micro = 0; micro < o.train.grad_accum; ++micro) {
    // Dropout draws from the global generator, reseeded per micro-batch (and rank): resumable without state.
    torch::manual_seed(o.seed * 1000003ULL + static_cast<uint64_t>(step * o.train.grad_accum + micro) +
                       static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL);
    auto batch = pack_segments(micros[static_cast<size_t>(micro)].segments, device, o.train.pack_tokens);
    // The loss is a mean over this slice's steps; weighted by their share of the update's
    // steps, the slices' losses add up to the mean over the whole update (whatever its split).
    auto loss = batch_loss(model_, batch, o.loss, o.vocab) *
                (static_cast<double>(batch.steps) / static_cast<double>(update_steps));
    loss.backward();
    auto value = loss.detach().to(torch::kFloat64);
    micro_losses.push_back(value);
    local.loss_sum = local.loss_sum + value;
    local.steps += static_cast<double>(batch.steps);
    local.tokens += static_cast<double>(batch.tokens);
    result.local_supervised_steps += batch.steps;
    result.local_tokens += batch.tokens;
  }
  local.stop = stop_requested ? 1.0 : 0.0;
  const auto reduce_start = std::chrono::steady_clock::now();
  const StepTotals totals = reduce_gradients(group_, params_, local, step);
  result.allreduce_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count();
  result.grad_norm = o.optim.max_grad_norm > 0 ? clip_grad_norm_on_device(params_, o.optim.max_grad_norm)
                                               : grad_norm_on_device(params_);
  optimizer_->step();
  result.step = step;
  result.loss = totals.loss_sum;
  result.micro_losses = torch::stack(micro_losses);
  result.supervised_steps = static_cast<int64_t>(totals.steps);
  result.tokens = static_cast<int64_t>(totals.tokens);
  result.stop = totals.stop > 0;
  return result;
}

std::vector<UpdateValues> Trainer::read(const std::vector<UpdateResult>& updates) const {
  std::vector<UpdateValues> values;
  if (updates.empty()) return values;
  const int64_t accum = options_.train.grad_accum;
  std::vector<torch::Tensor> pieces;  // per update: loss, grad norm, the micro-batch losses
  for (const auto& u : updates) {
    pieces.push_back(u.loss.reshape({1}));
    pieces.push_back(u.grad_norm.reshape({1}));
    pieces.push_back(u.micro_losses.reshape({-1}));
  }
  const auto host = torch::cat(pieces).to(torch::kCPU, torch::kFloat64).contiguous();  // the one read
  const double* v = host.data_ptr<double>();
  for (const auto& u : updates) {
    for (int64_t micro = 0; micro < accum; ++micro) {
      const double share = v[2 + micro];
      if (!std::isfinite(share))
        throw NonFiniteUpdate(fmt::format("{}: the loss is {} at step {} (micro-batch {})", options_.label, share,
                                          u.step + 1, micro),
                              kLossAdvice);
    }
    // Another rank's micro-batch (its share is in the reduced loss only).
    if (!std::isfinite(v[0]))
      throw NonFiniteUpdate(fmt::format("{}: the loss is {} at step {} (on another rank)", options_.label, v[0],
                                        u.step + 1),
                            kLossAdvice);
    if (!std::isfinite(v[1]))
      throw NonFiniteUpdate(fmt::format("{}: the gradient norm is {} at step {}", options_.label, v[1], u.step + 1), "");
    values.push_back({u.step, v[0], v[1]});
    v += 2 + accum;
  }
  return values;
}

}  // namespace lightreasoner::train
