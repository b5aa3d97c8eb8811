#!/usr/bin/python3
"""Writes the tiny Hugging Face-style model folders the converter tests read.

  tests/llm/fixtures/hf_llama/  LlamaForCausalLM, sentencepiece tokenizer.model, f32 weights in one
                                model.safetensors, untied lm_head; briefly trained on a small text
                                so that greedy decoding is confident (quantization tests).
  tests/llm/fixtures/hf_qwen2/  Qwen2ForCausalLM, byte-level BPE tokenizer.json built here,
                                bf16 weights in two shards + model.safetensors.index.json, q/k/v
                                biases, tied embeddings, config vocab_size padded past the tokenizer.

Each folder also holds parley_reference.json (prompt, its token ids, tokenization cases) and
parley_reference_logits.f32 (little-endian float32 [tokens][vocab], from the plain PyTorch forward
below). Deterministic: fixed seeds, single thread, data written in sorted order.

Usage: /usr/bin/python3 tests/llm/make_hf_fixtures.py [OUT_DIR]   (default tests/llm/fixtures)
Needs python3-torch, python3-sentencepiece, python3-regex, python3-numpy.
"""
import io
import json
import math
import os
import struct
import sys
from collections import Counter

import numpy as np
import regex
import sentencepiece as spm
import torch

torch.set_num_threads(1)

CORPUS = [
    "Hello! I am a small assistant that lives in your kitchen.",
    "Set a timer for ten minutes, please.",
    "The timer is set for ten minutes.",
    "What time is it? It is half past seven in the evening.",
    "Turn the volume up to 7. The volume is now 7.",
    "Turn off the lights in the living room.",
    "I cannot browse the internet, but I can set alarms and timers.",
    "Once upon a time there was a little robot who loved to help.",
    "The robot cleaned the kitchen and sang a happy song every morning.",
    "Wake me up at 6:30 tomorrow. Your alarm is set for 6:30.",
    "How are you today? I'm fine, thank you for asking!",
    "It's raining outside, so we'll stay in and read a book.",
    "Numbers like 12, 345 and 6789 are split into digits.",
    "Stop the music. The music has stopped.",
]
PROMPT = "Once upon a time there was a little robot"
TOKEN_CASES = [
    "Hello world",
    " leading space and  two spaces",
    "Set a timer for 25 minutes.",
    "naïve café — “quotes” and emoji 🙂",
    "line one\nline two\n\n",
    "It's 6:30, isn't it?",
]

BYTE_REGEX_QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                    r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


# ---------------------------------------------------------------------------------------------
# safetensors writer (8-byte little-endian header length, JSON header, raw data)

def tensor_bytes(t, dtype):
    t = t.detach().contiguous()
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        # bf16 = the high 16 bits of the f32 (round to nearest even via torch).
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def round_trip(t, dtype):
    """The values a reader of the file sees (what the reference forward must use)."""
    if dtype == "BF16":
        return t.to(torch.bfloat16).to(torch.float32)
    if dtype == "F16":
        return t.to(torch.float16).to(torch.float32)
    return t.to(torch.float32)


# ---------------------------------------------------------------------------------------------
# Plain PyTorch llama / qwen2 forward (Hugging Face conventions: half-split rotary)

