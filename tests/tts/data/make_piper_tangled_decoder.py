"""Writes piper_tangled_decoder.onnx: a tiny Piper-shaped graph whose "decoder" (from the node named
like Piper's /dec/conv_pre/Conv on) also reads a value computed before it, from another input,
so the decoder cannot run apart from the rest — PiperVoice must fall back to whole runs:

  inputs   input int64 [1, N], input_lengths int64 [1], scales float [3]
  z        = input as float, [1, 1, N]        (the "latent": one frame per id)
  output   float [1, 1, 1, N] = z * sum(scales)   (one sample per frame)

Run with Debian's python3-onnx:  /usr/bin/python3 tests/tts/data/make_piper_tangled_decoder.py
"""
import os

import onnx
from onnx import TensorProto, helper

nodes = [
    helper.make_node("Cast", ["input"], ["ids_f"], to=TensorProto.FLOAT),
    helper.make_node("Constant", [], ["axis1"],
                     value=helper.make_tensor("a", TensorProto.INT64, [1], [1])),
    helper.make_node("Unsqueeze", ["ids_f", "axis1"], ["z"]),
    helper.make_node("Identity", ["z"], ["dec_in"], name="/dec/conv_pre/Conv"),
    helper.make_node("ReduceSum", ["scales"], ["scale_sum"], keepdims=0),
    helper.make_node("Mul", ["dec_in", "scale_sum"], ["dec_out"]),
    helper.make_node("Constant", [], ["out_shape"],
                     value=helper.make_tensor("o", TensorProto.INT64, [4], [1, 1, 1, -1])),
    helper.make_node("Reshape", ["dec_out", "out_shape"], ["output"]),
]
graph = helper.make_graph(
    nodes, "piper_tangled_decoder",
    [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
     helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
     helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)],
                          producer_name="parley tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "piper_tangled_decoder.onnx"))
