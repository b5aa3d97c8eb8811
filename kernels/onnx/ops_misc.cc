// Assorted tensor ops: Trilu, EyeLike, OneHot, TopK, DepthToSpace, SpaceToDepth and Dropout
// (identity at inference; in training mode a mask drawn from the session's seeded generator).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

class Trilu final : public OpKernel {
 public:
  explicit Trilu(const NodeInfo& node) : upper_(node.attr_int("upper", 1) != 0) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value* kv = ctx.input_or_null(1);
    if (x.shape.rank() < 2) ctx.fail("input must have rank >= 2");
    if (kv != nullptr && (!is_int_index_type(kv->type) || kv->element_count() != 1))
      ctx.fail("k must be an int scalar");
    const int64_t k = kv != nullptr ? int_at(*kv, 0) : 0;
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int r = x.shape.rank();
    const int64_t rows = x.shape[r - 2], cols = x.shape[r - 1], mats = x.shape.count(0, r - 2);
    const auto eb = static_cast<int64_t>(elem_size(x.type));
    if (x.byte_size() == 0) return;  // empty: nothing to copy (raw may be null)
    std::memcpy(y.raw, x.raw, x.byte_size());
    auto* p = static_cast<uint8_t*>(y.raw);
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          const bool keep = upper_ ? j - i >= k : j - i <= k;
          if (!keep) std::memset(p + ((m * rows + i) * cols + j) * eb, 0, static_cast<size_t>(eb));
        }
      }
    }
  }

 private:
  bool upper_;
};

class EyeLike final : public OpKernel {
 public:
  explicit EyeLike(const NodeInfo& node)
      : k_(node.attr_int("k", 0)),
        has_dtype_(node.has_attr("dtype")),
        dtype_(static_cast<ElemType>(node.attr_int("dtype", 1))) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.shape.rank() != 2) ctx.fail("input must be 2-D");
    const ElemType type = has_dtype_ ? dtype_ : x.type;
    Value& y = ctx.allocate_output(0, type, x.shape);
    std::memset(y.raw, 0, y.byte_size());
    const bool ok = type == ElemType::kBool || visit_numeric(type, [](auto) {});
    if (!ok) ctx.fail("unsupported dtype");
    for (int64_t i = 0; i < x.shape[0]; ++i) {
      const int64_t j = i + k_;
      if (j < 0 || j >= x.shape[1]) continue;
      const int64_t at = i * x.shape[1] + j;
      if (type == ElemType::kBool) {
        y.mutable_data<bool>()[at] = true;
      } else {
        visit_numeric(type, [&](auto tag) {
          using T = decltype(tag);
          y.mutable_data<T>()[at] = T{1};
        });
      }
    }
  }

 private:
  int64_t k_;
  bool has_dtype_;
  ElemType dtype_;
};

class OneHot final : public OpKernel {
 public:
  explicit OneHot(const NodeInfo& node) : axis_(node.attr_int("axis", -1)) {}
  void compute(OpContext& ctx) const override {
    const Value& indices = ctx.input(0);
    const Value& depth_v = ctx.input(1);
    const Value& values = ctx.input(2);
    if (depth_v.element_count() != 1 || values.element_count() != 2)
      ctx.fail("depth must be a scalar and values [off, on]");
    const auto depth = static_cast<int64_t>(numeric_at(depth_v, 0));
    if (depth < 0) ctx.fail("depth is negative");
    const int out_rank = indices.shape.rank() + 1;
    const int axis = normalize_axis(axis_, out_rank, ctx.node());
    Shape out_shape;
    for (int d = 0, src = 0; d < out_rank; ++d)
      out_shape.push_back(d == axis ? depth : indices.shape[src++]);
    Value& y = ctx.allocate_output(0, values.type, out_shape);
    const auto eb = static_cast<int64_t>(elem_size(values.type));
    const auto* off = static_cast<const uint8_t*>(values.raw);
    const uint8_t* on = off + eb;
    auto* p = static_cast<uint8_t*>(y.raw);
    const int64_t outer = indices.shape.count(0, axis),
                  inner = indices.shape.count(axis, indices.shape.rank());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t dd = 0; dd < depth; ++dd) {
        for (int64_t i = 0; i < inner; ++i) {
          auto idx = static_cast<int64_t>(numeric_at(indices, o * inner + i));
          if (idx < 0) idx += depth;
          std::memcpy(p + ((o * depth + dd) * inner + i) * eb, idx == dd ? on : off,
                      static_cast<size_t>(eb));
        }
      }
    }
  }

 private:
  int64_t axis_;
};

