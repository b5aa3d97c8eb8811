// Matrix products: MatMul (NumPy semantics: 1-D promotion, broadcast batch dims) and Gemm, both
// float through kernels::gemm_f32 (OpenBLAS for large products, our row kernels for thin ones).
// A MatMul whose right operand is one matrix folds the left operand's batch dims into its rows,
// so a [B, T, K] x [K, N] product is a single GEMM.
//
// gemm_f32 must not be called from inside a parallel_for (OpenBLAS keeps its own threads), so
// batches run one after another on the calling thread.
//
// A constant right-hand matrix (an initializer or folded constant, as in every Linear layer) is
// packed once at load (packed_gemm.h); those products run on our own kernels, split over the
// session's pool, without OpenBLAS's per-call packing of the weights.
#include "kernels/gemm.h"
#include "kernels/onnx/ops_util.h"
#include "kernels/onnx/packed_gemm.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

class MatMul final : public OpKernel {
 public:
  explicit MatMul(const NodeInfo& node) {
    const Value* b = node.constant_input(1);
    if (b != nullptr && b->type == ElemType::kFloat && b->shape.rank() == 2 &&
        b->element_count() > 0) {
      packed_.pack(b->data<float>(), b->shape[0], b->shape[1], /*transposed=*/false);
    }
  }
  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.type != ElemType::kFloat || b.type != ElemType::kFloat) {
      ctx.fail("inputs must be float, got " + a.describe() + ", " + b.describe());
    }
    if (a.shape.rank() == 0 || b.shape.rank() == 0) ctx.fail("inputs must have rank >= 1");
    // Promote 1-D operands: a [K] -> [1, K], b [K] -> [K, 1] (the added dim is removed after).
    Shape sa = a.shape, sb = b.shape;
    const bool a_vector = sa.rank() == 1, b_vector = sb.rank() == 1;
    if (a_vector) sa = Shape{1, sa[0]};
    if (b_vector) sb = Shape{sb[0], 1};
    const int ra = sa.rank(), rb = sb.rank();
    const int64_t m = sa[ra - 2], k = sa[ra - 1], n = sb[rb - 1];
    if (sb[rb - 2] != k) ctx.fail("inner dims differ: " + a.describe() + " x " + b.describe());
    Shape batch_a, batch_b, batch;
    for (int d = 0; d < ra - 2; ++d) batch_a.push_back(sa[d]);
    for (int d = 0; d < rb - 2; ++d) batch_b.push_back(sb[d]);
    if (!broadcast_shapes({&batch_a, &batch_b}, &batch)) {
      ctx.fail("batch dims do not broadcast: " + a.describe() + " x " + b.describe());
    }
    Shape out_shape = batch;
    if (!a_vector) out_shape.push_back(m);
    if (!b_vector) out_shape.push_back(n);
    Value& y = ctx.allocate_output(0, ElemType::kFloat, out_shape);
    float* py = y.mutable_data<float>();
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    if (y.element_count() == 0) return;
    if (k == 0) {
      std::fill(py, py + y.element_count(), 0.0f);
      return;
    }
    if (batch_b.element_count() == 1) {
      // One right-hand matrix: every batch of a stacks into rows. a's batch may still be
      // broadcast against b's size-1 dims, which only changes the output shape.
      const int64_t rows = batch_a.element_count() * m;
      if (rows * n == y.element_count() && !packed_.empty() && packed_.k() == k &&
          packed_.n() == n && b.shape.rank() == 2) {
        packed_gemm({pa, k, 1}, rows, packed_, {py, n, 1}, nullptr, false, &ctx.pool());
        return;
      }
      if (rows * n == y.element_count()) {
        kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::No, rows, n, k, 1.0f, pa, k,
                          pb, n, 0.0f, py, n);
        return;
      }
    }
    BroadcastPlan<3> plan;
    auto scaled = [](std::array<int64_t, kMaxRank> s, int64_t f) {
      for (auto& v : s) v *= f;
      return s;
    };
    plan.set_dims(batch, {scaled(contiguous_strides(batch), m * n),
                          scaled(broadcast_strides(batch_a, batch), m * k),
                          scaled(broadcast_strides(batch_b, batch), k * n)});
    plan.for_rows(0, plan.row_count(), [&](const int64_t* off, int64_t count, const int64_t* in) {
      for (int64_t i = 0; i < count; ++i) {
        kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::No, m, n, k, 1.0f,
                          pa + off[1] + i * in[1], k, pb + off[2] + i * in[2], n, 0.0f,
                          py + off[0] + i * in[0], n);
      }
    });
  }

 private:
  PackedMatrix packed_;  // constant B [k, n], or empty
};

