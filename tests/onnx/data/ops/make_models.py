#!/usr/bin/env python3
"""Generates the one-node models of tests/onnx/ops_behaviour_test.cc (no reference outputs: the
test computes its expectations from the operator spec). Run with /usr/bin/python3 (python3-onnx)."""
import os

import onnx
from onnx import helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, node, inputs, outputs, opset=17):
    graph = helper.make_graph([node], name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


F, I32, I8, U8 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8
x = helper.make_tensor_value_info("x", F, ["n"])
y = helper.make_tensor_value_info("y", F, ["n"])
save("random_normal_like", helper.make_node("RandomNormalLike", ["x"], ["y"], mean=2.0, scale=3.0), [x], [y])
save("random_normal_like_seeded",
     helper.make_node("RandomNormalLike", ["x"], ["y"], mean=0.0, scale=1.0, seed=7.0), [x], [y])
save("random_uniform_like", helper.make_node("RandomUniformLike", ["x"], ["y"], low=-1.0, high=3.0), [x], [y])
a = helper.make_tensor_value_info("a", I32, ["n"])
b = helper.make_tensor_value_info("b", I32, ["n"])
c = helper.make_tensor_value_info("c", I32, ["n"])
save("div_int32", helper.make_node("Div", ["a", "b"], ["c"]), [a, b], [c])
save("mod_int32", helper.make_node("Mod", ["a", "b"], ["c"]), [a, b], [c])
save("cast_float_to_int8", helper.make_node("Cast", ["x"], ["q"], to=I8), [x],
     [helper.make_tensor_value_info("q", I8, ["n"])])
