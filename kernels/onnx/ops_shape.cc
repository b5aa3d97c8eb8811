// Shape and type ops: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Identity (views of the
// input, no copy), ConstantOfShape, Range, NonZero, Cast and CastLike.
#include <cmath>
#include <limits>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

class ShapeOp final : public OpKernel {
 public:
  explicit ShapeOp(const NodeInfo& node)
      : start_(node.attr_int("start", 0)),
        end_(node.attr_int("end", kMaxRank + 1)),
        has_end_(node.has_attr("end")) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int64_t rank = x.shape.rank();
    auto clamp_axis = [rank](int64_t a) {
      return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
    };
    const int64_t begin = clamp_axis(start_);
    const int64_t end = has_end_ ? clamp_axis(end_) : rank;
    const int64_t n = std::max<int64_t>(0, end - begin);
    Value& y = ctx.allocate_output(0, ElemType::kInt64, Shape{n});
    for (int64_t i = 0; i < n; ++i)
      y.mutable_data<int64_t>()[i] = x.shape[static_cast<int>(begin + i)];
  }

 private:
  int64_t start_, end_;
  bool has_end_;
};

class Size final : public OpKernel {
 public:
  explicit Size(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    Value& y = ctx.allocate_output(0, ElemType::kInt64, Shape{});
    y.mutable_data<int64_t>()[0] = ctx.input(0).element_count();
  }
};

class Identity final : public OpKernel {
 public:
  explicit Identity(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    ctx.alias_output(0, x, x.shape);
  }
};

class Reshape final : public OpKernel {
 public:
  explicit Reshape(const NodeInfo& node) : allow_zero_(node.attr_int("allowzero", 0) != 0) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& shape = ctx.input(1);
    const int64_t n = require_int_list(ctx, shape, "shape");
    if (n > kMaxRank)
      ctx.fail("shape has rank " + std::to_string(n) + " > " + std::to_string(kMaxRank));
    Shape out;
    out.resize(static_cast<int>(n));
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < n; ++i) {
      int64_t d = int_at(shape, i);
      if (d == 0 && !allow_zero_) {
        if (i >= x.shape.rank())
          ctx.fail("shape[" + std::to_string(i) + "] = 0 has no input dim to copy");
        d = x.shape[i];
      }
      if (d == -1) {
        if (infer >= 0) ctx.fail("shape has more than one -1");
        infer = i;
        d = 1;
      } else if (d < 0) {
        ctx.fail("shape[" + std::to_string(i) + "] = " + std::to_string(d) + " is negative");
      }
      out[i] = d;
      known *= d;
    }
    if (infer >= 0) {
      if (known == 0 || x.element_count() % known != 0) {
        ctx.fail("cannot reshape " + x.describe() + " with an inferred dim");
      }
      out[infer] = x.element_count() / known;
    }
    if (out.element_count() != x.element_count()) {
      ctx.fail("cannot reshape " + x.describe() + " to " + out.to_string());
    }
    ctx.alias_output(0, x, out);
  }

 private:
  bool allow_zero_;
};

class Flatten final : public OpKernel {
 public:
  explicit Flatten(const NodeInfo& node) : axis_(node.attr_int("axis", 1)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    if (axis_ < -rank || axis_ > rank) ctx.fail("axis out of range for " + x.describe());
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    ctx.alias_output(0, x, Shape{x.shape.count(0, axis), x.shape.count(axis, rank)});
  }

 private:
  int64_t axis_;
};