class TopK final : public OpKernel {
 public:
  explicit TopK(const NodeInfo& node)
      : axis_(node.attr_int("axis", -1)),
        largest_(node.attr_int("largest", 1) != 0),
        legacy_k_(node.opset() < 10 ? node.attr_int("k") : -1) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    int64_t k = legacy_k_;
    if (k < 0) {
      const Value& kv = ctx.input(1);
      if (!is_int_index_type(kv.type) || kv.element_count() != 1)
        ctx.fail("K must be a 1-element int64 tensor");
      k = int_at(kv, 0);
    }
    const int rank = x.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    const int64_t dim = x.shape[axis];
    if (k < 0 || k > dim)
      ctx.fail("K = " + std::to_string(k) + " is out of range for axis dim " + std::to_string(dim));
    Shape out_shape = x.shape;
    out_shape[axis] = k;
    Value& values = ctx.allocate_output(0, x.type, out_shape);
    int64_t* idx_out = ctx.allocate_output(1, ElemType::kInt64, out_shape).mutable_data<int64_t>();
    const int64_t outer = x.shape.count(0, axis), inner = x.shape.count(axis + 1, rank);
    int64_t* order = ctx.scratch<int64_t>(static_cast<size_t>(std::max<int64_t>(1, dim)));
    const bool ok = visit_numeric(x.type, [&](auto tag) {
      using T = decltype(tag);
      const T* px = x.data<T>();
      T* pv = values.mutable_data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t j) { return px[(o * dim + j) * inner + i]; };
          std::iota(order, order + dim, int64_t{0});
          // Ties keep the lower index first.
          std::partial_sort(order, order + k, order + dim, [&](int64_t a, int64_t b) {
            if (at(a) != at(b)) return largest_ ? at(a) > at(b) : at(a) < at(b);
            return a < b;
          });
          for (int64_t j = 0; j < k; ++j) {
            pv[(o * k + j) * inner + i] = at(order[j]);
            idx_out[(o * k + j) * inner + i] = order[j];
          }
        }
      }
    });
    if (!ok) ctx.fail("unsupported type " + x.describe());
  }

 private:
  int64_t axis_;
  bool largest_;
  int64_t legacy_k_;
};

// Copies x viewed as `dims` (row-major) into y in the axis order `perm`.
void permuted_copy(OpContext& ctx, const Value& x, const Shape& dims,
                   std::initializer_list<int> perm, Value& y) {
  const auto cs = contiguous_strides(dims);
  Shape out_dims;
  std::array<int64_t, kMaxRank> src{};
  int d = 0;
  for (int p : perm) {
    out_dims.push_back(dims[p]);
    src[d++] = cs[p];
  }
  strided_copy(ctx.pool(), out_dims, x.raw, src, y.raw, contiguous_strides(out_dims),
               elem_size(x.type));
}

