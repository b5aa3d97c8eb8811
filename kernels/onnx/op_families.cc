// The list of built-in op families: one declaration and one call per family. A new family is a
// new kernels/onnx/ops_<family>.cc defining register_<family>_ops plus one line in each list.
#include "kernels/onnx/op_kernel.h"

namespace parley::onnx {

void register_control_flow_ops(OpRegistry& registry);  // ops_control_flow.cc: Constant, If, Loop, Scan
void register_unary_ops(OpRegistry& registry);    // ops_unary.cc: math and activations
void register_binary_ops(OpRegistry& registry);   // ops_binary.cc: arithmetic, compare, logic, Where
void register_shape_ops(OpRegistry& registry);    // ops_shape.cc: Shape, Reshape, Squeeze, Cast, ...
void register_layout_ops(OpRegistry& registry);   // ops_layout.cc: Concat, Split, Slice, Pad, ...
void register_gather_ops(OpRegistry& registry);   // ops_gather.cc: Gather*, Scatter*, CumSum
void register_reduce_ops(OpRegistry& registry);   // ops_reduce.cc: Reduce*, ArgMax, Softmax
void register_matmul_ops(OpRegistry& registry);   // ops_matmul.cc: MatMul, Gemm
void register_conv_ops(OpRegistry& registry);     // ops_conv.cc: Conv, ConvTranspose
void register_rnn_ops(OpRegistry& registry);      // ops_rnn.cc: LSTM, GRU, RNN
void register_random_ops(OpRegistry& registry);   // ops_random.cc: RandomNormal(Like), RandomUniform(Like)
void register_quant_ops(OpRegistry& registry);    // ops_quant.cc: (De)QuantizeLinear, *Integer
void register_norm_ops(OpRegistry& registry);     // ops_norm.cc: Layer/Batch/InstanceNormalization
void register_pool_ops(OpRegistry& registry);     // ops_pool.cc: Max/AveragePool, Global*Pool
void register_misc_ops(OpRegistry& registry);     // ops_misc.cc: Trilu, OneHot, TopK, Dropout, ...

void register_builtin_ops(OpRegistry& registry) {
  register_control_flow_ops(registry);
  register_unary_ops(registry);
  register_binary_ops(registry);
  register_shape_ops(registry);
  register_layout_ops(registry);
  register_gather_ops(registry);
  register_reduce_ops(registry);
  register_matmul_ops(registry);
  register_conv_ops(registry);
  register_rnn_ops(registry);
  register_random_ops(registry);
  register_quant_ops(registry);
  register_norm_ops(registry);
  register_pool_ops(registry);
  register_misc_ops(registry);
}

}  // namespace parley::onnx
