#!/usr/bin/env python3
"""Export a streaming LSTM transducer to sherpa-onnx's "lstm" layout.

Writes OUT/encoder.onnx, decoder.onnx, joiner.onnx, tokens.txt and (with --int8)
encoder.int8.onnx, decoder.int8.onnx, joiner.int8.onnx (dynamic quantisation:
DynamicQuantizeLinear + MatMulInteger, int8 symmetric weights with one scale per output column).

Graph contract (what sherpa-onnx's OnlineLstmTransducerModel expects):
  encoder: x [N,T,80] f32, h [L,N,d_model], c [L,N,rnn_hidden] -> encoder_out [N,T',J], next_h, next_c
           metadata: model_type=lstm, num_encoder_layers, T, decode_chunk_len, rnn_hidden_size, d_model
  decoder: y [N,context_size] int64 (-1 = no token) -> decoder_out [N,J]; metadata vocab_size, context_size
  joiner:  encoder_out [N,J], decoder_out [N,J] -> logit [N,V]; metadata joiner_dim
Blank is token 0.

Usage:
  /usr/bin/python3 models/recipes/asr/export.py --random --tiny -o /tmp/tiny-lstm [--int8]
  /usr/bin/python3 models/recipes/asr/export.py --checkpoint models/recipes/asr/work/exp/best.pt \
      -o models/asr --int8
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, Transducer, count_params  # noqa: E402

OPSET = 13


def char_vocab() -> List[str]:
    """Vocabulary of the --random models: specials, word-start letters, letters."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
    return ["<blk>", "<sos/eos>", "<unk>", "\u2581"] + ["\u2581" + ch.upper() for ch in letters] + \
        [ch.upper() for ch in letters]


