#!/usr/bin/env python3
"""Generates the LSTM/GRU cases of tests/onnx/ops_rnn_test.cc.

Each case is a one-node ONNX model plus test_data_set_0/{input,output}_N.pb. The expected outputs
come from the float64 NumPy implementation below, written from the ONNX operator spec, not from
the runtime under test. The ONNX node tests never check LSTM's cell-state output Y_c (Silero VAD
feeds it back between chunks), nor sequence_lens with bidirectional peephole LSTMs; these do.

Run: /usr/bin/python3 tests/onnx/data/rnn/make_cases.py   (needs python3-onnx, python3-numpy)
"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))


def lstm_ref(X, W, R, B, lens, h0, c0, P, direction, layout):
    if layout == 1:
        X = X.transpose(1, 0, 2)
    seq, batch, _ = X.shape
    D, G4, _ = W.shape
    H = G4 // 4
    Y = np.zeros((seq, D, batch, H))
    Yh = np.zeros((D, batch, H))
    Yc = np.zeros((D, batch, H))
    for d in range(D):
        reverse = direction == "reverse" or d == 1
        wb, rb = B[d, :4 * H], B[d, 4 * H:]
        pi, po, pf = P[d, :H], P[d, H:2 * H], P[d, 2 * H:]
        for b in range(batch):
            h, c = h0[d, b].copy(), c0[d, b].copy()
            n = lens[b]
            for s in range(n):
                t = n - 1 - s if reverse else s
                g = X[t, b] @ W[d].T + h @ R[d].T + wb + rb
                i = sigmoid(g[:H] + pi * c)
                f = sigmoid(g[2 * H:3 * H] + pf * c)
                cc = np.tanh(g[3 * H:])
                c = f * c + i * cc
                o = sigmoid(g[H:2 * H] + po * c)
                h = o * np.tanh(c)
                Y[t, d, b] = h
            Yh[d, b], Yc[d, b] = h, c
    if layout == 1:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def gru_ref(X, W, R, B, h0, linear_before_reset):
    seq, batch, _ = X.shape
    H = W.shape[1] // 3
    Y = np.zeros((seq, 1, batch, H))
    wb, rb = B[0, :3 * H], B[0, 3 * H:]
    h = h0[0].copy()
    for t in range(seq):
        xw = X[t] @ W[0].T + wb
        hr = h @ R[0].T
        z = sigmoid(xw[:, :H] + hr[:, :H] + rb[:H])
        r = sigmoid(xw[:, H:2 * H] + hr[:, H:2 * H] + rb[H:2 * H])
        if linear_before_reset:
            hh = np.tanh(xw[:, 2 * H:] + r * (hr[:, 2 * H:] + rb[2 * H:]))
        else:
            hh = np.tanh(xw[:, 2 * H:] + (r * h) @ R[0][2 * H:].T + rb[2 * H:])
        h = (1 - z) * hh + z * h
        Y[t, 0] = h
    return Y, h[None]


def save_case(name, node, inputs, outputs):
    """inputs/outputs: lists of (name, array, onnx elem type)."""
    folder = os.path.join(HERE, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info(n, t, a.shape) for n, a, t in inputs],
        [helper.make_tensor_value_info(n, t, a.shape) for n, a, t in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for kind, items in (("input", inputs), ("output", outputs)):
        for k, (n, a, t) in enumerate(items):
            dtype = np.float32 if t == TensorProto.FLOAT else np.int32
            tensor = numpy_helper.from_array(a.astype(dtype), n)
            with open(os.path.join(folder, "test_data_set_0", f"{kind}_{k}.pb"), "wb") as f:
                f.write(tensor.SerializeToString())


def lstm_case(name, rng, seq, batch, inp, H, direction, layout, lens, peepholes):
    D = 2 if direction == "bidirectional" else 1
    f32 = lambda *s: rng.uniform(-0.6, 0.6, s).astype(np.float32)
    X = f32(seq, batch, inp) if layout == 0 else f32(batch, seq, inp)
    W, R, B = f32(D, 4 * H, inp), f32(D, 4 * H, H), f32(D, 8 * H)
    h0, c0 = f32(D, batch, H), f32(D, batch, H)
    P = f32(D, 3 * H) if peepholes else np.zeros((D, 3 * H), np.float32)
    if layout == 1:
        h0, c0 = h0.transpose(1, 0, 2).copy(), c0.transpose(1, 0, 2).copy()
    lens_arr = np.array(lens if lens else [seq] * batch, np.int32)
    h0_ref = h0.transpose(1, 0, 2) if layout == 1 else h0
    c0_ref = c0.transpose(1, 0, 2) if layout == 1 else c0
    Y, Yh, Yc = lstm_ref(X.astype(np.float64), W, R, B, lens_arr, h0_ref, c0_ref, P, direction, layout)
    names = ["X", "W", "R", "B", "sequence_lens" if lens else "", "initial_h", "initial_c",
             "P" if peepholes else ""]
    node = helper.make_node("LSTM", names, ["Y", "Y_h", "Y_c"], hidden_size=H,
                            direction=direction, layout=layout)
    F, I = TensorProto.FLOAT, TensorProto.INT32
    inputs = [("X", X, F), ("W", W, F), ("R", R, F), ("B", B, F)]
    if lens:
        inputs.append(("sequence_lens", lens_arr, I))
    inputs += [("initial_h", h0, F), ("initial_c", c0, F)]
    if peepholes:
        inputs.append(("P", P, F))
    save_case(name, node, inputs, [("Y", Y, F), ("Y_h", Yh, F), ("Y_c", Yc, F)])


def main():
    rng = np.random.default_rng(20261129)
    lstm_case("lstm_forward_state", rng, 5, 2, 3, 4, "forward", 0, None, False)
    lstm_case("lstm_odd_sizes_two_steps", rng, 2, 1, 37, 23, "forward", 0, None, False)
    lstm_case("lstm_bidirectional_lens_peepholes", rng, 6, 3, 5, 4, "bidirectional", 0, [6, 2, 4], True)
    lstm_case("lstm_reverse_layout1", rng, 4, 2, 3, 5, "reverse", 1, None, True)
    F = TensorProto.FLOAT
    for lbr in (0, 1):
        f32 = lambda *s: rng.uniform(-0.6, 0.6, s).astype(np.float32)
        X, W, R, B, h0 = f32(4, 2, 3), f32(1, 12, 3), f32(1, 12, 4), f32(1, 24), f32(1, 2, 4)
        Y, Yh = gru_ref(X.astype(np.float64), W, R, B, h0, lbr)
        node = helper.make_node("GRU", ["X", "W", "R", "B", "", "initial_h"], ["Y", "Y_h"],
                                hidden_size=4, linear_before_reset=lbr)
        save_case(f"gru_linear_before_reset_{lbr}", node,
                  [("X", X, F), ("W", W, F), ("R", R, F), ("B", B, F), ("initial_h", h0, F)],
                  [("Y", Y, F), ("Y_h", Yh, F)])


if __name__ == "__main__":
    main()
