#!/usr/bin/env python3
"""The transformers peer of our batched decode (scripts/gpu_goals.sh goal 1): `generate` on a random-weight
model of a paper shape, bf16, batch B, greedy, every row forced to N new tokens, with the static KV cache
(cache_implementation="static"), warmed up with two full runs first. Decode ms/step excludes the prefill:
(time(N new tokens) - time(1 new token)) / (N - 1), each the best of --repeats. One parseable line:
  hf_baseline_decode: shape S batch B new N prefill_ms P decode_ms_per_step D tok/s R peak_mem_gb M
Exits 3 with "peer skipped: not installed" when torch/transformers are missing.
"""
import argparse
import sys
import time

try:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
except ImportError as e:
    print(f"peer skipped: not installed ({e.name})")
    sys.exit(3)

SHAPES = {"qwen2.5-math-1.5b": (151936, 1536, 8960, 28, 12, 2), "qwen2.5-0.5b": (151936, 896, 4864, 24, 14, 2),
          "small": (8192, 512, 1536, 8, 8, 2)}
p = argparse.ArgumentParser()
p.add_argument("--shape", default="qwen2.5-math-1.5b", choices=sorted(SHAPES))
p.add_argument("--batch", type=int, default=64)
p.add_argument("--new-tokens", type=int, default=128)
p.add_argument("--prompt-len", type=int, default=96)
p.add_argument("--repeats", type=int, default=2)
p.add_argument("--device", default="cuda")
p.add_argument("--cache", default="static", help="static | dynamic")
args = p.parse_args()

V, d, inter, layers, heads, kv = SHAPES[args.shape]
cfg = Qwen2Config(vocab_size=V, hidden_size=d, intermediate_size=inter, num_hidden_layers=layers, num_attention_heads=heads,
                  num_key_value_heads=kv, max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=10000.0,
                  tie_word_embeddings=True, hidden_act="silu")
dev = torch.device(args.device)
dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
torch.manual_seed(0)
model = Qwen2ForCausalLM(cfg).to(dev, dtype).eval()
ids = torch.randint(3, V - 1000, (args.batch, args.prompt_len), device=dev)
mask = torch.ones_like(ids)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def run(n):
    kwargs = dict(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=0)
    if args.cache == "static":
        kwargs["cache_implementation"] = "static"
    sync()
    t = time.time()
    with torch.inference_mode():
        model.generate(**kwargs)
    sync()
    return time.time() - t


for _ in range(2):  # warm-up: kernels, cuBLAS handles, the static cache's allocation
    run(args.new_tokens)
if dev.type == "cuda":
    torch.cuda.reset_peak_memory_stats()
full = min(run(args.new_tokens) for _ in range(args.repeats))
one = min(run(1) for _ in range(args.repeats))
per_step = (full - one) / (args.new_tokens - 1)
peak = torch.cuda.max_memory_allocated() / 1e9 if dev.type == "cuda" else 0.0
print(f"hf_baseline_decode: shape {args.shape} batch {args.batch} new {args.new_tokens} prefill_ms {one * 1e3:.2f} "
      f"decode_ms_per_step {per_step * 1e3:.3f} tok/s {args.batch / per_step:.1f} peak_mem_gb {peak:.2f}")