def write_tokens(tokens: List[str], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(tokens):
            f.write(f"{t} {i}\n")


class EncoderWrapper(torch.nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.encoder = model.encoder

    def forward(self, x, h, c):
        return self.encoder.streaming_forward(x, h, c, unrolled=True)


class DecoderWrapper(torch.nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.decoder = model.decoder

    def forward(self, y):
        return self.decoder(y)[:, -1]


class JoinerWrapper(torch.nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.joiner = model.joiner

    def forward(self, encoder_out, decoder_out):
        return self.joiner(encoder_out, decoder_out)


def add_meta(path: str, meta: Dict[str, object]) -> None:
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key = k
        p.value = str(v)
    onnx.save(m, path)


def export_fp32(model: Transducer, tokens: List[str], out_dir: str, comment: str) -> None:
    cfg = model.cfg
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    n = 1
    x = torch.zeros(n, cfg.chunk_frames, cfg.feature_dim)
    h = torch.zeros(cfg.num_encoder_layers, n, cfg.d_model)
    c = torch.zeros(cfg.num_encoder_layers, n, cfg.rnn_hidden_size)
    enc_path = os.path.join(out_dir, "encoder.onnx")
    torch.onnx.export(
        EncoderWrapper(model), (x, h, c), enc_path, opset_version=OPSET,
        input_names=["x", "h", "c"], output_names=["encoder_out", "next_h", "next_c"],
        dynamic_axes={"x": {0: "N"}, "h": {1: "N"}, "c": {1: "N"},
                      "encoder_out": {0: "N"}, "next_h": {1: "N"}, "next_c": {1: "N"}})
    add_meta(enc_path, {
        "model_type": "lstm", "version": "1", "model_author": "parley",
        "comment": comment, "num_encoder_layers": cfg.num_encoder_layers,
        "T": cfg.chunk_frames, "decode_chunk_len": cfg.decode_chunk_len,
        "rnn_hidden_size": cfg.rnn_hidden_size, "d_model": cfg.d_model,
        "joiner_dim": cfg.joiner_dim, "feature_dim": cfg.feature_dim})

    dec_path = os.path.join(out_dir, "decoder.onnx")
    y = torch.zeros(n, cfg.context_size, dtype=torch.int64)
    torch.onnx.export(DecoderWrapper(model), (y,), dec_path, opset_version=OPSET,
                      input_names=["y"], output_names=["decoder_out"],
                      dynamic_axes={"y": {0: "N"}, "decoder_out": {0: "N"}})
    add_meta(dec_path, {"vocab_size": cfg.vocab_size, "context_size": cfg.context_size})

    join_path = os.path.join(out_dir, "joiner.onnx")
    e = torch.zeros(n, cfg.joiner_dim)
    d = torch.zeros(n, cfg.joiner_dim)
    torch.onnx.export(JoinerWrapper(model), (e, d), join_path, opset_version=OPSET,
                      input_names=["encoder_out", "decoder_out"], output_names=["logit"],
                      dynamic_axes={"encoder_out": {0: "N"}, "decoder_out": {0: "N"},
                                    "logit": {0: "N"}})
    add_meta(join_path, {"joiner_dim": cfg.joiner_dim})
    write_tokens(tokens, os.path.join(out_dir, "tokens.txt"))


def read_tokens(path: str) -> List[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rsplit(" ", 1)[0] for line in f if line.strip()]


def load_exported_weights(model: Transducer, onnx_dir: str) -> None:
    """Loads the weights of an fp32 export (encoder/decoder/joiner.onnx) back into `model`, whose
    config must match the export's; the inverse of export_fp32, for warm-starting training.

    torch.onnx.export renames and reshapes what it folds: Linear weights become anonymous
    transposed MatMul initializers and an LSTM's two biases one summed Add initializer. The map is
    found by exporting `model` itself (random weights) and matching every initializer of that
    probe to the parameter (or transposed parameter, or sum of two biases) it equals; it is then
    applied to the shipped export. Raises ValueError naming the file and initializer that does not
    fit."""
    import copy
    import tempfile
    # The probe gets distinct random values everywhere: the exporter merges equal initializers
    # (fresh LayerNorm weights are all ones), which would hide the map.
    probe_model = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for tensor in probe_model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.randn(tensor.shape, generator=gen))
    state = {k: v.clone() for k, v in probe_model.state_dict().items()}
    assigned = set()
    with tempfile.TemporaryDirectory() as probe_dir:
        export_fp32(probe_model, ["x"] * model.cfg.vocab_size, probe_dir, "probe")
        for part in ("encoder", "decoder", "joiner"):
            path = os.path.join(onnx_dir, f"{part}.onnx")
            probe = {t.name: numpy_helper.to_array(t)
                     for t in onnx.load(os.path.join(probe_dir, f"{part}.onnx")).graph.initializer}
            shipped = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
            if set(probe) != set(shipped):
                raise ValueError(f"{path}: initializers differ from this model's export "
                                 f"({sorted(set(probe) ^ set(shipped))[:4]}...): other dimensions?")
            for name, value in probe.items():
                target = torch.from_numpy(np.array(shipped[name], dtype=np.float32))
                if name in state:
                    if tuple(state[name].shape) != tuple(target.shape):
                        raise ValueError(f"{path}: {name} has shape {tuple(target.shape)}, "
                                         f"the model {tuple(state[name].shape)}")
                    state[name].copy_(target)
                    assigned.add(name)
                    continue
                v = torch.from_numpy(np.array(value, dtype=np.float32))
                match = [k for k, p in state.items() if k not in assigned and p.dim() == 2 and
                         tuple(p.t().shape) == tuple(v.shape) and torch.equal(p.t(), v)]
                if len(match) == 1:
                    state[match[0]].copy_(target.t())
                    assigned.add(match[0])
                    continue
                pairs = [(a, b) for a in state for b in state
                         if a < b and a not in assigned and b not in assigned and
                         state[a].dim() == 1 and state[a].shape == state[b].shape == v.shape and
                         torch.allclose(state[a] + state[b], v, atol=1e-6)]
                if len(pairs) != 1:
                    raise ValueError(f"{path}: initializer {name} {tuple(v.shape)} matches "
                                     f"{len(match) or len(pairs)} parameters of the model")
                state[pairs[0][0]].copy_(target)  # the folded sum, kept in one of the two biases
                state[pairs[0][1]].zero_()
                assigned.update(pairs[0])
    missing = [k for k in state if k not in assigned]
    if missing:
        raise ValueError(f"{onnx_dir}: no initializer for {missing}")
    model.load_state_dict(state)


# ---------------------------------------------------------------------------------------------
# Dynamic int8 quantisation (onnxruntime's "QInt8 weights, uint8 activations" scheme, with
# per-output-column weight scales applied by the dequantising Mul after MatMulInteger).


def _quantize_weight(w: np.ndarray):
    """Symmetric int8 per output column: w [K,N] -> (q int8 [K,N], scale f32 [N])."""
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale


def quantize_dynamic(src: str, dst: str, min_elements: int = 256) -> int:
    """Rewrite MatMul/Gemm with a constant 2-D weight into DynamicQuantizeLinear +
    MatMulInteger (+ Cast, Mul, Add). Returns the number of rewritten nodes."""
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    uses: Dict[str, int] = {}
    for node in g.node:
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    new_nodes = []
    new_inits = []
    dropped = set()
    quantized: Dict[tuple, str] = {}
    count = 0
    for node in g.node:
        weight_name = None
        trans_b = False
        bias = None
        if node.op_type == "MatMul" and node.input[1] in inits:
            weight_name = node.input[1]
        elif node.op_type == "Gemm" and node.input[1] in inits:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get("transA", 0) == 0 and attrs.get("alpha", 1.0) == 1.0 and \
                    attrs.get("beta", 1.0) == 1.0:
                weight_name = node.input[1]
                trans_b = bool(attrs.get("transB", 0))
                bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        if weight_name is None:
            new_nodes.append(node)
            continue
        w = numpy_helper.to_array(inits[weight_name]).astype(np.float32)
        if w.ndim != 2 or w.size < min_elements:
            new_nodes.append(node)
            continue
        if trans_b:
            w = w.T
        key = (weight_name, trans_b)
        if key not in quantized:
            q, scale = _quantize_weight(w)
            wbase = f"{weight_name}{'_T' if trans_b else ''}_quantized"
            new_inits += [
                numpy_helper.from_array(np.ascontiguousarray(q), wbase + "_int8"),
                numpy_helper.from_array(scale, wbase + "_scale"),
                numpy_helper.from_array(np.array(0, dtype=np.int8), wbase + "_zp"),
            ]
            quantized[key] = wbase
        wbase = quantized[key]
        base = f"{node.name or weight_name}_q{count}"
        a = node.input[0]
        new_nodes.append(helper.make_node(
            "DynamicQuantizeLinear", [a], [base + "_a_q", base + "_a_scale", base + "_a_zp"],
            name=base + "_dql"))
        new_nodes.append(helper.make_node(
            "MatMulInteger", [base + "_a_q", wbase + "_int8", base + "_a_zp", wbase + "_zp"],
            [base + "_i32"], name=base + "_mmi"))
        new_nodes.append(helper.make_node("Cast", [base + "_i32"], [base + "_f32"],
                                          to=TensorProto.FLOAT, name=base + "_cast"))
        new_nodes.append(helper.make_node("Mul", [base + "_a_scale", wbase + "_scale"],
                                          [base + "_scale"], name=base + "_scale_mul"))
        out = node.output[0]
        if bias is None:
            new_nodes.append(helper.make_node("Mul", [base + "_f32", base + "_scale"], [out],
                                              name=base + "_deq"))
        else:
            new_nodes.append(helper.make_node("Mul", [base + "_f32", base + "_scale"],
                                              [base + "_deq_out"], name=base + "_deq"))
            new_nodes.append(helper.make_node("Add", [base + "_deq_out", bias], [out],
                                              name=base + "_bias"))
        uses[weight_name] -= 1
        if uses[weight_name] == 0:
            dropped.add(weight_name)
        count += 1
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in dropped]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    # MatMulInteger / DynamicQuantizeLinear are opset >= 10/11 ops in the default domain.
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", help="trained checkpoint (train.py's .pt)")
    ap.add_argument("--random", action="store_true", help="random-init weights")
    ap.add_argument("--tiny", action="store_true", help="with --random: tiny dimensions")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--int8", action="store_true", help="also write *.int8.onnx")
    ap.add_argument("-o", "--out", required=True, help="output directory")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    if args.checkpoint:
        ck = torch.load(args.checkpoint, map_location="cpu")
        cfg = ModelConfig(**ck["config"])
        model = Transducer(cfg)
        model.load_state_dict(ck["model"])
        tokens = ck["tokens"]
        comment = f"parley lstm transducer, step {ck.get('step', '?')}"
    elif args.random:
        tokens = char_vocab()
        cfg = ModelConfig.tiny(len(tokens)) if args.tiny else ModelConfig(vocab_size=len(tokens))
        model = Transducer(cfg)
        comment = f"parley random-init lstm transducer (seed {args.seed}), for tests only"
    else:
        ap.error("need --checkpoint or --random")
    model.eval()
    export_fp32(model, tokens, args.out, comment)
    print(f"exported {count_params(model)} parameters to {args.out}")
    if args.int8:
        for name in ("encoder", "decoder", "joiner"):
            n = quantize_dynamic(os.path.join(args.out, f"{name}.onnx"),
                                 os.path.join(args.out, f"{name}.int8.onnx"))
            print(f"{name}.int8.onnx: {n} weight products quantised")


if __name__ == "__main__":
    main()
