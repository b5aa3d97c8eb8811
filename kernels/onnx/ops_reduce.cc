// Reductions over a set of axes (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare), ArgMax/ArgMin, and the
// row normalisations Softmax, LogSoftmax and Hardmax.
//
// Reductions view the input as [outer, reduced, inner] blocks after sorting the reduced axes:
// any set of axes becomes a walk over the kept index with a strided inner loop over the reduced
// ones. Float sums accumulate in double. Axes come from the `axes` attribute (ReduceSum from
// opset 13 and the others from opset 18 take them as input 1).
#include <cmath>
#include <limits>

#include "kernels/kernel_table.h"
#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

enum class Reduce { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

template <Reduce kind>
class ReduceOp final : public OpKernel {
 public:
  ReduceOp(const NodeInfo& node, int axes_input_since)
      : keepdims_(node.attr_int("keepdims", 1) != 0),
        noop_with_empty_axes_(node.attr_int("noop_with_empty_axes", 0) != 0),
        axes_from_input_(node.opset() >= axes_input_since),
        attr_axes_(node.attr_ints("axes")) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    bool reduced[kMaxRank] = {};
    int64_t n_axes = 0;
    const Value* axes = axes_from_input_ ? ctx.input_or_null(1) : nullptr;
    if (axes != nullptr) {
      n_axes = require_int_list(ctx, *axes, "axes");
      for (int i = 0; i < n_axes; ++i)
        reduced[normalize_axis(int_at(*axes, i), rank, ctx.node(), "axes")] = true;
    } else {
      n_axes = static_cast<int64_t>(attr_axes_.size());
      for (int64_t a : attr_axes_) reduced[normalize_axis(a, rank, ctx.node(), "axes")] = true;
    }
    if (n_axes == 0) {
      if (noop_with_empty_axes_ && axes_from_input_) {
        return ctx.alias_output(0, x, x.shape);
      }
      for (int d = 0; d < rank; ++d) reduced[d] = true;
    }
    Shape out_shape, kept_dims, red_dims;
    std::array<int64_t, kMaxRank> kept_strides{}, red_strides{};
    const auto cs = contiguous_strides(x.shape);
    for (int d = 0; d < rank; ++d) {
      if (reduced[d]) {
        if (keepdims_) out_shape.push_back(1);
        red_strides[red_dims.rank()] = cs[d];
        red_dims.push_back(x.shape[d]);
      } else {
        out_shape.push_back(x.shape[d]);
        kept_strides[kept_dims.rank()] = cs[d];
        kept_dims.push_back(x.shape[d]);
      }
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    const int64_t n_out = y.element_count();
    const int64_t n_red = red_dims.element_count();
    BroadcastPlan<1> red_plan;  // walk of the reduced axes from a kept position
    red_plan.set_dims(red_dims, {red_strides});
    BroadcastPlan<2> kept_plan;  // output index -> input offset of the kept axes
    kept_plan.set_dims(kept_dims, {contiguous_strides(kept_dims), kept_strides});
    const bool ok = visit_numeric(x.type, [&](auto tag) {
      using T = decltype(tag);
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
      const T* px = x.data<T>();
      T* py = y.mutable_data<T>();
      auto reduce_at = [&](int64_t base) -> T {
        Acc acc = init<Acc>();
        if (n_red == 0) return finish<T, Acc>(acc, 0);
        red_plan.for_rows(0, red_plan.row_count(),
                          [&](const int64_t* off, int64_t n, const int64_t* in) {
                            const T* p = px + base + off[0];
                            for (int64_t i = 0; i < n; ++i)
                              acc = step<Acc>(acc, static_cast<Acc>(p[i * in[0]]));
                          });
        return finish<T, Acc>(acc, n_red);
      };
      if (n_out == 0) return;
      ctx.pool().parallel_for(
          kept_plan.row_count(),
          [&](int64_t begin, int64_t end, int) {
            kept_plan.for_rows(begin, end, [&](const int64_t* off, int64_t n, const int64_t* in) {
              for (int64_t i = 0; i < n; ++i) py[off[0] + i] = reduce_at(off[1] + i * in[1]);
            });
          },
          std::max<int64_t>(1, 4096 / std::max<int64_t>(1, n_red * kept_plan.row_length())));
    });
    if (!ok) ctx.fail("unsupported type " + x.describe());
  }