class Gemm final : public OpKernel {
 public:
  explicit Gemm(const NodeInfo& node)
      : alpha_(node.attr_float("alpha", 1.0f)),
        beta_(node.attr_float("beta", 1.0f)),
        trans_a_(node.attr_int("transA", 0) != 0),
        trans_b_(node.attr_int("transB", 0) != 0) {
    const Value* b = node.constant_input(1);
    if (b != nullptr && b->type == ElemType::kFloat && b->shape.rank() == 2 &&
        b->element_count() > 0 && alpha_ == 1.0f) {
      packed_.pack(b->data<float>(), trans_b_ ? b->shape[1] : b->shape[0],
                   trans_b_ ? b->shape[0] : b->shape[1], trans_b_);
    }
  }

  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    const Value* c = ctx.input_or_null(2);
    if (a.type != ElemType::kFloat || b.type != ElemType::kFloat ||
        (c != nullptr && c->type != ElemType::kFloat)) {
      ctx.fail("inputs must be float");
    }
    if (a.shape.rank() != 2 || b.shape.rank() != 2) {
      ctx.fail("A and B must be 2-D, got " + a.describe() + ", " + b.describe());
    }
    const int64_t m = trans_a_ ? a.shape[1] : a.shape[0];
    const int64_t k = trans_a_ ? a.shape[0] : a.shape[1];
    const int64_t kb = trans_b_ ? b.shape[1] : b.shape[0];
    const int64_t n = trans_b_ ? b.shape[0] : b.shape[1];
    if (k != kb) ctx.fail("inner dims differ: " + a.describe() + ", " + b.describe());
    Value& y = ctx.allocate_output(0, ElemType::kFloat, Shape{m, n});
    float* py = y.mutable_data<float>();
    float beta = 0.0f;
    if (c != nullptr && beta_ != 0.0f) {
      Shape out;
      if (!broadcast_shapes({&c->shape, &y.shape}, &out) || !(out == y.shape)) {
        ctx.fail("C " + c->describe() + " does not broadcast to " + y.shape.to_string());
      }
      strided_copy(ctx.pool(), y.shape, c->raw, broadcast_strides(c->shape, y.shape), py,
                   contiguous_strides(y.shape), sizeof(float));
      beta = beta_;
    }
    if (m == 0 || n == 0) return;
    if (k == 0) {
      for (int64_t i = 0; i < m * n; ++i) py[i] = beta == 0.0f ? 0.0f : beta * py[i];
      return;
    }
    if (!packed_.empty() && packed_.k() == k && packed_.n() == n &&
        (beta == 0.0f || beta == 1.0f)) {
      const int64_t lda = a.shape[1];
      packed_gemm({a.data<float>(), trans_a_ ? 1 : lda, trans_a_ ? lda : 1}, m, packed_,
                  {py, n, 1}, nullptr, beta == 1.0f, &ctx.pool());
      return;
    }
    kernels::gemm_f32(trans_a_ ? kernels::Transpose::Yes : kernels::Transpose::No,
                      trans_b_ ? kernels::Transpose::Yes : kernels::Transpose::No, m, n, k, alpha_,
                      a.data<float>(), a.shape[1], b.data<float>(), b.shape[1], beta, py, n);
  }

 private:
  float alpha_, beta_;
  bool trans_a_, trans_b_;
  PackedMatrix packed_;  // constant op(B) [k, n] when alpha == 1, or empty
};

}  // namespace

void register_matmul_ops(OpRegistry& registry) {
  registry.add<MatMul>(kOnnxDomain, "MatMul", 1, kLatestOpset);
  registry.add<Gemm>(kOnnxDomain, "Gemm", 1, kLatestOpset);
}

}  // namespace parley::onnx
