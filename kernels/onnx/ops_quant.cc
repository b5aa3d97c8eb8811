// 8-bit quantization ops as sherpa-onnx's int8 models use them: QuantizeLinear,
// DequantizeLinear (per tensor or per axis), DynamicQuantizeLinear (uint8, per tensor),
// MatMulInteger and ConvInteger (int8/uint8 operands, int32 results, exact integer arithmetic).
//
// Rounding is half to even and results saturate to the 8-bit range, as ONNX specifies.
// MatMulInteger accumulates in int32 over rows split across the pool; ConvInteger lowers each
// (image, group) to an int32 GEMM over an im2col matrix of zero-point-corrected int16 values.
#include <cmath>
#include <limits>
#include <string>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

bool is_8bit(ElemType t) {
  return t == ElemType::kInt8 || t == ElemType::kUint8;
}

// Element i of an int8/uint8 tensor as int32.
inline int32_t q_at(const Value& v, int64_t i) {
  return v.type == ElemType::kInt8 ? v.data<int8_t>()[i] : v.data<uint8_t>()[i];
}

int32_t saturate(double v, ElemType t) {
  const double lo = t == ElemType::kInt8 ? -128.0 : 0.0, hi = t == ElemType::kInt8 ? 127.0 : 255.0;
  return static_cast<int32_t>(std::clamp(std::nearbyint(v), lo, hi));
}

// Per-tensor or per-axis parameters: index of the scale/zero point for element i.
struct AxisParams {
  int64_t count = 1, inner = 1;  // parameters along `axis`, elements after it
  int64_t param_index(int64_t i) const { return count == 1 ? 0 : (i / inner) % count; }
};

AxisParams axis_params(const OpContext& ctx, const Value& x, const Value& scale,
                       int64_t axis_attr) {
  AxisParams p;
  if (scale.shape.rank() == 0 || scale.element_count() == 1) return p;
  if (scale.shape.rank() != 1) ctx.fail("scale must be a scalar or 1-D, got " + scale.describe());
  const int axis = normalize_axis(axis_attr, x.shape.rank(), ctx.node());
  if (x.shape[axis] != scale.element_count()) {
    ctx.fail("scale " + scale.describe() + " does not match axis " + std::to_string(axis) + " of " +
             x.describe());
  }
  p.count = scale.element_count();
  p.inner = x.shape.count(axis + 1, x.shape.rank());
  return p;
}

class QuantizeLinear final : public OpKernel {
 public:
  explicit QuantizeLinear(const NodeInfo& node) : axis_(node.attr_int("axis", 1)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& scale = ctx.input(1);
    const Value* zp = ctx.input_or_null(2);
    if (scale.type != ElemType::kFloat) ctx.fail("y_scale must be float");
    const ElemType out_type = zp != nullptr ? zp->type : ElemType::kUint8;
    if (!is_8bit(out_type)) ctx.fail("y_zero_point must be int8 or uint8");
    if (x.type != ElemType::kFloat && x.type != ElemType::kInt32)
      ctx.fail("x must be float or int32");
    const AxisParams p = axis_params(ctx, x, scale, axis_);
    if (zp != nullptr && zp->element_count() != scale.element_count())
      ctx.fail("y_zero_point and y_scale differ in size");
    Value& y = ctx.allocate_output(0, out_type, x.shape);
    const float* ps = scale.data<float>();
    for (int64_t i = 0; i < x.element_count(); ++i) {
      const int64_t k = p.param_index(i);
      const float v = static_cast<float>(numeric_at(x, i)) / ps[k];  // in float, as ONNX does
      const int32_t q = saturate(std::nearbyint(v) + (zp != nullptr ? q_at(*zp, k) : 0), out_type);
      if (out_type == ElemType::kInt8)
        y.mutable_data<int8_t>()[i] = static_cast<int8_t>(q);
      else
        y.mutable_data<uint8_t>()[i] = static_cast<uint8_t>(q);
    }
  }

 private:
  int64_t axis_;
};