 private:
  template <typename Acc>
  static Acc init() {
    if constexpr (kind == Reduce::Max) return std::numeric_limits<Acc>::lowest();
    if constexpr (kind == Reduce::Min) return std::numeric_limits<Acc>::max();
    if constexpr (kind == Reduce::Prod) return Acc{1};
    if constexpr (kind == Reduce::LogSumExp) {
      if constexpr (std::is_floating_point_v<Acc>) return -std::numeric_limits<Acc>::infinity();
      return std::numeric_limits<Acc>::lowest();
    }
    return Acc{0};
  }
  template <typename Acc>
  static Acc step(Acc acc, Acc v) {
    if constexpr (kind == Reduce::Max) return v > acc ? v : acc;
    if constexpr (kind == Reduce::Min) return v < acc ? v : acc;
    if constexpr (kind == Reduce::Prod) return acc * v;
    if constexpr (kind == Reduce::L1) return acc + (v < 0 ? -v : v);
    if constexpr (kind == Reduce::L2 || kind == Reduce::SumSquare) return acc + v * v;
    if constexpr (kind == Reduce::LogSumExp) {  // running log(sum(exp)) without overflow
      const double a = static_cast<double>(acc), b = static_cast<double>(v);
      const double m = std::max(a, b);
      if (std::isinf(m) && m < 0) return static_cast<Acc>(m);
      return static_cast<Acc>(m + std::log(std::exp(a - m) + std::exp(b - m)));
    }
    return acc + v;
  }
  template <typename T, typename Acc>
  static T finish(Acc acc, int64_t n) {
    if constexpr (kind == Reduce::Mean)
      return static_cast<T>(n == 0 ? acc : acc / static_cast<Acc>(n));
    if constexpr (kind == Reduce::L2) return static_cast<T>(std::sqrt(static_cast<double>(acc)));
    if constexpr (kind == Reduce::LogSum) return static_cast<T>(std::log(static_cast<double>(acc)));
    return static_cast<T>(acc);
  }

  bool keepdims_, noop_with_empty_axes_, axes_from_input_;
  std::vector<int64_t> attr_axes_;
};

template <Reduce kind>
void add_reduce(OpRegistry& registry, std::string_view op, int axes_input_since) {
  registry.add(kOnnxDomain, op, 1, kLatestOpset,
               [axes_input_since](const NodeInfo& node) -> std::unique_ptr<OpKernel> {
                 return std::make_unique<ReduceOp<kind>>(node, axes_input_since);
               });
}

template <bool is_max>
class ArgOp final : public OpKernel {
 public:
  explicit ArgOp(const NodeInfo& node)
      : axis_(node.attr_int("axis", 0)),
        keepdims_(node.attr_int("keepdims", 1) != 0),
        select_last_(node.attr_int("select_last_index", 0) != 0) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Shape out_shape;
    for (int d = 0; d < rank; ++d) {
      if (d != axis)
        out_shape.push_back(x.shape[d]);
      else if (keepdims_)
        out_shape.push_back(1);
    }
    Value& y = ctx.allocate_output(0, ElemType::kInt64, out_shape);
    const int64_t outer = x.shape.count(0, axis), dim = x.shape[axis],
                  inner = x.shape.count(axis + 1, rank);
    int64_t* py = y.mutable_data<int64_t>();
    const bool ok = visit_numeric(x.type, [&](auto tag) {
      using T = decltype(tag);
      const T* px = x.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          int64_t best = 0;
          for (int64_t j = 1; j < dim; ++j) {
            const T v = px[(o * dim + j) * inner + i], b = px[(o * dim + best) * inner + i];
            const bool better =
                is_max ? (select_last_ ? v >= b : v > b) : (select_last_ ? v <= b : v < b);
            if (better) best = j;
          }
          py[o * inner + i] = best;
        }
      }
    });
    if (!ok) ctx.fail("unsupported type " + x.describe());
  }

 private:
  int64_t axis_;
  bool keepdims_, select_last_;
};

enum class Norm { Softmax, LogSoftmax, Hardmax };