// Squeeze / Unsqueeze: axes from an attribute (opset < 13) or input 1 (opset >= 13).
template <bool unsqueeze>
class SqueezeOp final : public OpKernel {
 public:
  explicit SqueezeOp(const NodeInfo& node)
      : axes_from_input_(node.opset() >= 13), attr_axes_(node.attr_ints("axes")) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    std::array<int64_t, kMaxRank> axes{};
    int count = 0;
    const Value* axes_value = axes_from_input_ ? ctx.input_or_null(1) : nullptr;
    const int64_t n = axes_value ? require_int_list(ctx, *axes_value, "axes")
                                 : static_cast<int64_t>(attr_axes_.size());
    if (n > kMaxRank) ctx.fail("too many axes");
    for (int i = 0; i < n; ++i) axes[count++] = axes_value ? int_at(*axes_value, i) : attr_axes_[i];
    const int in_rank = x.shape.rank();
    Shape out;
    if constexpr (unsqueeze) {
      const int out_rank = in_rank + count;
      if (out_rank > kMaxRank) ctx.fail("result rank exceeds " + std::to_string(kMaxRank));
      bool inserted[kMaxRank] = {};
      for (int i = 0; i < count; ++i) {
        const int a = normalize_axis(axes[i], out_rank, ctx.node(), "axes");
        if (inserted[a]) ctx.fail("duplicate axis in axes");
        inserted[a] = true;
      }
      int src = 0;
      for (int d = 0; d < out_rank; ++d) out.push_back(inserted[d] ? 1 : x.shape[src++]);
    } else {
      bool removed[kMaxRank] = {};
      if (count == 0) {
        for (int d = 0; d < in_rank; ++d) removed[d] = x.shape[d] == 1;
      }
      for (int i = 0; i < count; ++i) {
        const int a = normalize_axis(axes[i], in_rank, ctx.node(), "axes");
        if (x.shape[a] != 1)
          ctx.fail("cannot squeeze axis " + std::to_string(a) + " of " + x.describe());
        removed[a] = true;
      }
      for (int d = 0; d < in_rank; ++d) {
        if (!removed[d]) out.push_back(x.shape[d]);
      }
    }
    ctx.alias_output(0, x, out);
  }

 private:
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
};

// Reads a shape from a 1-D int64 tensor; fails on negative dims.
Shape shape_from_value(const OpContext& ctx, const Value& v) {
  const int64_t n = require_int_list(ctx, v, "shape");
  if (n > kMaxRank)
    ctx.fail("shape rank " + std::to_string(n) + " exceeds " + std::to_string(kMaxRank));
  Shape s;
  for (int i = 0; i < n; ++i) {
    const int64_t d = int_at(v, i);
    if (d < 0) ctx.fail("shape has a negative dim");
    s.push_back(d);
  }
  return s;
}

class ConstantOfShape final : public OpKernel {
 public:
  explicit ConstantOfShape(const NodeInfo& node) {
    const Value* v = node.attr_tensor("value");
    if (v != nullptr) {
      if (v->element_count() != 1) node.fail("value must hold one element");
      type_ = v->type;
      const size_t bytes = elem_size(v->type);
      if (bytes == 0 || bytes > sizeof(value_)) node.fail("unsupported value type");
      std::memcpy(value_, v->raw, bytes);
    }
  }
  void compute(OpContext& ctx) const override {
    const Shape shape = shape_from_value(ctx, ctx.input(0));
    Value& y = ctx.allocate_output(0, type_, shape);
    const size_t bytes = elem_size(type_);
    uint8_t* p = static_cast<uint8_t*>(y.raw);
    const int64_t n = y.element_count();
    if (std::all_of(value_, value_ + bytes, [](uint8_t b) { return b == 0; })) {
      if (n > 0) std::memset(p, 0, static_cast<size_t>(n) * bytes);
    } else if (bytes == 4) {
      uint32_t word;
      std::memcpy(&word, value_, 4);
      std::fill_n(reinterpret_cast<ops::Word32*>(p), n, word);
    } else if (bytes == 8) {
      uint64_t word;
      std::memcpy(&word, value_, 8);
      std::fill_n(reinterpret_cast<ops::Word64*>(p), n, word);
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(p + i * bytes, value_, bytes);
    }
  }

 private:
  ElemType type_ = ElemType::kFloat;
  alignas(8) uint8_t value_[8] = {};  // float 0 by default
};