class DequantizeLinear final : public OpKernel {
 public:
  explicit DequantizeLinear(const NodeInfo& node) : axis_(node.attr_int("axis", 1)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& scale = ctx.input(1);
    const Value* zp = ctx.input_or_null(2);
    if (scale.type != ElemType::kFloat) ctx.fail("x_scale must be float");
    if (!is_8bit(x.type) && x.type != ElemType::kInt32) ctx.fail("x must be int8, uint8 or int32");
    if (zp != nullptr && (zp->type != x.type || zp->element_count() != scale.element_count())) {
      ctx.fail("x_zero_point must match x's type and x_scale's size");
    }
    const AxisParams p = axis_params(ctx, x, scale, axis_);
    Value& y = ctx.allocate_output(0, ElemType::kFloat, x.shape);
    float* py = y.mutable_data<float>();
    const float* ps = scale.data<float>();
    for (int64_t i = 0; i < x.element_count(); ++i) {
      const int64_t k = p.param_index(i);
      const int64_t xi = x.type == ElemType::kInt32 ? x.data<int32_t>()[i] : q_at(x, i);
      const int64_t z =
          zp == nullptr ? 0
                        : (zp->type == ElemType::kInt32 ? zp->data<int32_t>()[k] : q_at(*zp, k));
      py[i] = static_cast<float>(xi - z) * ps[k];
    }
  }

 private:
  int64_t axis_;
};

class DynamicQuantizeLinear final : public OpKernel {
 public:
  explicit DynamicQuantizeLinear(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.type != ElemType::kFloat) ctx.fail("x must be float, got " + x.describe());
    const float* px = x.data<float>();
    const int64_t n = x.element_count();
    float lo = 0.0f, hi = 0.0f;  // the range always includes 0
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, px[i]);
      hi = std::max(hi, px[i]);
    }
    const float scale = (hi - lo) / 255.0f;
    const int32_t zero_point =
        scale == 0.0f ? 0 : saturate(std::nearbyint(-lo / scale), ElemType::kUint8);
    Value& y = ctx.allocate_output(0, ElemType::kUint8, x.shape);
    ctx.allocate_output(1, ElemType::kFloat, Shape{}).mutable_data<float>()[0] = scale;
    ctx.allocate_output(2, ElemType::kUint8, Shape{}).mutable_data<uint8_t>()[0] =
        static_cast<uint8_t>(zero_point);
    uint8_t* py = y.mutable_data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
      py[i] = scale == 0.0f ? static_cast<uint8_t>(zero_point)
                            : static_cast<uint8_t>(saturate(
                                  std::nearbyint(px[i] / scale) + zero_point, ElemType::kUint8));
    }
  }
};

// Zero point of row/column `i` (scalar or 1-D per row/column), 0 when absent.
int32_t zero_point_at(const Value* zp, int64_t i) {
  if (zp == nullptr) return 0;
  return zp->element_count() == 1 ? q_at(*zp, 0) : q_at(*zp, i);
}