def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, w, ids):
    n_head, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg["hidden_size"] // n_head
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    T = ids.shape[-1]
    x = w["model.embed_tokens.weight"][ids]
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().float(), emb.sin().float()
    mask = torch.full((T, T), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)

        def proj(name):
            y = h @ w[p + f"self_attn.{name}.weight"].T
            b = w.get(p + f"self_attn.{name}.bias")
            return y + b if b is not None else y
        q = proj("q_proj").view(T, n_head, hd).transpose(0, 1)
        k = proj("k_proj").view(T, n_kv, hd).transpose(0, 1)
        v = proj("v_proj").view(T, n_kv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(n_head // n_kv, dim=0)
        v = v.repeat_interleave(n_head // n_kv, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, dim=-1)
        o = (att @ v).transpose(0, 1).reshape(T, n_head * hd)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def init_weights(cfg, gen, biases, tied, std):
    d, ff, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd

    def rnd(*shape, s=std):
        return torch.randn(*shape, generator=gen) * s
    w = {"model.embed_tokens.weight": rnd(V, d), "model.norm.weight": 1.0 + rnd(d, s=0.1)}
    if not tied:
        w["lm_head.weight"] = rnd(V, d)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1.0 + rnd(d, s=0.1)
        w[p + "post_attention_layernorm.weight"] = 1.0 + rnd(d, s=0.1)
        w[p + "self_attn.q_proj.weight"] = rnd(d, d)
        w[p + "self_attn.k_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.v_proj.weight"] = rnd(kv, d)
        w[p + "self_attn.o_proj.weight"] = rnd(d, d)
        w[p + "mlp.gate_proj.weight"] = rnd(ff, d)
        w[p + "mlp.up_proj.weight"] = rnd(ff, d)
        w[p + "mlp.down_proj.weight"] = rnd(d, ff)
        if biases:
            w[p + "self_attn.q_proj.bias"] = rnd(d, s=0.1)
            w[p + "self_attn.k_proj.bias"] = rnd(kv, s=0.1)
            w[p + "self_attn.v_proj.bias"] = rnd(kv, s=0.1)
    return w


def train(cfg, w, ids, steps, seed):
    """A few Adam steps of next-token prediction so greedy decoding is confident."""
    torch.manual_seed(seed)
    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    opt = torch.optim.Adam(params.values(), lr=3e-3)
    data = torch.tensor(ids)
    seq = 64
    for step in range(steps):
        start = (step * 37) % max(1, len(ids) - seq - 1)
        chunk = data[start:start + seq + 1]
        logits = forward(cfg, params, chunk[:-1])
        loss = torch.nn.functional.cross_entropy(logits, chunk[1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"  trained {steps} steps, last loss {loss.item():.3f}")
    return {k: v.detach() for k, v in params.items()}


def write_reference(folder, cfg, w, prompt_ids, cases, prompt):
    with torch.no_grad():
        logits = forward(cfg, w, torch.tensor(prompt_ids))
    logits.numpy().astype("<f4").tofile(os.path.join(folder, "parley_reference_logits.f32"))
    ref = {"prompt": prompt, "prompt_ids": prompt_ids, "logits_shape": list(logits.shape),
           "tokenization": cases}
    with open(os.path.join(folder, "parley_reference.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)


CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


# ---------------------------------------------------------------------------------------------
# llama + sentencepiece

def make_llama(out):
    folder = os.path.join(out, "hf_llama")
    os.makedirs(folder, exist_ok=True)
    model_io = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4), model_writer=model_io, model_type="bpe",
        vocab_size=360, byte_fallback=True, character_coverage=1.0,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, split_digits=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        user_defined_symbols=["<|im_start|>", "<|im_end|>"], num_threads=1,
        shuffle_input_sentence=False, minloglevel=2)
    with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
        f.write(model_io.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model_io.getvalue())
    V = sp.get_piece_size()
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
           "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "vocab_size": V, "tie_word_embeddings": False,
           "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "torch_dtype": "float32"}
    write_json(os.path.join(folder, "config.json"), cfg)
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "chat_template": CHATML, "tokenizer_class": "LlamaTokenizer",
        "added_tokens_decoder": {
            str(sp.piece_to_id(t)): {"content": t, "special": True, "normalized": False,
                                     "lstrip": False, "rstrip": False, "single_word": False}
            for t in ["<|im_start|>", "<|im_end|>"]}})
    gen = torch.Generator().manual_seed(1234)
    w = init_weights(cfg, gen, biases=False, tied=False, std=0.05)
    text_ids = []
    for line in CORPUS * 3:
        text_ids += [1] + sp.encode(line)
    w = train(cfg, w, text_ids, steps=600, seed=99)
    write_safetensors(os.path.join(folder, "model.safetensors"), w, "F32")
    w = {k: round_trip(v, "F32") for k, v in w.items()}
    cases = [{"text": t, "ids": sp.encode(t)} for t in TOKEN_CASES]
    # sentencepiece adds its dummy-prefix '▁' once, before the first special token; llama.cpp
    # (and Parley, which follows it) adds it to each text fragment that follows a special token.
    # Both are recorded; the test checks llama.cpp's rule.
    chat = "<|im_start|>user\nhi<|im_end|>"
    cases.append({"text": chat, "ids": sp.encode(chat), "parse_special": True,
                  "llama_cpp_ids": [sp.piece_to_id("<|im_start|>")] + sp.encode("user\nhi") +
                  [sp.piece_to_id("<|im_end|>")]})
    write_reference(folder, cfg, w, [1] + sp.encode(PROMPT), cases, PROMPT)


# ---------------------------------------------------------------------------------------------
# qwen2 + byte-level BPE

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHARS = bytes_to_unicode()


def pretokenize(text):
    return ["".join(BYTE_CHARS[b] for b in piece.encode()) for piece in
            regex.findall(BYTE_REGEX_QWEN2, text)]


def learn_bpe(words, n_merges):
    """Greedy BPE: most frequent adjacent pair first, ties broken by the pair's text."""
    corpus = Counter(tuple(w) for w in words)
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for word, count in corpus.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = Counter()
        for word, count in corpus.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        corpus = merged
    return merges


def bpe_encode(text, vocab, ranks, specials):
    ids = []
    parts = [text]
    if specials:
        parts = regex.split("(" + "|".join(regex.escape(s) for s in specials) + ")", text)
    for part in parts:
        if part in specials:
            ids.append(vocab[part])
            continue
        for word in pretokenize(part):
            syms = list(word)
            while len(syms) > 1:
                cands = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in
                         enumerate(zip(syms, syms[1:]))]
                rank, i = min(cands)
                if rank == 1 << 30:
                    break
                syms[i:i + 2] = [syms[i] + syms[i + 1]]
            ids += [vocab[s] for s in syms]
    return ids


def make_qwen2(out):
    folder = os.path.join(out, "hf_qwen2")
    os.makedirs(folder, exist_ok=True)
    words = [w for line in CORPUS for w in pretokenize(line)]
    merges = learn_bpe(words, 200)
    vocab = {BYTE_CHARS[b]: i for i, b in enumerate(sorted(BYTE_CHARS))}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    added = []
    for s in specials:
        added.append({"id": len(vocab), "content": s, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
        vocab[s] = len(vocab)
    n_tokens = len(vocab)
    model_vocab = {k: v for k, v in vocab.items() if k not in specials}
    write_json(os.path.join(folder, "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": BYTE_REGEX_QWEN2}, "behavior": "Isolated",
             "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
             "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                           "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                    "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "vocab": model_vocab,
                  "merges": [a + " " + b for a, b in merges]}})
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "chat_template": CHATML, "errors": "replace",
        "tokenizer_class": "Qwen2Tokenizer", "model_max_length": 256,
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"}
                                 for a in added}})
    cfg = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64,
           "intermediate_size": 160, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
           "rope_theta": 1000000.0, "vocab_size": n_tokens + 5, "tie_word_embeddings": True,
           "bos_token_id": vocab["<|endoftext|>"], "eos_token_id": vocab["<|im_end|>"],
           "hidden_act": "silu", "torch_dtype": "bfloat16", "use_sliding_window": False}
    write_json(os.path.join(folder, "config.json"), cfg)
    gen = torch.Generator().manual_seed(4321)
    w = init_weights(cfg, gen, biases=True, tied=True, std=0.08)
    # Two shards and an index, as sharded checkpoints are laid out.
    names = sorted(w)
    shard_a = {n: w[n] for n in names if ".layers.1." not in n}
    shard_b = {n: w[n] for n in names if ".layers.1." in n}
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    write_safetensors(os.path.join(folder, files[0]), shard_a, "BF16")
    write_safetensors(os.path.join(folder, files[1]), shard_b, "BF16")
    weight_map = {n: files[0] for n in shard_a}
    weight_map.update({n: files[1] for n in shard_b})
    write_json(os.path.join(folder, "model.safetensors.index.json"), {
        "metadata": {"total_size": sum(v.numel() * 2 for v in w.values())},
        "weight_map": dict(sorted(weight_map.items()))})
    w = {k: round_trip(v, "BF16") for k, v in w.items()}
    ranks = {m: i for i, m in enumerate(merges)}
    cases = [{"text": t, "ids": bpe_encode(t, vocab, ranks, [])} for t in TOKEN_CASES]
    chat = "<|im_start|>user\nhi<|im_end|>"
    cases.append({"text": chat, "ids": bpe_encode(chat, vocab, ranks, specials),
                  "parse_special": True})
    write_reference(folder, cfg, w, bpe_encode(PROMPT, vocab, ranks, []), cases, PROMPT)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                              "fixtures")
    torch.manual_seed(0)
    print("hf_llama")
    make_llama(out)
    print("hf_qwen2")
    make_qwen2(out)


if __name__ == "__main__":
    main()
