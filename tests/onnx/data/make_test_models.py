#!/usr/bin/env python3
"""Writes the tiny hand-made ONNX models the kernels/onnx unit tests load (model_test.cc).

Run with Debian's python3-onnx:  /usr/bin/python3 tests/onnx/data/make_test_models.py
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def const_node(out, values):
    return helper.make_node("Constant", [], [out], value=helper.make_tensor(
        out + "_t", TensorProto.FLOAT, [len(values)], values))


# If with weights in Constant nodes inside the branches (as Silero v5/v6 do).
then_g = helper.make_graph([const_node("t_out", [1.0, 2.0])], "then", [],
                           [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [2])])
else_g = helper.make_graph([const_node("e_out", [3.0, 4.0])], "else", [],
                           [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [2])])
graph = helper.make_graph(
    [helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)],
    "if_const", [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.metadata_props.add(key="sample_rate", value="16000")
save(model, "if_const.onnx")

# Loop whose body has no nodes: carries v through and emits the iteration number as scan output.
body = helper.make_graph(
    [], "body",
    [helper.make_tensor_value_info("i", TensorProto.INT64, []),
     helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info("i", TensorProto.INT64, [])])
graph = helper.make_graph(
    [helper.make_node("Loop", ["m", "cond", "v"], ["v_final", "iters"], body=body)],
    "loop_counter",
    [helper.make_tensor_value_info("m", TensorProto.INT64, []),
     helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
     helper.make_tensor_value_info("v", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("v_final", TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info("iters", TensorProto.INT64, [None])])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "loop_counter.onnx")

# Ops nobody implements, in two domains: the load must list all of them in one message.
graph = helper.make_graph(
    [helper.make_node("FrobnicateA", ["x"], ["a"], domain="test.parley"),
     helper.make_node("FrobnicateB", ["a"], ["b"], domain="test.parley"),
     helper.make_node("NoSuchOnnxOp", ["b"], ["y"])],
    "unsupported", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                helper.make_opsetid("test.parley", 1)])
onnx.save(model, os.path.join(HERE, "unsupported_ops.onnx"))  # the checker rejects unknown ops

# ConstantOfShape of constant shapes: [2^24, 2^24] floats (1 PiB: too large to fold at load, and
# a per-run allocation the session refuses) and [2^40, 2^40] (the byte size overflows int64).
for name, dims in (("constant_of_shape_1pib.onnx", [1 << 24, 1 << 24]),
                   ("constant_of_shape_overflow.onnx", [1 << 40, 1 << 40])):
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["shape"], value=helper.make_tensor(
            "shape_t", TensorProto.INT64, [2], dims)),
         helper.make_node("ConstantOfShape", ["shape"], ["y"])],
        "huge", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), name)

# A graph to run in parts (Session::run_part): a = x*x; b = a + s; y = -b; p, q = Split(x);
# r = Relu(q). Outputs y and r; a, b, p, q are computed values a part may fetch or be fed.
graph = helper.make_graph(
    [helper.make_node("Mul", ["x", "x"], ["a"]),
     helper.make_node("Add", ["a", "s"], ["b"]),
     helper.make_node("Neg", ["b"], ["y"]),
     helper.make_node("Split", ["x"], ["p", "q"], axis=0),
     helper.make_node("Relu", ["q"], ["r"])],
    "two_stage",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4]),
     helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4]),
     helper.make_tensor_value_info("r", TensorProto.FLOAT, [2])])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "two_stage.onnx")
