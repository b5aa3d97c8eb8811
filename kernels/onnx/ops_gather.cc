// Indexing ops: Gather, GatherElements, GatherND, ScatterND, ScatterElements (and the older
// Scatter), CumSum. Indices are int32 or int64, negative ones count from the end; an index out of
// range fails with the offending value instead of reading or writing out of bounds.
#include <string>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

// Resolves a possibly negative index against dim; fails when out of range.
inline int64_t resolve_index(const OpContext& ctx, int64_t index, int64_t dim) {
  const int64_t i = index < 0 ? index + dim : index;
  if (i < 0 || i >= dim) {
    ctx.fail("index " + std::to_string(index) + " is out of range for a dim of " +
             std::to_string(dim));
  }
  return i;
}

void require_indices(const OpContext& ctx, const Value& v) {
  if (!is_int_index_type(v.type)) ctx.fail("indices must be int64 or int32, got " + v.describe());
}

class Gather final : public OpKernel {
 public:
  explicit Gather(const NodeInfo& node) : axis_(node.attr_int("axis", 0)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& indices = ctx.input(1);
    require_indices(ctx, indices);
    const int rank = x.shape.rank();
    if (rank == 0) ctx.fail("data must have rank >= 1");
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Shape out_shape;
    for (int d = 0; d < axis; ++d) out_shape.push_back(x.shape[d]);
    for (int d = 0; d < indices.shape.rank(); ++d) out_shape.push_back(indices.shape[d]);
    for (int d = axis + 1; d < rank; ++d) out_shape.push_back(x.shape[d]);
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    const int64_t outer = x.shape.count(0, axis);
    const int64_t dim = x.shape[axis];
    const int64_t inner_bytes =
        x.shape.count(axis + 1, rank) * static_cast<int64_t>(elem_size(x.type));
    const int64_t n_idx = indices.element_count();
    const auto* src = static_cast<const uint8_t*>(x.raw);
    auto* dst = static_cast<uint8_t*>(y.raw);
    for (int64_t j = 0; j < n_idx; ++j) resolve_index(ctx, int_at(indices, j), dim);  // validate
    ctx.pool().parallel_for(
        outer * n_idx,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            const int64_t o = r / n_idx, j = r % n_idx;
            int64_t i = int_at(indices, j);
            if (i < 0) i += dim;
            std::memcpy(dst + r * inner_bytes, src + (o * dim + i) * inner_bytes,
                        static_cast<size_t>(inner_bytes));
          }
        },
        std::max<int64_t>(1, 65536 / std::max<int64_t>(1, inner_bytes)));
  }

 private:
  int64_t axis_;
};

// Walks every index of `shape`, calling fn(flat_index, coords).
template <typename Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  const int64_t n = shape.element_count();
  std::array<int64_t, kMaxRank> coords{};
  for (int64_t i = 0; i < n; ++i) {
    fn(i, coords);
    for (int d = shape.rank() - 1; d >= 0; --d) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

class GatherElements final : public OpKernel {
 public:
  explicit GatherElements(const NodeInfo& node) : axis_(node.attr_int("axis", 0)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& indices = ctx.input(1);
    require_indices(ctx, indices);
    const int rank = x.shape.rank();
    if (indices.shape.rank() != rank) ctx.fail("indices rank differs from data rank");
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Value& y = ctx.allocate_output(0, x.type, indices.shape);
    const auto cs = contiguous_strides(x.shape);
    const size_t eb = elem_size(x.type);
    const auto* src = static_cast<const uint8_t*>(x.raw);
    auto* dst = static_cast<uint8_t*>(y.raw);
    for_each_index(indices.shape, [&](int64_t i, const std::array<int64_t, kMaxRank>& c) {
      int64_t offset = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t coord = d == axis ? resolve_index(ctx, int_at(indices, i), x.shape[d]) : c[d];
        if (coord >= x.shape[d]) ctx.fail("indices shape exceeds the data shape");
        offset += coord * cs[d];
      }
      std::memcpy(dst + i * static_cast<int64_t>(eb), src + offset * static_cast<int64_t>(eb), eb);
    });
  }

 private:
  int64_t axis_;
};

