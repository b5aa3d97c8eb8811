"""Export a training checkpoint as a Hugging Face-style LlamaForCausalLM folder.

Writes OUT/config.json, generation_config.json, model.safetensors (float32, by the small writer
below: 8-byte little-endian header length, JSON header, raw tensor bytes), tokenizer.model,
tokenizer_config.json (ChatML chat_template, <|im_end|> as eos, add_bos_token) and
special_tokens_map.json.

Weights are rounded to float16 (stored F16), so a float32 GGUF converted from this folder holds
exactly the weights the reference logits were computed with.

Also writes the reference for tests/llm/default_model_test.cc into --ref-dir: reference.txt
(prompt text, prompt ids, greedy reply ids and text, which positions the logits cover) and
reference_logits.f32 (float32 little-endian [positions][vocab]) from this PyTorch model.

Usage: python3 export.py [--ckpt work/ckpt.pt] [--out work/hf] [--ref-dir work/reference]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import struct

import torch

from chatml import CONTROL, ChatTokenizer
from model import LlamaConfig, TinyLlama

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work"))  # recipe.sh: WORK=

_DTYPES = {torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2)}


def write_safetensors(path: str, tensors: dict, metadata: dict | None = None) -> None:
    """Tensors sorted by name, contiguous, little-endian; header padded to 8 bytes with spaces."""
    header = {"__metadata__": metadata or {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        dtype, size = _DTYPES[t.dtype]
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path: str) -> dict:
    """Reader for the round-trip check (float32/float16 only)."""
    import numpy as np

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            a, b = info["data_offsets"]
            f.seek(base + a)
            np_type = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
            out[name] = torch.from_numpy(np.frombuffer(f.read(b - a), dtype=np_type).reshape(info["shape"]).copy())
    return out


def chat_template(system_prompt: str) -> str:
    """Plain ChatML for every role (the model was trained with 'tool' messages as Parley's
    runtime renders them); without a system message, the Parley system prompt it was trained
    with is used."""
    sp = json.dumps(system_prompt)
    return (
        "{%- if messages[0]['role'] != 'system' %}"
        "{{- '<|im_start|>system\\n' + " + sp + " + '<|im_end|>\\n' }}"
        "{%- endif %}"
        "{%- for message in messages %}"
        "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
        "{%- endfor %}"
        "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")


REFERENCE_USER = "set a timer for 10 minutes for the tea"


@torch.no_grad()
def write_reference(model, tok, system_prompt: str, ref_dir: str, positions: int) -> None:
    from chatml import render
    from model import greedy_generate

    os.makedirs(ref_dir, exist_ok=True)
    msgs = [{"role": "system", "content": system_prompt}, {"role": "user", "content": REFERENCE_USER}]
    text = render(msgs, add_generation_prompt=True)
    ids = tok.encode_prompt(msgs)
    logits = model(torch.tensor(ids)[None])[0]
    first = len(ids) - positions
    reply = greedy_generate(model, ids, {tok.im_end_id, tok.sp.eos_id()}, 64)
    with open(os.path.join(ref_dir, "reference_logits.f32"), "wb") as f:
        f.write(logits[first:].contiguous().numpy().astype("<f4").tobytes())
    with open(os.path.join(ref_dir, "reference.txt"), "w") as f:
        f.write("# PyTorch reference of Parley's default chat model (models/recipes/llm/export.py)\n")
        f.write("prompt_text: " + json.dumps(text) + "\n")
        f.write("prompt_tokens: " + " ".join(map(str, ids)) + "\n")
        f.write(f"logits_first_position: {first}\n")
        f.write(f"logits_positions: {positions}\n")
        f.write(f"n_vocab: {tok.vocab_size}\n")
        f.write("greedy_tokens: " + " ".join(map(str, reply)) + "\n")
        f.write("greedy_text: " + json.dumps(tok.decode(reply)) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(WORK, "hf"))
    ap.add_argument("--ref-dir", default=os.path.join(WORK, "reference"))
    ap.add_argument("--ref-positions", type=int, default=8, help="last prompt positions with logits")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ck = torch.load(args.ckpt)
    cfg = LlamaConfig(**ck["config"])
    model = TinyLlama(cfg)
    model.load_state_dict({k: v.half().float() for k, v in ck["model"].items()})
    model.eval()
    tok_path = os.path.join(WORK, "tokenizer.model")
    tok = ChatTokenizer(tok_path)
    with open(os.path.join(HERE, "tools.json")) as f:
        system_prompt = json.load(f)["system_prompt"]

    halves = {k: v.half() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(args.out, "model.safetensors"), halves)
    back = read_safetensors(os.path.join(args.out, "model.safetensors"))
    for name, t in halves.items():
        if not torch.equal(back[name], t):
            raise RuntimeError(f"safetensors round trip changed {name}")

    hf = cfg.hf_config(eos_token_id=tok.im_end_id)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": tok.bos_id, "eos_token_id": [tok.im_end_id, tok.sp.eos_id()],
                   "do_sample": False}, f, indent=2)
    shutil.copyfile(tok_path, os.path.join(args.out, "tokenizer.model"))
    added = {}
    for i in range(tok.vocab_size):
        piece = tok.sp.id_to_piece(i)
        if i in (tok.sp.unk_id(), tok.bos_id, tok.sp.eos_id()) or piece in CONTROL or piece in tok.user_defined:
            added[str(i)] = {"content": piece, "lstrip": False, "rstrip": False, "normalized": False,
                             "single_word": False, "special": piece not in tok.user_defined}
    tok_cfg = {
        "tokenizer_class": "LlamaTokenizer",
        "add_bos_token": True,
        "add_eos_token": False,
        "add_prefix_space": True,
        "legacy": True,
        "bos_token": "<s>",
        "eos_token": "<|im_end|>",
        "unk_token": "<unk>",
        "pad_token": None,
        "model_max_length": cfg.max_position_embeddings,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": CONTROL,
        "chat_template": chat_template(system_prompt),
    }
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
    with open(os.path.join(args.out, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "<|im_end|>", "unk_token": "<unk>",
                   "additional_special_tokens": CONTROL}, f, indent=2)
    write_reference(model, tok, system_prompt, args.ref_dir, args.ref_positions)
    print(f"exported step {ck['step']} ({model.num_parameters()} parameters) to {args.out}")


if __name__ == "__main__":
    main()