class Range final : public OpKernel {
 public:
  explicit Range(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& start = ctx.input(0);
    const Value& limit = ctx.input(1);
    const Value& delta = ctx.input(2);
    if (start.type != limit.type || start.type != delta.type || start.element_count() != 1 ||
        limit.element_count() != 1 || delta.element_count() != 1) {
      ctx.fail("start, limit and delta must be scalars of one type");
    }
    const bool ok = visit_numeric(start.type, [&](auto tag) {
      using T = decltype(tag);
      const T s = start.data<T>()[0], l = limit.data<T>()[0], d = delta.data<T>()[0];
      if (d == 0) ctx.fail("delta is zero");
      const double count_f =
          std::ceil((static_cast<double>(l) - static_cast<double>(s)) / static_cast<double>(d));
      if (std::isnan(count_f) || count_f > 1e10) ctx.fail("range length is not finite or too long");
      const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count_f));
      Value& y = ctx.allocate_output(0, start.type, Shape{n});
      T* py = y.mutable_data<T>();
      for (int64_t i = 0; i < n; ++i) py[i] = static_cast<T>(s + static_cast<T>(i) * d);
    });
    if (!ok) ctx.fail("unsupported type " + start.describe());
  }
};

class NonZero final : public OpKernel {
 public:
  explicit NonZero(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int64_t n = x.element_count();
    const size_t bytes = elem_size(x.type);
    if (bytes == 0) ctx.fail("unsupported type " + x.describe());
    const uint8_t* p = static_cast<const uint8_t*>(x.raw);
    auto nonzero = [&](int64_t i) {
      if (x.type == ElemType::kFloat || x.type == ElemType::kDouble ||
          x.type == ElemType::kFloat16 || x.type == ElemType::kBFloat16) {
        return numeric_at(x, i) != 0.0;
      }
      for (size_t k = 0; k < bytes; ++k) {
        if (p[i * static_cast<int64_t>(bytes) + static_cast<int64_t>(k)] != 0) return true;
      }
      return false;
    };
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) count += nonzero(i) ? 1 : 0;
    const int rank = x.shape.rank();
    Value& y = ctx.allocate_output(0, ElemType::kInt64, Shape{std::max(rank, 1), count});
    int64_t* py = y.mutable_data<int64_t>();
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!nonzero(i)) continue;
      int64_t rem = i;
      for (int d = rank - 1; d >= 0; --d) {
        py[d * count + j] = rem % x.shape[d];
        rem /= x.shape[d];
      }
      if (rank == 0) py[j] = 0;
      ++j;
    }
  }
};

// Converts n elements between any two numeric types (float16/bfloat16/bool included).
template <typename S, typename D>
void convert_loop(const S* src, D* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<D, bool>) {
      dst[i] = src[i] != 0;
    } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
      // Out-of-range and NaN conversions are undefined in C++; saturate instead.
      const double v = static_cast<double>(src[i]);
      if (std::isnan(v)) {
        dst[i] = 0;
      } else if (v <= static_cast<double>(std::numeric_limits<D>::lowest())) {
        dst[i] = std::numeric_limits<D>::lowest();
      } else if (v >= static_cast<double>(std::numeric_limits<D>::max())) {
        dst[i] = std::numeric_limits<D>::max();
      } else {
        dst[i] = static_cast<D>(v);
      }
    } else {
      dst[i] = static_cast<D>(src[i]);
    }
  }
}

// Visits plain numeric types plus bool (float16/bfloat16 handled by the caller).
template <typename Fn>
bool visit_castable(ElemType t, Fn&& fn) {
  if (t == ElemType::kBool) {
    fn(bool{});
    return true;
  }
  return visit_numeric(t, fn);
}