// ScatterElements (opset 11+) and Scatter (opset 9-10, same semantics); reduction from 16.
class ScatterElements final : public OpKernel {
 public:
  explicit ScatterElements(const NodeInfo& node) : axis_(node.attr_int("axis", 0)) {
    const std::string r = node.attr_string("reduction", "none");
    if (r != "none" && r != "add" && r != "mul") node.fail("unsupported reduction '" + r + "'");
    reduction_ = r;
  }
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& indices = ctx.input(1);
    const Value& updates = ctx.input(2);
    require_indices(ctx, indices);
    const int rank = x.shape.rank();
    if (indices.shape.rank() != rank || !(indices.shape == updates.shape) ||
        updates.type != x.type) {
      ctx.fail("indices and updates must share a shape of the data's rank and type");
    }
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    std::memcpy(y.raw, x.raw, x.byte_size());
    const auto cs = contiguous_strides(x.shape);
    auto offset_of = [&](int64_t i, const std::array<int64_t, kMaxRank>& c) {
      int64_t offset = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t coord = d == axis ? resolve_index(ctx, int_at(indices, i), x.shape[d]) : c[d];
        if (coord >= x.shape[d]) ctx.fail("indices shape exceeds the data shape");
        offset += coord * cs[d];
      }
      return offset;
    };
    if (reduction_ == "none") {
      const size_t eb = elem_size(x.type);
      for_each_index(indices.shape, [&](int64_t i, const std::array<int64_t, kMaxRank>& c) {
        std::memcpy(static_cast<uint8_t*>(y.raw) + offset_of(i, c) * static_cast<int64_t>(eb),
                    static_cast<const uint8_t*>(updates.raw) + i * static_cast<int64_t>(eb), eb);
      });
      return;
    }
    const bool add = reduction_ == "add";
    if (!visit_numeric(x.type, [&](auto tag) {
          using T = decltype(tag);
          T* py = y.mutable_data<T>();
          const T* pu = updates.data<T>();
          for_each_index(indices.shape, [&](int64_t i, const std::array<int64_t, kMaxRank>& c) {
            T& t = py[offset_of(i, c)];
            t = add ? static_cast<T>(t + pu[i]) : static_cast<T>(t * pu[i]);
          });
        })) {
      ctx.fail("unsupported type for a reduction " + x.describe());
    }
  }

 private:
  int64_t axis_;
  std::string reduction_;
};

// GatherND with batch_dims.
class GatherND final : public OpKernel {
 public:
  explicit GatherND(const NodeInfo& node) : batch_dims_(node.attr_int("batch_dims", 0)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& indices = ctx.input(1);
    if (indices.type != ElemType::kInt64)
      ctx.fail("indices must be int64, got " + indices.describe());
    const int r = x.shape.rank(), q = indices.shape.rank();
    const int b = static_cast<int>(batch_dims_);
    if (q < 1 || b < 0 || b >= std::min(r, q)) ctx.fail("invalid ranks or batch_dims");
    const int64_t k = indices.shape[q - 1];
    if (k < 1 || b + k > r) ctx.fail("indices' last dim is out of range for the data rank");
    for (int d = 0; d < b; ++d) {
      if (x.shape[d] != indices.shape[d]) ctx.fail("batch dims of data and indices differ");
    }
    Shape out_shape;
    for (int d = 0; d < q - 1; ++d) out_shape.push_back(indices.shape[d]);
    for (int d = b + static_cast<int>(k); d < r; ++d) out_shape.push_back(x.shape[d]);
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    const auto cs = contiguous_strides(x.shape);
    const int64_t slice_bytes =
        x.shape.count(b + static_cast<int>(k), r) * static_cast<int64_t>(elem_size(x.type));
    const int64_t batch = indices.shape.count(0, b);
    const int64_t per_batch = indices.shape.count(b, q - 1);
    const int64_t batch_stride = b > 0 ? cs[b - 1] : 0;
    const int64_t* pi = indices.data<int64_t>();
    for (int64_t bi = 0; bi < batch; ++bi) {
      for (int64_t j = 0; j < per_batch; ++j) {
        const int64_t* idx = pi + (bi * per_batch + j) * k;
        int64_t offset = bi * batch_stride;
        for (int64_t t = 0; t < k; ++t) {
          offset += resolve_index(ctx, idx[t], x.shape[b + static_cast<int>(t)]) * cs[b + t];
        }
        std::memcpy(
            static_cast<uint8_t*>(y.raw) + (bi * per_batch + j) * slice_bytes,
            static_cast<const uint8_t*>(x.raw) + offset * static_cast<int64_t>(elem_size(x.type)),
            static_cast<size_t>(slice_bytes));
      }
    }
  }

 private:
  int64_t batch_dims_;
};

