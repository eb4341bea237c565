#!/usr/bin/env python3
"""The official LightReasoner sampling loop, as its scripts do it, with HF transformers — the peer for
bench_sample on the GPU machine. Random-weight models of the paper's shapes (Qwen2.5-Math-1.5B expert,
Qwen2.5-0.5B amateur, bf16, vocab 151936), one prompt at a time: expert generate (greedy, N new tokens,
no eos), one teacher-forced forward of each model over prompt + rollout, full-vocabulary fp32 KL per step,
selection at beta 0.4, alpha-mask contrast targets. Prints rollouts/s and tokens/s. One untimed batch
first, then at least two timed batches, like bench_sample.
Usage: hf_baseline_sample.py [--rollouts 8] [--new-tokens 128] [--prompt-len 96] [--batch 1]
"""
import argparse
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--rollouts", type=int, default=8)
p.add_argument("--new-tokens", type=int, default=128)
p.add_argument("--prompt-len", type=int, default=96)
p.add_argument("--batch", type=int, default=1, help="1 = the official one-prompt-at-a-time loop")
args = p.parse_args()
if args.batch < 1 or args.rollouts < 2 * args.batch:
    p.error(f"--rollouts ({args.rollouts}) must be at least 2 x --batch ({args.batch}): two timed batches, as bench_sample")

COMMON = dict(vocab_size=151936, max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=10000.0,
              tie_word_embeddings=True, hidden_act="silu")
expert_cfg = Qwen2Config(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                         num_key_value_heads=2, **COMMON)
amateur_cfg = Qwen2Config(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                          num_key_value_heads=2, **COMMON)
dev = "cuda"
torch.manual_seed(0)
expert = Qwen2ForCausalLM(expert_cfg).to(dev, torch.bfloat16).eval()
amateur = Qwen2ForCausalLM(amateur_cfg).to(dev, torch.bfloat16).eval()
prompts = [torch.randint(3, 151000, (args.prompt_len + (i % 5) * 4,)) for i in range(args.rollouts)]

def run(prompts):
    gen_s = score_s = 0.0
    new_tokens = selected = steps = 0
    for start in range(0, len(prompts), args.batch):
        chunk = prompts[start:start + args.batch]
        width = max(len(x) for x in chunk)
        ids = torch.stack([torch.cat([torch.zeros(width - len(x), dtype=torch.long), x]) for x in chunk]).to(dev)
        mask = torch.stack([torch.cat([torch.zeros(width - len(x), dtype=torch.long), torch.ones(len(x), dtype=torch.long)]) for x in chunk]).to(dev)
        torch.cuda.synchronize(); t0 = time.time()
        with torch.no_grad():
            out = expert.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=args.new_tokens,
                                  min_new_tokens=args.new_tokens, pad_token_id=0)
        torch.cuda.synchronize(); t1 = time.time()
        with torch.no_grad():
            full_mask = torch.cat([mask, torch.ones(out.shape[0], out.shape[1] - width, dtype=torch.long, device=dev)], 1)
            le = expert(input_ids=out, attention_mask=full_mask).logits[:, width - 1:-1].float()
            la = amateur(input_ids=out, attention_mask=full_mask).logits[:, width - 1:-1].float()
            lpe, lpa = le.log_softmax(-1), la.log_softmax(-1)
            kl = (lpe.exp() * (lpe - lpa)).sum(-1)
            keep = kl >= 0.4
            pe = lpe.exp()
            m = pe >= 0.2 * pe.max(-1, keepdim=True).values
            target = torch.where(m, lpe - lpa, torch.full_like(lpe, float("-inf"))).softmax(-1)
            selected += int(keep.sum()); steps += keep.numel()
            _ = target[keep].to_sparse()
        torch.cuda.synchronize(); t2 = time.time()
        gen_s += t1 - t0; score_s += t2 - t1
        new_tokens += (out.shape[1] - width) * out.shape[0]
    return gen_s, score_s, new_tokens, selected, steps

run(prompts[:args.batch])  # untimed warm-up: one batch of the timed shape (bench_sample does the same)
gen_s, score_s, new_tokens, selected, steps = run(prompts)
total = gen_s + score_s
print(f"hf_baseline_sample transformers batch={args.batch} rollouts={args.rollouts} new_tokens={args.new_tokens}")
print(f"generation : {gen_s:7.2f} s  {new_tokens / gen_s:8.1f} tok/s")
print(f"scoring    : {score_s:7.2f} s  (both forwards + KL + targets, {steps} steps, {selected} selected)")
print(f"end to end : {total:7.2f} s  {args.rollouts / total:.3f} rollouts/s")