// Opset >= 13: over one axis. Opset < 13: input coerced to 2-D [count(0, axis), count(axis, r)].
template <Norm kind>
class SoftmaxOp final : public OpKernel {
 public:
  explicit SoftmaxOp(const NodeInfo& node)
      : axis_(node.attr_int("axis", node.opset() >= 13 ? -1 : 1)), legacy_(node.opset() < 13) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.type != ElemType::kFloat) ctx.fail("input must be float, got " + x.describe());
    const int rank = x.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int64_t outer = x.shape.count(0, axis);
    const int64_t dim = legacy_ ? x.shape.count(axis, rank) : x.shape[axis];
    const int64_t inner = legacy_ ? 1 : x.shape.count(axis + 1, rank);
    const float* px = x.data<float>();
    float* py = y.mutable_data<float>();
    if (dim == 0 || y.element_count() == 0) return;
    float* column = inner == 1
                        ? nullptr
                        : ctx.scratch<float>(static_cast<size_t>(dim * ctx.pool().thread_count()));
    const kernels::KernelTable& k = kernels::kernels();
    ctx.pool().parallel_for(
        outer * inner,
        [&](int64_t begin, int64_t end, int worker) {
          for (int64_t r = begin; r < end; ++r) {
            const int64_t o = r / inner, i = r % inner;
            const float* src = px + o * dim * inner + i;
            float* dst = py + o * dim * inner + i;
            float* row = inner == 1 ? dst : column + worker * dim;
            if (inner != 1) {
              for (int64_t j = 0; j < dim; ++j) row[j] = src[j * inner];
            } else if (kind != Norm::Hardmax) {
              std::memcpy(row, src, static_cast<size_t>(dim) * sizeof(float));
            }
            if constexpr (kind == Norm::Softmax) {
              k.softmax(dim, row, row);
            } else if constexpr (kind == Norm::LogSoftmax) {
              const float m = k.max(dim, row);
              double sum = 0;
              for (int64_t j = 0; j < dim; ++j) sum += std::exp(static_cast<double>(row[j]) - m);
              const float log_sum = static_cast<float>(std::log(sum)) + m;
              for (int64_t j = 0; j < dim; ++j) row[j] -= log_sum;
            } else {
              const float* in_row = inner == 1 ? src : row;
              int64_t best = 0;
              for (int64_t j = 1; j < dim; ++j) {
                if (in_row[j] > in_row[best]) best = j;
              }
              for (int64_t j = 0; j < dim; ++j) row[j] = j == best ? 1.0f : 0.0f;
            }
            if (inner != 1) {
              for (int64_t j = 0; j < dim; ++j) dst[j * inner] = row[j];
            }
          }
        },
        std::max<int64_t>(1, 8192 / dim));
  }

 private:
  int64_t axis_;
  bool legacy_;
};

}  // namespace

void register_reduce_ops(OpRegistry& registry) {
  add_reduce<Reduce::Sum>(registry, "ReduceSum", 13);
  add_reduce<Reduce::Mean>(registry, "ReduceMean", 18);
  add_reduce<Reduce::Max>(registry, "ReduceMax", 18);
  add_reduce<Reduce::Min>(registry, "ReduceMin", 18);
  add_reduce<Reduce::Prod>(registry, "ReduceProd", 18);
  add_reduce<Reduce::L1>(registry, "ReduceL1", 18);
  add_reduce<Reduce::L2>(registry, "ReduceL2", 18);
  add_reduce<Reduce::LogSum>(registry, "ReduceLogSum", 18);
  add_reduce<Reduce::LogSumExp>(registry, "ReduceLogSumExp", 18);
  add_reduce<Reduce::SumSquare>(registry, "ReduceSumSquare", 18);
  registry.add<ArgOp<true>>(kOnnxDomain, "ArgMax", 1, kLatestOpset);
  registry.add<ArgOp<false>>(kOnnxDomain, "ArgMin", 1, kLatestOpset);
  registry.add<SoftmaxOp<Norm::Softmax>>(kOnnxDomain, "Softmax", 1, kLatestOpset);
  registry.add<SoftmaxOp<Norm::LogSoftmax>>(kOnnxDomain, "LogSoftmax", 1, kLatestOpset);
  registry.add<SoftmaxOp<Norm::Hardmax>>(kOnnxDomain, "Hardmax", 1, kLatestOpset);
}

}  // namespace parley::onnx