class ScatterND final : public OpKernel {
 public:
  explicit ScatterND(const NodeInfo& node) {
    const std::string r = node.attr_string("reduction", "none");
    if (r != "none" && r != "add" && r != "mul") node.fail("unsupported reduction '" + r + "'");
    reduction_ = r;
  }
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& indices = ctx.input(1);
    const Value& updates = ctx.input(2);
    if (indices.type != ElemType::kInt64)
      ctx.fail("indices must be int64, got " + indices.describe());
    if (updates.type != x.type) ctx.fail("updates type differs from data");
    const int r = x.shape.rank(), q = indices.shape.rank();
    if (q < 1) ctx.fail("indices must have rank >= 1");
    const int64_t k = indices.shape[q - 1];
    if (k < 1 || k > r) ctx.fail("indices' last dim is out of range for the data rank");
    const int64_t n = indices.shape.count(0, q - 1);
    const int64_t slice = x.shape.count(static_cast<int>(k), r);
    if (updates.element_count() != n * slice)
      ctx.fail("updates shape does not match indices and data");
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    std::memcpy(y.raw, x.raw, x.byte_size());
    const auto cs = contiguous_strides(x.shape);
    const int64_t* pi = indices.data<int64_t>();
    const auto eb = static_cast<int64_t>(elem_size(x.type));
    auto offset_of = [&](int64_t j) {
      int64_t offset = 0;
      for (int64_t t = 0; t < k; ++t) {
        offset += resolve_index(ctx, pi[j * k + t], x.shape[static_cast<int>(t)]) * cs[t];
      }
      return offset;
    };
    if (reduction_ == "none") {
      for (int64_t j = 0; j < n; ++j) {
        std::memcpy(static_cast<uint8_t*>(y.raw) + offset_of(j) * eb,
                    static_cast<const uint8_t*>(updates.raw) + j * slice * eb,
                    static_cast<size_t>(slice * eb));
      }
      return;
    }
    const bool add = reduction_ == "add";
    if (!visit_numeric(x.type, [&](auto tag) {
          using T = decltype(tag);
          T* py = y.mutable_data<T>();
          const T* pu = updates.data<T>();
          for (int64_t j = 0; j < n; ++j) {
            T* dst = py + offset_of(j);
            for (int64_t e = 0; e < slice; ++e) {
              dst[e] = add ? static_cast<T>(dst[e] + pu[j * slice + e])
                           : static_cast<T>(dst[e] * pu[j * slice + e]);
            }
          }
        })) {
      ctx.fail("unsupported type for a reduction " + x.describe());
    }
  }

 private:
  std::string reduction_;
};

class CumSum final : public OpKernel {
 public:
  explicit CumSum(const NodeInfo& node)
      : exclusive_(node.attr_int("exclusive", 0) != 0),
        reverse_(node.attr_int("reverse", 0) != 0) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& axis_value = ctx.input(1);
    if (!is_int_index_type(axis_value.type) || axis_value.element_count() != 1) {
      ctx.fail("axis must be an int scalar");
    }
    const int rank = x.shape.rank();
    const int axis = normalize_axis(int_at(axis_value, 0), rank, ctx.node());
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int64_t outer = x.shape.count(0, axis), dim = x.shape[axis],
                  inner = x.shape.count(axis + 1, rank);
    if (!visit_numeric(x.type, [&](auto tag) {
          using T = decltype(tag);
          const T* px = x.data<T>();
          T* py = y.mutable_data<T>();
          for (int64_t o = 0; o < outer; ++o) {
            for (int64_t i = 0; i < inner; ++i) {
              T acc{};
              for (int64_t s = 0; s < dim; ++s) {
                const int64_t j = reverse_ ? dim - 1 - s : s;
                const int64_t at = (o * dim + j) * inner + i;
                if (exclusive_) {
                  py[at] = acc;
                  acc = static_cast<T>(acc + px[at]);
                } else {
                  acc = static_cast<T>(acc + px[at]);
                  py[at] = acc;
                }
              }
            }
          }
        })) {
      ctx.fail("unsupported type " + x.describe());
    }
  }

 private:
  bool exclusive_, reverse_;
};

}  // namespace

void register_gather_ops(OpRegistry& registry) {
  registry.add<Gather>(kOnnxDomain, "Gather", 1, kLatestOpset);
  registry.add<GatherElements>(kOnnxDomain, "GatherElements", 11, kLatestOpset);
  registry.add<GatherND>(kOnnxDomain, "GatherND", 11, kLatestOpset);
  registry.add<ScatterND>(kOnnxDomain, "ScatterND", 11, kLatestOpset);
  registry.add<ScatterElements>(kOnnxDomain, "ScatterElements", 11, kLatestOpset);
  registry.add<ScatterElements>(kOnnxDomain, "Scatter", 9, 10);
  registry.add<CumSum>(kOnnxDomain, "CumSum", 11, kLatestOpset);
}

}  // namespace parley::onnx