class MatMulInteger final : public OpKernel {
 public:
  explicit MatMulInteger(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    const Value* a_zp = ctx.input_or_null(2);
    const Value* b_zp = ctx.input_or_null(3);
    if (!is_8bit(a.type) || !is_8bit(b.type)) ctx.fail("A and B must be int8 or uint8");
    if ((a_zp && a_zp->type != a.type) || (b_zp && b_zp->type != b.type))
      ctx.fail("zero point types must match A and B");
    if (a.shape.rank() < 1 || b.shape.rank() < 1) ctx.fail("A and B must have rank >= 1");
    Shape sa = a.shape, sb = b.shape;
    const bool a_vector = sa.rank() == 1, b_vector = sb.rank() == 1;
    if (a_vector) sa = Shape{1, sa[0]};
    if (b_vector) sb = Shape{sb[0], 1};
    const int ra = sa.rank(), rb = sb.rank();
    const int64_t m = sa[ra - 2], k = sa[ra - 1], n = sb[rb - 1];
    if (sb[rb - 2] != k) ctx.fail("inner dims differ: " + a.describe() + " x " + b.describe());
    if (a_zp && a_zp->element_count() != 1 && a_zp->element_count() != m)
      ctx.fail("a_zero_point must be scalar or [M]");
    if (b_zp && b_zp->element_count() != 1 && b_zp->element_count() != n)
      ctx.fail("b_zero_point must be scalar or [N]");
    Shape batch_a, batch_b, batch;
    for (int d = 0; d < ra - 2; ++d) batch_a.push_back(sa[d]);
    for (int d = 0; d < rb - 2; ++d) batch_b.push_back(sb[d]);
    if (!broadcast_shapes({&batch_a, &batch_b}, &batch)) ctx.fail("batch dims do not broadcast");
    Shape out_shape = batch;
    if (!a_vector) out_shape.push_back(m);
    if (!b_vector) out_shape.push_back(n);
    Value& y = ctx.allocate_output(0, ElemType::kInt32, out_shape);
    int32_t* py = y.mutable_data<int32_t>();
    // B with its zero point removed, as int16 [K, N] per batch matrix.
    const int64_t b_mats = batch_b.element_count();
    int16_t* bq = ctx.scratch<int16_t>(static_cast<size_t>(std::max<int64_t>(1, b_mats * k * n)));
    for (int64_t i = 0; i < b_mats * k * n; ++i)
      bq[i] = static_cast<int16_t>(q_at(b, i) - zero_point_at(b_zp, i % n));
    const auto a_strides = broadcast_strides(batch_a, batch);
    const auto b_strides = broadcast_strides(batch_b, batch);
    const int64_t batches = batch.element_count();
    ctx.pool().parallel_for(
        batches * m,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            const int64_t bi = r / m, row = r % m;
            int64_t a_mat = 0, b_mat = 0, rem = bi;
            for (int d = batch.rank() - 1; d >= 0; --d) {
              const int64_t idx = rem % batch[d];
              rem /= batch[d];
              a_mat += idx * a_strides[d];
              b_mat += idx * b_strides[d];
            }
            int32_t* out = py + r * n;
            std::fill(out, out + n, 0);
            const int32_t za = zero_point_at(a_zp, row);
            const int64_t a_off = (a_mat * m + row) * k;
            const int16_t* bm = bq + b_mat * k * n;
            for (int64_t kk = 0; kk < k; ++kk) {
              const int32_t av = q_at(a, a_off + kk) - za;
              if (av == 0) continue;
              const int16_t* brow = bm + kk * n;
              for (int64_t j = 0; j < n; ++j) out[j] += av * brow[j];
            }
          }
        },
        std::max<int64_t>(1, 4096 / std::max<int64_t>(1, k * n)));
  }
};

