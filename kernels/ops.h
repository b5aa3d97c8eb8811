// Tensor-level operations on kernels::Tensor views: elementwise ops with NumPy broadcasting and
// arbitrary strides, reductions over an axis, dtype conversion, row normalisations, RoPE and
// attention over a KV cache. They validate shapes once per call and then run the active ISA's
// row kernels (kernel_table.h) over rows; they never allocate.
//
//   AlignedBuffer xb(2 * 3 * 4 * 4), bb(3 * 4), yb(2 * 3 * 4 * 4);
//   Tensor x = Tensor::contiguous(xb.data(), DType::F32, {2, 3, 4});
//   Tensor bias = Tensor::contiguous(bb.data(), DType::F32, {3, 1});
//   Tensor y = Tensor::contiguous(yb.data(), DType::F32, {2, 3, 4});
//   binary(BinaryOp::Add, x, bias, y);                 // y[i,j,k] = x[i,j,k] + bias[j,0]
//   softmax(y, y);                                     // over the last axis, in place
//   reduce(ReduceOp::Sum, x, /*axis=*/1, y.slice(1, 0, 1));   // keepdims-shaped output
//
// Contracts
//   * Dtypes: every op except convert() takes and produces F32 tensors (argmax writes I64 or
//     I32). Use convert() to move between dtypes.
//   * Shapes: a mismatch throws parley::Error whose message describes every tensor involved.
//   * Aliasing: an output may be the very same view as an input (in-place); partial overlap is
//     undefined.
//   * Threads: functions are reentrant; two calls may run at once on disjoint outputs. To split
//     one op across a ThreadPool, slice the outer axis and call the op per slice.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernels/kernel_table.h"
#include "kernels/tensor.h"

namespace parley::kernels {

// --- elementwise ---------------------------------------------------------------------------------

// out = a op b with NumPy broadcasting: shapes align at the innermost axis, a dim of 1 stretches.
// out's shape must be exactly the broadcast shape. Any strides (including 0).
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);

// out = op(x); same shapes, any strides.
void unary(UnaryOp op, const Tensor& x, const Tensor& out);

// --- reductions ----------------------------------------------------------------------------------

enum class ReduceOp { Sum, Mean, Max };

// Reduces x over `axis` (negative counts from the end). out has x's shape with that axis either
// set to 1 (keepdims) or removed. Sum/Mean accumulate in double; Max of an empty axis is -inf.
void reduce(ReduceOp op, const Tensor& x, int axis, const Tensor& out);

// First index of the maximum over `axis`; out (I64 or I32) shaped as for reduce(). An empty axis
// gives -1.
void argmax(const Tensor& x, int axis, const Tensor& out);

// --- conversion ----------------------------------------------------------------------------------

// dst = src converted element by element (same shape, any dtypes with to_float/from_float in the
// trait table, quantized ones included). Plain dtypes may have any strides; a quantized tensor's
// innermost axis is packed by definition. Values pass through float: integers beyond 2^24 round
// unless src and dst have the same dtype (then bytes are copied).
void convert(const Tensor& src, const Tensor& dst);

// --- normalisation over the last axis
// --------------------------------------------------------------

// Each row of the last axis: y = x / sqrt(mean(x^2) + eps) * weight. weight: null or F32 [n].
// x and out must have a contiguous innermost axis (rows may have any stride).
void rms_norm(const Tensor& x, const Tensor* weight, float eps, const Tensor& out);

// y = (x - mean) / sqrt(var + eps) * weight + bias; weight, bias: null or F32 [n].
void layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps,
                const Tensor& out);

// y = exp(x - max) / sum over each row of the last axis.
void softmax(const Tensor& x, const Tensor& out);

// --- rotary position embedding -------------------------------------------------------------------

enum class RopeLayout {
  Interleaved,  // rotates pairs (2i, 2i+1): GPT-J, llama.cpp's "normal" mode (LLaMA GGUFs)
  NeoX,         // rotates pairs (i, i + rotary_dims/2): GPT-NeoX, Qwen2, Phi-3, HF checkpoints
};

struct RopeConfig {
  int64_t rotary_dims = 0;     // leading dims of each head that rotate (even); 0 = all of head_dim
  float freq_base = 10000.0f;  // theta_i = position * freq_scale * freq_base^(-2i / rotary_dims)
  float freq_scale = 1.0f;     // linear position interpolation factor (1 = none)
  RopeLayout layout = RopeLayout::Interleaved;
};

// x, out: F32 [n_heads, head_dim] for one token at `position`. Dims past rotary_dims are copied.
// Angles are computed in double.
void rope(const Tensor& x, int64_t position, const RopeConfig& config, const Tensor& out);

// x, out: F32 [n_tokens, n_heads, head_dim]; token t is at positions[t].
void rope_tokens(const Tensor& x, std::span<const int64_t> positions, const RopeConfig& config,
                 const Tensor& out);

// --- attention over a KV cache
// -----------------------------------------------------------------------

// One query position attending to cache positions 0..position (inclusive, causal):
//   out[h] = softmax(scale * K[g] q[h]) · V[g],  g = h / (n_head / n_kv_head)  (grouped-query)
// q, out:            F32 [n_head, head_dim] (out may be the same view as q)
// k_cache, v_cache:  F32 or F16 [n_kv_head, n_ctx, head_dim]; any strides except the innermost
//                    (a cache stored [n_ctx, n_kv_head, head_dim] works through permute()).
// scores_scratch:    at least position + 1 floats; holds one row of scores at a time.
// scale:             defaults to 1 / sqrt(head_dim).
void attention_decode(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                      int64_t position, std::span<float> scores_scratch, const Tensor& out,
                      std::optional<float> scale = std::nullopt);

// Batched prefill: q, out F32 [n_tokens, n_head, head_dim]; token t is at first_position + t and
// attends to cache positions 0..first_position + t. The cache must already hold all the tokens.
// scores_scratch: at least first_position + n_tokens floats.
void attention_prefill(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                       int64_t first_position, std::span<float> scores_scratch, const Tensor& out,
                       std::optional<float> scale = std::nullopt);

}  // namespace parley::kernels
