#!/usr/bin/env python3
"""The HF transformers + PEFT peer of `train` (and of bench_train): LoRA (r 8, alpha 16, q_proj+v_proj,
dropout 0.05, as the paper) on a random-weight model of a paper shape, bf16 on the GPU, trained on
synthetic contrast rows shaped like bench_train's (prompt 96 + rollout 128 tokens, `--selected` supervised
steps per rollout with 3-token sparse soft targets), with the same loss: KL(target || model) over the
sparse support, log-softmax in fp32 over the vocabulary, only at the supervised positions (lm_head on
those rows only, like ours), one sequence per rollout (trajectory packing), AdamW + grad clipping 1.0.
Warm-up steps are not timed. Prints one parseable line:
  hf_baseline_train: steps S supervised N tokens T seconds X tokens/s R sup_steps/s Q peak_mem_gb M
Usage: hf_baseline_train.py [--shape qwen2.5-math-1.5b|qwen2.5-0.5b|small] [--steps 16] [--warmup 3]
       [--rollouts-per-batch 16] [--selected 6] [--device cuda|cpu]
Exits 3 with "peer skipped: not installed" when torch/transformers/peft are missing.
"""
import argparse
import sys
import time

try:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from peft import LoraConfig, get_peft_model
except ImportError as e:  # the CPU dev machine has none of them (and no PyPI)
    print(f"peer skipped: not installed ({e.name})")
    sys.exit(3)

SHAPES = {  # vocab, hidden, intermediate, layers, heads, kv heads
    "qwen2.5-math-1.5b": (151936, 1536, 8960, 28, 12, 2),
    "qwen2.5-0.5b": (151936, 896, 4864, 24, 14, 2),
    "small": (8192, 512, 1536, 8, 8, 2),
}

p = argparse.ArgumentParser()
p.add_argument("--shape", default="qwen2.5-math-1.5b", choices=sorted(SHAPES))
p.add_argument("--steps", type=int, default=16)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--rollouts-per-batch", type=int, default=16)
p.add_argument("--selected", type=int, default=6)
p.add_argument("--prompt-len", type=int, default=96)
p.add_argument("--rollout-len", type=int, default=128)
p.add_argument("--device", default="cuda")
args = p.parse_args()

V, d, inter, layers, heads, kv = SHAPES[args.shape]
cfg = Qwen2Config(vocab_size=V, hidden_size=d, intermediate_size=inter, num_hidden_layers=layers,
                  num_attention_heads=heads, num_key_value_heads=kv, max_position_embeddings=4096,
                  rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, hidden_act="silu")
dev = torch.device(args.device)
dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
torch.manual_seed(0)
base = Qwen2ForCausalLM(cfg).to(dev, dtype)
model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"],
                                        task_type="CAUSAL_LM"))
model.train()
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)

L = args.prompt_len + args.rollout_len
g = torch.Generator().manual_seed(7)


def make_batch():
    B = args.rollouts_per_batch
    ids = torch.randint(0, V, (B, L), generator=g)
    t = torch.stack([torch.randperm(args.rollout_len, generator=g)[: args.selected] for _ in range(B)])  # [B, S]
    pos = args.prompt_len - 1 + t  # the position predicting completion token t
    rows = torch.arange(B).unsqueeze(1).expand_as(pos)
    tid = torch.randint(0, V, (B * args.selected, 3), generator=g)
    tp = torch.tensor([0.6, 0.3, 0.1]).expand(B * args.selected, 3)
    return ids.to(dev), rows.reshape(-1).to(dev), pos.reshape(-1).to(dev), tid.to(dev), tp.to(dev)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def step(batch):
    ids, rows, pos, tid, tp = batch
    hidden = model.base_model.model.model(input_ids=ids).last_hidden_state  # [B, L, d]
    at = hidden[rows, pos]  # [N, d]
    logits = model.base_model.model.lm_head(at).float()  # [N, V]
    logq = logits.log_softmax(-1)
    kl = (tp * tp.log()).sum(-1) - (tp * logq.gather(1, tid)).sum(-1)
    loss = kl.mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss


batches = [make_batch() for _ in range(args.warmup + args.steps)]
for b in batches[: args.warmup]:
    step(b)
sync()
if dev.type == "cuda":
    torch.cuda.reset_peak_memory_stats()
t0 = time.time()
for b in batches[args.warmup:]:
    loss = step(b)
sync()
seconds = time.time() - t0
tokens = args.steps * args.rollouts_per_batch * L
sup = args.steps * args.rollouts_per_batch * args.selected
peak = torch.cuda.max_memory_allocated() / 1e9 if dev.type == "cuda" else 0.0
print(f"hf_baseline_train: shape {args.shape} steps {args.steps} supervised {sup} tokens {tokens} seconds {seconds:.3f} "
      f"tokens/s {tokens / seconds:.1f} sup_steps/s {sup / seconds:.2f} peak_mem_gb {peak:.2f} loss {float(loss):.4f}")