class ConvInteger final : public OpKernel {
 public:
  explicit ConvInteger(const NodeInfo& node)
      : auto_pad_(node.attr_string("auto_pad", "NOTSET")),
        group_(node.attr_int("group", 1)),
        strides_(node.attr_ints("strides")),
        dilations_(node.attr_ints("dilations")),
        pads_(node.attr_ints("pads")) {
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" &&
        auto_pad_ != "VALID") {
      node.fail("unsupported auto_pad '" + auto_pad_ + "'");
    }
    if (group_ < 1) node.fail("group must be >= 1");
  }

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& w = ctx.input(1);
    const Value* x_zp = ctx.input_or_null(2);
    const Value* w_zp = ctx.input_or_null(3);
    if (!is_8bit(x.type) || !is_8bit(w.type)) ctx.fail("x and w must be int8 or uint8");
    const int rank = x.shape.rank(), s = rank - 2;
    if (rank < 3 || rank > 5 || w.shape.rank() != rank)
      ctx.fail("x and w must be 3-D to 5-D of equal rank");
    if (x_zp && x_zp->element_count() != 1) ctx.fail("x_zero_point must be a scalar");
    const int64_t batch = x.shape[0], channels = x.shape[1], maps = w.shape[0];
    if (channels != w.shape[1] * group_ || maps % group_ != 0)
      ctx.fail("channel counts do not match the group count");
    if (w_zp && w_zp->element_count() != 1 && w_zp->element_count() != maps)
      ctx.fail("w_zero_point must be scalar or [M]");
    int64_t kernel[3], stride[3], dil[3], pb[3], in[3], out[3];
    Shape out_shape{batch, maps};
    for (int d = 0; d < s; ++d) {
      kernel[d] = w.shape[2 + d];
      stride[d] = strides_.empty() ? 1 : strides_[d];
      dil[d] = dilations_.empty() ? 1 : dilations_[d];
      pb[d] = pads_.empty() ? 0 : pads_[d];
      int64_t pe = pads_.empty() ? 0 : pads_[s + d];
      in[d] = x.shape[2 + d];
      const int64_t extent = (kernel[d] - 1) * dil[d] + 1;
      if (auto_pad_ == "VALID") {
        pb[d] = pe = 0;
      } else if (auto_pad_ != "NOTSET") {
        const int64_t o = (in[d] + stride[d] - 1) / stride[d];
        const int64_t total = std::max<int64_t>(0, (o - 1) * stride[d] + extent - in[d]);
        pb[d] = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        pe = total - pb[d];
      }
      if (stride[d] < 1 || dil[d] < 1) ctx.fail("strides and dilations must be >= 1");
      const int64_t padded = in[d] + pb[d] + pe;
      out[d] = padded < extent ? 0 : (padded - extent) / stride[d] + 1;
      out_shape.push_back(out[d]);
    }
    Value& y = ctx.allocate_output(0, ElemType::kInt32, out_shape);
    int32_t* py = y.mutable_data<int32_t>();
    const int64_t cg = channels / group_, mg = maps / group_;
    int64_t K = 1, in_size = 1, out_size = 1;
    for (int d = 0; d < s; ++d) {
      K *= kernel[d];
      in_size *= in[d];
      out_size *= out[d];
    }
    const int32_t zx = x_zp ? q_at(*x_zp, 0) : 0;
    int16_t* col =
        ctx.scratch<int16_t>(static_cast<size_t>(std::max<int64_t>(1, cg * K * out_size)));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t g = 0; g < group_; ++g) {
        // im2col of (x - zx); outside the input the padded value is zx, i.e. 0 after correction.
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t x_base = (n * channels + g * cg + c) * in_size;
          for (int64_t kidx = 0; kidx < K; ++kidx) {
            int64_t kc[3];
            for (int64_t rem = kidx, d = s - 1; d >= 0; --d) {
              kc[d] = rem % kernel[d];
              rem /= kernel[d];
            }
            int16_t* dst = col + (c * K + kidx) * out_size;
            for (int64_t o = 0; o < out_size; ++o) {
              int64_t offset = 0, rem = o, step = 1;
              bool inside = true;
              for (int d = s - 1; d >= 0; --d) {
                const int64_t oc = rem % out[d];
                rem /= out[d];
                const int64_t i = oc * stride[d] - pb[d] + kc[d] * dil[d];
                if (i < 0 || i >= in[d]) inside = false;
                offset += i * step;
                step *= in[d];
              }
              dst[o] = inside ? static_cast<int16_t>(q_at(x, x_base + offset) - zx) : int16_t{0};
            }
          }
        }
        ctx.pool().parallel_for(mg, [&](int64_t begin, int64_t end, int) {
          for (int64_t mi = begin; mi < end; ++mi) {
            const int64_t mo = g * mg + mi;
            const int32_t zw =
                w_zp == nullptr ? 0
                                : (w_zp->element_count() == 1 ? q_at(*w_zp, 0) : q_at(*w_zp, mo));
            int32_t* dst = py + (n * maps + mo) * out_size;
            std::fill(dst, dst + out_size, 0);
            for (int64_t kk = 0; kk < cg * K; ++kk) {
              const int32_t wv = q_at(w, mo * cg * K + kk) - zw;
              if (wv == 0) continue;
              const int16_t* src = col + kk * out_size;
              for (int64_t o = 0; o < out_size; ++o) dst[o] += wv * src[o];
            }
          }
        });
      }
    }
  }

 private:
  std::string auto_pad_;
  int64_t group_;
  std::vector<int64_t> strides_, dilations_, pads_;
};

}  // namespace

void register_quant_ops(OpRegistry& registry) {
  registry.add<QuantizeLinear>(kOnnxDomain, "QuantizeLinear", 10, kLatestOpset);
  registry.add<DequantizeLinear>(kOnnxDomain, "DequantizeLinear", 10, kLatestOpset);
  registry.add<DynamicQuantizeLinear>(kOnnxDomain, "DynamicQuantizeLinear", 11, kLatestOpset);
  registry.add<MatMulInteger>(kOnnxDomain, "MatMulInteger", 10, kLatestOpset);
  registry.add<ConvInteger>(kOnnxDomain, "ConvInteger", 10, kLatestOpset);
}

}  // namespace parley::onnx