class DepthToSpace final : public OpKernel {
 public:
  explicit DepthToSpace(const NodeInfo& node)
      : block_(node.attr_int("blocksize")), crd_(node.attr_string("mode", "DCR") == "CRD") {
    if (block_ < 1) node.fail("blocksize must be >= 1");
  }
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.shape.rank() != 4) ctx.fail("input must be 4-D");
    const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], b = block_;
    if (c % (b * b) != 0) ctx.fail("channels are not divisible by blocksize^2");
    Value& y = ctx.allocate_output(0, x.type, Shape{n, c / (b * b), h * b, w * b});
    if (crd_)
      permuted_copy(ctx, x, Shape{n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3}, y);
    else
      permuted_copy(ctx, x, Shape{n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2}, y);
  }

 private:
  int64_t block_;
  bool crd_;
};

class SpaceToDepth final : public OpKernel {
 public:
  explicit SpaceToDepth(const NodeInfo& node) : block_(node.attr_int("blocksize")) {
    if (block_ < 1) node.fail("blocksize must be >= 1");
  }
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.shape.rank() != 4) ctx.fail("input must be 4-D");
    const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], b = block_;
    if (h % b != 0 || w % b != 0) ctx.fail("spatial dims are not divisible by blocksize");
    Value& y = ctx.allocate_output(0, x.type, Shape{n, c * b * b, h / b, w / b});
    permuted_copy(ctx, x, Shape{n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, y);
  }

 private:
  int64_t block_;
};

class Dropout final : public OpKernel {
 public:
  explicit Dropout(const NodeInfo& node)
      : legacy_(node.opset() < 12),
        ratio_attr_(node.attr_float("ratio", 0.5f)),
        seed_(node.attr_int("seed", -1)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value* ratio_v = legacy_ ? nullptr : ctx.input_or_null(1);
    const Value* training_v = legacy_ ? nullptr : ctx.input_or_null(2);
    const bool training =
        training_v != nullptr && training_v->type == ElemType::kBool && training_v->data<bool>()[0];
    const double ratio = ratio_v != nullptr ? numeric_at(*ratio_v, 0) : ratio_attr_;
    bool* mask = ctx.output_count() > 1 && ctx.output_wanted(1)
                     ? ctx.allocate_output(1, ElemType::kBool, x.shape).mutable_data<bool>()
                     : nullptr;
    if (!training || ratio == 0.0) {
      if (mask != nullptr) std::fill(mask, mask + x.element_count(), true);
      return ctx.alias_output(0, x, x.shape);
    }
    if (x.type != ElemType::kFloat) ctx.fail("training-mode Dropout supports float input only");
    if (ratio < 0.0 || ratio >= 1.0) ctx.fail("ratio must be in [0, 1)");
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    uint64_t state = seed_ >= 0 ? static_cast<uint64_t>(seed_) : ctx.next_random_seed();
    const float scale = static_cast<float>(1.0 / (1.0 - ratio));
    for (int64_t i = 0; i < x.element_count(); ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;  // PCG-style LCG step
      const double u = static_cast<double>(state >> 11) * 0x1.0p-53;
      const bool keep = u >= ratio;
      if (mask != nullptr) mask[i] = keep;
      y.mutable_data<float>()[i] = keep ? x.data<float>()[i] * scale : 0.0f;
    }
  }

 private:
  bool legacy_;
  float ratio_attr_;
  int64_t seed_;
};

}  // namespace

void register_misc_ops(OpRegistry& registry) {
  registry.add<Trilu>(kOnnxDomain, "Trilu", 14, kLatestOpset);
  registry.add<EyeLike>(kOnnxDomain, "EyeLike", 9, kLatestOpset);
  registry.add<OneHot>(kOnnxDomain, "OneHot", 9, kLatestOpset);
  registry.add<TopK>(kOnnxDomain, "TopK", 1, kLatestOpset);
  registry.add<DepthToSpace>(kOnnxDomain, "DepthToSpace", 1, kLatestOpset);
  registry.add<SpaceToDepth>(kOnnxDomain, "SpaceToDepth", 1, kLatestOpset);
  registry.add<Dropout>(kOnnxDomain, "Dropout", 7, kLatestOpset);
}

}  // namespace parley::onnx
