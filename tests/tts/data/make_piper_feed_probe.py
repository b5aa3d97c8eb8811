"""Writes piper_feed_probe.onnx: a tiny graph with a multi-speaker Piper voice's inputs whose
output exposes exactly what it was fed, so tests can check the feeds of PiperVoice:

  inputs   input int64 [1, N], input_lengths int64 [1], scales float [3], sid int64 [1]
  output   float [1, 1, 1, N + 4] = (input + 1000 * sid as float) ++ scales ++ input_lengths

Run with Debian's python3-onnx:  /usr/bin/python3 tests/tts/data/make_piper_feed_probe.py
"""
import os

import onnx
from onnx import TensorProto, helper

nodes = [
    helper.make_node("Cast", ["input"], ["ids_f"], to=TensorProto.FLOAT),
    helper.make_node("Cast", ["sid"], ["sid_f"], to=TensorProto.FLOAT),
    helper.make_node("Cast", ["input_lengths"], ["len_f"], to=TensorProto.FLOAT),
    helper.make_node("Constant", [], ["thousand"],
                     value=helper.make_tensor("k", TensorProto.FLOAT, [1], [1000.0])),
    helper.make_node("Mul", ["sid_f", "thousand"], ["sid_k"]),
    helper.make_node("Add", ["ids_f", "sid_k"], ["ids_sid"]),  # [1, N]
    helper.make_node("Constant", [], ["flat"],
                     value=helper.make_tensor("s", TensorProto.INT64, [1], [-1])),
    helper.make_node("Reshape", ["ids_sid", "flat"], ["ids_flat"]),
    helper.make_node("Concat", ["ids_flat", "scales", "len_f"], ["all"], axis=0),
    helper.make_node("Constant", [], ["out_shape"],
                     value=helper.make_tensor("o", TensorProto.INT64, [4], [1, 1, 1, -1])),
    helper.make_node("Reshape", ["all", "out_shape"], ["output"]),
]
graph = helper.make_graph(
    nodes, "piper_feed_probe",
    [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
     helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
     helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
     helper.make_tensor_value_info("sid", TensorProto.INT64, [1])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)],
                          producer_name="parley tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "piper_feed_probe.onnx"))
