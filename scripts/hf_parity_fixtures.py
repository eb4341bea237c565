#!/usr/bin/env python3
"""Writes Hugging Face parity fixtures for lightreasoner's CPU tests (run where transformers exists).

For each architecture (Qwen2, Llama with llama3 rope scaling, Qwen3 with explicit head_dim and yarn rope
scaling) it builds a tiny random model with a fixed seed, saves it with save_pretrained (F32 safetensors),
records fp32 eager-attention logits on fixed prompts, greedy continuations (each prompt alone and as one
left-padded batch), bf16 logits, the rotary inv_freq, and logits with a random non-zero PEFT LoRA adapter
(saved beside it). Output: OUT/hf_parity/<arch>/... plus OUT/hf_parity.tar.gz. Usage: hf_parity_fixtures.py OUT

With --peft-check EXPORT_DIR OUT it checks the other direction, that PEFT loads the adapters *we* write:
EXPORT_DIR/<arch> holds the adapter tests/test_lora.cpp (Lora.AdaptersWeWriteArePeftLoadable, run with
LR_PEFT_EXPORT_DIR=EXPORT_DIR) wrote for the committed parity model tests/fixtures/hf_parity/<arch>. Each is
loaded with peft.PeftModel.from_pretrained; every tensor of the file must have landed in PEFT's model with
the same values (no key silently dropped) and must change the logits; PEFT's logits on the fixture prompts
and the file's FNV-1a 64 hash go to OUT/hf_parity_peft/<arch>/peft_loads_ours.json, which is committed
beside the fixture and compared with our logits by that test on every CI run.
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

out_root = None  # OUT/hf_parity, set in main()

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
    global PROMPTS, out_root
    out_root = os.path.join(sys.argv[1], "hf_parity")
    os.makedirs(out_root, exist_ok=True)
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


def fnv1a64(path):
    """core/hash.h's FNV-1a 64 of a file's bytes, as 16 hex digits."""
    h = 0xcbf29ce484222325
    with open(path, "rb") as f:
        for byte in f.read():
            h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def peft_check(export_dir, out):
    import peft
    from safetensors.torch import load_file
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "hf_parity")
    failed = False
    for arch, (config_cls, model_cls, extra) in ARCHS.items():
        with open(os.path.join(fixtures, arch, "reference.json")) as f:
            prompts = json.load(f)["prompts"]
        model = model_cls.from_pretrained(os.path.join(fixtures, arch), attn_implementation="eager").float().eval()
        base = [logits_of(model, p) for p in prompts]
        adapter_dir = os.path.join(export_dir, arch)
        peft_model = peft.PeftModel.from_pretrained(model, adapter_dir).eval()
        params = dict(peft_model.named_parameters())
        for key, value in load_file(os.path.join(adapter_dir, "adapter_model.safetensors")).items():
            live = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
            if live not in params or not torch.equal(params[live].detach().float(), value.float()):
                print(arch, "tensor", key, "did not load into PEFT's model as written", flush=True)
                failed = True
        logits = [logits_of(peft_model, p) for p in prompts]
        moved = max(float((a - b).abs().max()) for a, b in zip(logits, base))
        if moved < 1e-2:
            print(arch, "the adapter did not change PEFT's logits (max change", moved, ")", flush=True)
            failed = True
        arch_out = os.path.join(out, "hf_parity_peft", arch)
        os.makedirs(arch_out, exist_ok=True)
        record = {"peft": peft.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
                  "adapter_fnv1a64": fnv1a64(os.path.join(adapter_dir, "adapter_model.safetensors")),
                  "logits": [l.tolist() for l in logits]}
        with open(os.path.join(arch_out, "peft_loads_ours.json"), "w") as f:
            json.dump(record, f)
        print(arch, "PEFT loaded our adapter; logits moved by", moved, "from the base", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--peft-check":
        peft_check(sys.argv[2], sys.argv[3])
    else:
        main()