void cast_value(const OpContext& ctx, const Value& x, Value& y) {
  const int64_t n = x.element_count();
  if (x.type == y.type) {
    std::memcpy(y.raw, x.raw, x.byte_size());
    return;
  }
  const bool half_in = x.type == ElemType::kFloat16 || x.type == ElemType::kBFloat16;
  const bool half_out = y.type == ElemType::kFloat16 || y.type == ElemType::kBFloat16;
  if (half_in || half_out) {
    // Through float (exact for every half value; float -> half rounds to nearest even).
    float* tmp =
        const_cast<OpContext&>(ctx).scratch<float>(static_cast<size_t>(std::max<int64_t>(n, 1)));
    if (half_in) {
      const uint16_t* p = x.data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) {
        tmp[i] = x.type == ElemType::kFloat16 ? kernels::fp16_to_fp32(p[i])
                                              : kernels::bf16_to_fp32(p[i]);
      }
    } else if (x.type == ElemType::kDouble && y.type == ElemType::kFloat16) {
      // Round once, from double, to avoid double rounding through float.
      const double* p = x.data<double>();
      uint16_t* q = y.mutable_data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) q[i] = kernels::fp32_to_fp16(static_cast<float>(p[i]));
      return;
    } else if (!visit_castable(x.type, [&](auto tag) {
                 using S = decltype(tag);
                 convert_loop(x.data<S>(), tmp, n);
               })) {
      ctx.fail("cannot cast from " + x.describe());
    }
    if (half_out) {
      uint16_t* q = y.mutable_data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) {
        q[i] = y.type == ElemType::kFloat16 ? kernels::fp32_to_fp16(tmp[i])
                                            : kernels::fp32_to_bf16(tmp[i]);
      }
    } else if (!visit_castable(y.type, [&](auto tag) {
                 using D = decltype(tag);
                 convert_loop(static_cast<const float*>(tmp), static_cast<D*>(y.raw), n);
               })) {
      ctx.fail(std::string("cannot cast to ") + std::string(elem_type_name(y.type)));
    }
    return;
  }
  bool ok = false;
  visit_castable(x.type, [&](auto src_tag) {
    using S = decltype(src_tag);
    ok = visit_castable(y.type, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      convert_loop(x.data<S>(), static_cast<D*>(y.raw), n);
    });
  });
  if (!ok) {
    ctx.fail("cannot cast " + x.describe() + " to " + std::string(elem_type_name(y.type)));
  }
}

class Cast final : public OpKernel {
 public:
  explicit Cast(const NodeInfo& node) : to_(static_cast<ElemType>(node.attr_int("to"))) {
    if (elem_size(to_) == 0)
      node.fail("unsupported target type " + std::to_string(node.attr_int("to")));
  }
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.type == to_) return ctx.alias_output(0, x, x.shape);
    cast_value(ctx, x, ctx.allocate_output(0, to_, x.shape));
  }

 private:
  ElemType to_;
};

class CastLike final : public OpKernel {
 public:
  explicit CastLike(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const ElemType to = ctx.input(1).type;
    if (x.type == to) return ctx.alias_output(0, x, x.shape);
    cast_value(ctx, x, ctx.allocate_output(0, to, x.shape));
  }
};

}  // namespace

void register_shape_ops(OpRegistry& registry) {
  registry.add<ShapeOp>(kOnnxDomain, "Shape", 1, kLatestOpset);
  registry.add<Size>(kOnnxDomain, "Size", 1, kLatestOpset);
  registry.add<Identity>(kOnnxDomain, "Identity", 1, kLatestOpset);
  registry.add<Reshape>(kOnnxDomain, "Reshape", 5, kLatestOpset);
  registry.add<Flatten>(kOnnxDomain, "Flatten", 1, kLatestOpset);
  registry.add<SqueezeOp<false>>(kOnnxDomain, "Squeeze", 1, kLatestOpset);
  registry.add<SqueezeOp<true>>(kOnnxDomain, "Unsqueeze", 1, kLatestOpset);
  registry.add<ConstantOfShape>(kOnnxDomain, "ConstantOfShape", 9, kLatestOpset);
  registry.add<Range>(kOnnxDomain, "Range", 11, kLatestOpset);
  registry.add<NonZero>(kOnnxDomain, "NonZero", 9, kLatestOpset);
  registry.add<Cast>(kOnnxDomain, "Cast", 6, kLatestOpset);
  registry.add<CastLike>(kOnnxDomain, "CastLike", 15, kLatestOpset);
}

}  // namespace parley::onnx
