#!/usr/bin/env python3
"""Writes Hugging Face parity fixtures for lightreasoner's CPU tests (run where transformers exists).

For each architecture (Qwen2, Llama with llama3 rope scaling, Qwen3 with explicit head_dim and yarn rope
scaling) it builds a tiny random model with a fixed seed, saves it with save_pretrained (F32 safetensors),
records fp32 eager-attention logits on fixed prompts, greedy continuations (each prompt alone and as one
left-padded batch), bf16 logits, the rotary inv_freq, and logits with a random non-zero PEFT LoRA adapter
(saved beside it). Output: OUT/hf_parity/<arch>/... plus OUT/hf_parity.tar.gz. Usage: hf_parity_fixtures.py OUT
"""
import json
import math
import os
import sys
import tarfile

import torch
import transformers
from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config,
                          Qwen3ForCausalLM)

out_root = os.path.join(sys.argv[1], "hf_parity")
os.makedirs(out_root, exist_ok=True)

COMMON = dict(vocab_size=320, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, bos_token_id=1,
              eos_token_id=2, pad_token_id=0)
ARCHS = {
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(rope_theta=1000000.0, tie_word_embeddings=True)),
    "llama": (LlamaConfig, LlamaForCausalLM,
              dict(rope_theta=500000.0, tie_word_embeddings=False,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 32})),
    "qwen3": (Qwen3Config, Qwen3ForCausalLM,
              dict(head_dim=32, rope_theta=1000000.0, tie_word_embeddings=True,
                   rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32})),
}
PROMPTS = None  # drawn once from a seeded generator


def make_config(cls, extra):
    kwargs = dict(COMMON, **extra)
    try:
        config = cls(**kwargs)
    except TypeError:
        # transformers >= 5 spells rope settings as rope_parameters
        rope = dict(kwargs.pop("rope_scaling", None) or {"rope_type": "default"})
        rope["rope_theta"] = kwargs.pop("rope_theta")
        config = cls(rope_parameters=rope, **kwargs)
    config._attn_implementation = "eager"
    return config


def randomize(model, seed):
    """Weights with real spread (HF's 0.02 init gives near-uniform logits and fragile argmax ties)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[-1]))


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].float()


def greedy(model, ids, n):
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             do_sample=False, max_new_tokens=n, pad_token_id=0)
    return out[0, len(ids):].tolist()


def batched_greedy(model, prompts, n):
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=n, pad_token_id=0)
    rows = []
    for r in out[:, width:].tolist():
        if 2 in r:  # keep up to and including eos; HF pads finished rows
            r = r[:r.index(2) + 1]
        rows.append(r)
    return rows


def main():
    global PROMPTS
    g = torch.Generator().manual_seed(1234)
    PROMPTS = [torch.randint(3, 320, (n,), generator=g).tolist() for n in (5, 9, 12)]
    for index, (arch, (config_cls, model_cls, extra)) in enumerate(ARCHS.items()):
        torch.manual_seed(100 + index)
        config = make_config(config_cls, extra)
        model = model_cls(config).eval()
        if hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation("eager")
        print(arch, "attention:", getattr(model.config, "_attn_implementation", "?"), flush=True)
        randomize(model, 200 + index)
        arch_dir = os.path.join(out_root, arch)
        model.save_pretrained(arch_dir, safe_serialization=True)
        model.generation_config.save_pretrained(arch_dir)
        ref = {"transformers": transformers.__version__, "torch": torch.__version__, "prompts": PROMPTS,
               "config_seen": config.to_dict()}
        ref["logits"] = [logits_of(model, p).tolist() for p in PROMPTS]
        ref["greedy"] = [greedy(model, p, 16) for p in PROMPTS]
        ref["batched_greedy"] = batched_greedy(model, PROMPTS, 16)
        rotary = getattr(model.model, "rotary_emb", None)
        if rotary is not None:
            ref["inv_freq"] = rotary.inv_freq.float().tolist()
            ref["attention_scaling"] = float(getattr(rotary, "attention_scaling", 1.0))
        bf16 = model_cls(config).eval()
        bf16.load_state_dict(model.state_dict())
        bf16 = bf16.to(torch.bfloat16)
        ref["logits_bf16"] = [logits_of(bf16, p).tolist() for p in PROMPTS[:1]]
        del bf16

        import peft
        lora = peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, task_type="CAUSAL_LM",
                               target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                               "down_proj"])
        peft_model = peft.get_peft_model(model, lora)
        gl = torch.Generator().manual_seed(300 + index)
        with torch.no_grad():
            for name, p in peft_model.named_parameters():
                if "lora_B" in name:
                    p.copy_(0.5 * torch.randn(p.shape, generator=gl) / math.sqrt(p.shape[-1]))
        peft_model.eval()
        ref["peft"] = peft.__version__
        ref["adapter_logits"] = [logits_of(peft_model, p).tolist() for p in PROMPTS]
        peft_model.save_pretrained(os.path.join(arch_dir, "adapter"))
        with open(os.path.join(arch_dir, "reference.json"), "w") as f:
            json.dump(ref, f)
        print(arch, "greedy", ref["greedy"], "batched", ref["batched_greedy"], flush=True)
    with tarfile.open(os.path.join(sys.argv[1], "hf_parity.tar.gz"), "w:gz") as tar:
        tar.add(out_root, arcname="hf_parity")


if __name__ == "__main__":
    main()
