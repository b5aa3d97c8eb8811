#!/usr/bin/env python3
"""Generates the one-node models of tests/onnx/ops_behaviour_test.cc (no reference outputs: the
test computes its expectations from the operator spec). Run with /usr/bin/python3 (python3-onnx)."""
import math
import os

import numpy as np
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


def conv_weights(n, scale, phase):
    """Deterministic weights the test recomputes: scale * sin(0.37 i + phase), float32."""
    return [float(np.float32(scale * math.sin(0.37 * i + phase))) for i in range(n)]


def save_conv1d(name, channels, maps, kernel, group, dilation, pads, leaky):
    """X [1, channels, t] -> (LeakyRelu 0.1) -> Conv with constant W [maps, channels/group, kernel]
    and B: the long-output path (conv1d_direct.h) and the short ones, per input length."""
    w = helper.make_tensor("w", F, [maps, channels // group, kernel],
                           conv_weights(maps * channels // group * kernel, 0.5, 0.1))
    bias = helper.make_tensor("b", F, [maps], conv_weights(maps, 0.1, 1.0))
    nodes = []
    conv_in = "x"
    if leaky:
        nodes.append(helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.1))
        conv_in = "a"
    nodes.append(helper.make_node("Conv", [conv_in, "w", "b"], ["y"], group=group,
                                  dilations=[dilation], pads=pads, kernel_shape=[kernel]))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, [1, channels, "t"])],
                              [helper.make_tensor_value_info("y", F, [1, maps, "u"])],
                              initializer=[w, bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


save_conv1d("conv1d_leaky_dilated", channels=6, maps=10, kernel=5, group=1, dilation=3,
            pads=[6, 5], leaky=True)
save_conv1d("conv1d_grouped", channels=6, maps=8, kernel=3, group=2, dilation=1, pads=[1, 1],
            leaky=False)
save_conv1d("conv1d_depthwise", channels=6, maps=6, kernel=5, group=6, dilation=2, pads=[4, 3],
            leaky=False)

# One LeakyRelu read by two Convs (as Piper's exporter shares one among three residual blocks)
# and, in the second model, also by a ReduceMean (so it must stay a node of its own).
for name, extra_reader in (("conv1d_shared_leaky", False), ("conv1d_shared_leaky_and_mean", True)):
    w1 = helper.make_tensor("w1", F, [4, 3, 3], conv_weights(36, 0.5, 0.1))
    w2 = helper.make_tensor("w2", F, [4, 3, 5], conv_weights(60, 0.5, 2.0))
    nodes = [helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.2),
             helper.make_node("Conv", ["a", "w1"], ["c1"], pads=[1, 1], kernel_shape=[3]),
             helper.make_node("Conv", ["a", "w2"], ["c2"], pads=[4, 4], dilations=[2],
                              kernel_shape=[5])]
    if extra_reader:
        nodes += [helper.make_node("Add", ["c1", "c2"], ["s"]),
                  helper.make_node("ReduceMean", ["a"], ["r"], axes=[1], keepdims=1),
                  helper.make_node("Add", ["s", "r"], ["y"])]
    else:
        nodes.append(helper.make_node("Add", ["c1", "c2"], ["y"]))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, [1, 3, "t"])],
                              [helper.make_tensor_value_info("y", F, [1, 4, "t"])],
                              initializer=[w1, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))

# Depthwise 2-D Conv (as Zipformer's ConvNeXt): 4 channels, 3x5 kernel, dilations [2, 1],
# asymmetric pads, unit strides.
w = helper.make_tensor("w", F, [4, 1, 3, 5], conv_weights(60, 0.5, 0.3))
b = helper.make_tensor("b", F, [4], conv_weights(4, 0.1, 1.0))
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w", "b"], ["y"], group=4, dilations=[2, 1],
                      pads=[2, 1, 1, 3], kernel_shape=[3, 5])],
    "conv2d_depthwise", [helper.make_tensor_value_info("x", F, [1, 4, "h", "w"])],
    [helper.make_tensor_value_info("y", F, [1, 4, "oh", "ow"])], initializer=[w, b])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "conv2d_depthwise.onnx"))
