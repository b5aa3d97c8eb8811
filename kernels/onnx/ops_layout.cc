// Data-movement ops that copy whole regions: Concat, Split, Slice, Transpose, Expand, Tile, Pad.
// All work on raw bytes by element size (every element type), through strided_copy
// (ops_util.h), which coalesces contiguous axes and splits rows across the pool.
#include <cmath>
#include <limits>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

class Concat final : public OpKernel {
 public:
  explicit Concat(const NodeInfo& node) : axis_(node.attr_int("axis")) {}
  void compute(OpContext& ctx) const override {
    const Value& first = ctx.input(0);
    const int rank = first.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    Shape out_shape = first.shape;
    out_shape[axis] = 0;
    for (int i = 0; i < ctx.input_count(); ++i) {
      const Value& v = ctx.input(i);
      bool same = v.type == first.type && v.shape.rank() == rank;
      for (int d = 0; same && d < rank; ++d) same = d == axis || v.shape[d] == first.shape[d];
      if (!same) ctx.fail("input " + v.describe() + " does not match " + first.describe());
      out_shape[axis] += v.shape[axis];
    }
    Value& out = ctx.allocate_output(0, first.type, out_shape);
    const size_t eb = elem_size(first.type);
    const auto out_strides = contiguous_strides(out_shape);
    int64_t offset = 0;
    for (int i = 0; i < ctx.input_count(); ++i) {
      const Value& v = ctx.input(i);
      if (v.element_count() == 0) continue;
      strided_copy(ctx.pool(), v.shape, v.raw, contiguous_strides(v.shape),
                   static_cast<uint8_t*>(out.raw) + offset * out_strides[axis] * eb, out_strides,
                   eb);
      offset += v.shape[axis];
    }
  }

 private:
  int64_t axis_;
};

class Split final : public OpKernel {
 public:
  explicit Split(const NodeInfo& node)
      : axis_(node.attr_int("axis", 0)),
        split_from_input_(node.opset() >= 13),
        attr_split_(node.attr_ints("split")),
        num_outputs_(node.attr_int("num_outputs", 0)) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    const int outputs = ctx.output_count();
    if (outputs < 1) ctx.fail("Split needs at least one output");
    const int64_t dim = x.shape[axis];
    const Value* split = split_from_input_ ? ctx.input_or_null(1) : nullptr;
    auto part = [&](int i) -> int64_t {
      if (split != nullptr) return int_at(*split, i);
      if (!attr_split_.empty()) return attr_split_[i];
      // Equal parts; with num_outputs (opset 18) the last may be smaller.
      const int64_t chunk = num_outputs_ > 0 ? (dim + outputs - 1) / outputs : dim / outputs;
      return std::min(chunk, dim - chunk * i);
    };
    if (split != nullptr && require_int_list(ctx, *split, "split") != outputs) {
      ctx.fail("split has " + std::to_string(split->element_count()) + " entries for " +
               std::to_string(outputs) + " outputs");
    }
    if (split == nullptr && !attr_split_.empty() &&
        static_cast<int>(attr_split_.size()) != outputs) {
      ctx.fail("split attribute length differs from the output count");
    }
    if (split == nullptr && attr_split_.empty() && num_outputs_ == 0 && dim % outputs != 0) {
      ctx.fail("axis dim " + std::to_string(dim) + " is not divisible by " +
               std::to_string(outputs));
    }
    int64_t total = 0;
    for (int i = 0; i < outputs; ++i) {
      if (part(i) < 0) ctx.fail("negative split size");
      total += part(i);
    }
    if (total != dim)
      ctx.fail("split sizes sum to " + std::to_string(total) + ", not " + std::to_string(dim));
    const size_t eb = elem_size(x.type);
    const auto in_strides = contiguous_strides(x.shape);
    int64_t offset = 0;
    for (int i = 0; i < outputs; ++i) {
      Shape s = x.shape;
      s[axis] = part(i);
      Value& y = ctx.allocate_output(i, x.type, s);
      if (y.element_count() > 0) {
        strided_copy(ctx.pool(), s,
                     static_cast<const uint8_t*>(x.raw) + offset * in_strides[axis] * eb,
                     in_strides, y.raw, contiguous_strides(s), eb);
      }
      offset += part(i);
    }
  }

 private:
  int64_t axis_;
  bool split_from_input_;
  std::vector<int64_t> attr_split_;
  int64_t num_outputs_;
};

class Slice final : public OpKernel {
 public:
  explicit Slice(const NodeInfo& node)
      : from_inputs_(node.opset() >= 10),
        attr_starts_(node.attr_ints("starts")),
        attr_ends_(node.attr_ints("ends")),
        attr_axes_(node.attr_ints("axes")) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    const Value* starts = from_inputs_ ? &ctx.input(1) : nullptr;
    const Value* ends = from_inputs_ ? &ctx.input(2) : nullptr;
    const Value* axes = from_inputs_ ? ctx.input_or_null(3) : nullptr;
    const Value* steps = from_inputs_ ? ctx.input_or_null(4) : nullptr;
    const int64_t n = starts ? require_int_list(ctx, *starts, "starts")
                             : static_cast<int64_t>(attr_starts_.size());
    if ((ends ? require_int_list(ctx, *ends, "ends") : static_cast<int64_t>(attr_ends_.size())) !=
            n ||
        (axes && require_int_list(ctx, *axes, "axes") != n) ||
        (!from_inputs_ && !attr_axes_.empty() && static_cast<int64_t>(attr_axes_.size()) != n) ||
        (steps && require_int_list(ctx, *steps, "steps") != n)) {
      ctx.fail("starts, ends, axes and steps must have the same length");
    }
    std::array<int64_t, kMaxRank> begin{}, step{};
    Shape out_shape = x.shape;
    for (int d = 0; d < rank; ++d) step[d] = 1;
    bool seen[kMaxRank] = {};
    for (int i = 0; i < n; ++i) {
      int64_t axis_raw = i;
      if (axes)
        axis_raw = int_at(*axes, i);
      else if (!attr_axes_.empty())
        axis_raw = attr_axes_[i];
      const int a = normalize_axis(axis_raw, rank, ctx.node(), "axes");
      if (seen[a]) ctx.fail("repeated axis in axes");
      seen[a] = true;
      const int64_t dim = x.shape[a];
      int64_t s = starts ? int_at(*starts, i) : attr_starts_[i];
      int64_t e = ends ? int_at(*ends, i) : attr_ends_[i];
      const int64_t st = steps ? int_at(*steps, i) : 1;
      if (st == 0) ctx.fail("step is zero");
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      int64_t len;
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        len = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        len = s > e ? (s - e + (-st) - 1) / (-st) : 0;
      }
      begin[a] = s;
      step[a] = st;
      out_shape[a] = len;
    }
    const auto cs = contiguous_strides(x.shape);
    std::array<int64_t, kMaxRank> src_strides{};
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) {
      src_strides[d] = cs[d] * step[d];
      offset += begin[d] * cs[d];
    }
    const size_t eb = elem_size(x.type);
    // A slice that is one contiguous run of the input becomes a view: no copy. That holds when
    // the axes after the last partial one are whole, the partial axis steps by 1 (or keeps one
    // element) and every axis before it keeps a single element.
    int partial = -1;
    for (int d = 0; d < rank; ++d) {
      if (out_shape[d] != x.shape[d] || begin[d] != 0 || step[d] != 1) partial = d;
    }
    bool contiguous = out_shape.element_count() > 0;
    for (int d = 0; d < partial; ++d) contiguous = contiguous && out_shape[d] == 1;
    if (partial >= 0) contiguous = contiguous && (step[partial] == 1 || out_shape[partial] == 1);
    if (contiguous) {
      const Value view{x.type, out_shape,
                       static_cast<uint8_t*>(x.raw) + offset * static_cast<int64_t>(eb)};
      return ctx.alias_output(0, view, out_shape);
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    if (y.element_count() == 0) return;
    strided_copy(ctx.pool(), out_shape,
                 static_cast<const uint8_t*>(x.raw) + offset * static_cast<int64_t>(eb),
                 src_strides, y.raw, contiguous_strides(out_shape), eb);
  }

 private:
  bool from_inputs_;
  std::vector<int64_t> attr_starts_, attr_ends_, attr_axes_;
};

class Transpose final : public OpKernel {
 public:
  explicit Transpose(const NodeInfo& node) : perm_(node.attr_ints("perm")) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    std::array<int, kMaxRank> perm{};
    if (perm_.empty()) {
      for (int d = 0; d < rank; ++d) perm[d] = rank - 1 - d;
    } else {
      if (static_cast<int>(perm_.size()) != rank)
        ctx.fail("perm length differs from the rank of " + x.describe());
      bool used[kMaxRank] = {};
      for (int d = 0; d < rank; ++d) {
        const int p = normalize_axis(perm_[d], rank, ctx.node(), "perm");
        if (used[p]) ctx.fail("perm repeats an axis");
        used[p] = true;
        perm[d] = p;
      }
    }
    Shape out_shape;
    std::array<int64_t, kMaxRank> src_strides{};
    const auto cs = contiguous_strides(x.shape);
    for (int d = 0; d < rank; ++d) {
      out_shape.push_back(x.shape[perm[d]]);
      src_strides[d] = cs[perm[d]];
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    if (y.element_count() == 0) return;
    strided_copy(ctx.pool(), out_shape, x.raw, src_strides, y.raw, contiguous_strides(out_shape),
                 elem_size(x.type));
  }

 private:
  std::vector<int64_t> perm_;
};

class Expand final : public OpKernel {
 public:
  explicit Expand(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& shape = ctx.input(1);
    const int64_t n = require_int_list(ctx, shape, "shape");
    if (n > kMaxRank) ctx.fail("shape rank exceeds " + std::to_string(kMaxRank));
    Shape target;
    for (int i = 0; i < n; ++i) target.push_back(int_at(shape, i));
    Shape out_shape;
    if (!broadcast_shapes({&x.shape, &target}, &out_shape)) {
      ctx.fail(x.describe() + " cannot expand to " + target.to_string());
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    if (y.element_count() == 0) return;
    strided_copy(ctx.pool(), out_shape, x.raw, broadcast_strides(x.shape, out_shape), y.raw,
                 contiguous_strides(out_shape), elem_size(x.type));
  }
};

class Tile final : public OpKernel {
 public:
  explicit Tile(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& repeats = ctx.input(1);
    const int rank = x.shape.rank();
    if (require_int_list(ctx, repeats, "repeats") != rank)
      ctx.fail("repeats length differs from the rank");
    Shape out_shape = x.shape;
    for (int d = 0; d < rank; ++d) {
      const int64_t r = int_at(repeats, d);
      if (r < 0) ctx.fail("negative repeat");
      out_shape[d] = x.shape[d] * r;
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    if (y.element_count() == 0) return;
    const size_t eb = elem_size(x.type);
    const auto cs = contiguous_strides(x.shape);
    if (2 * rank <= kMaxRank) {
      // Output viewed as [r0, d0, r1, d1, ...]: the source stride is 0 on every repeat axis.
      Shape dims;
      std::array<int64_t, kMaxRank> src{}, dst{};
      for (int d = 0; d < rank; ++d) {
        dims.push_back(int_at(repeats, d));
        dims.push_back(x.shape[d]);
        src[2 * d] = 0;
        src[2 * d + 1] = cs[d];
      }
      // Output strides: repeat axis r_d steps over one tile (d_d elements of that axis).
      int64_t acc = 1;
      for (int d = rank - 1; d >= 0; --d) {
        dst[2 * d + 1] = acc;
        dst[2 * d] = acc * x.shape[d];
        acc *= out_shape[d];
      }
      strided_copy(ctx.pool(), dims, x.raw, src, y.raw, dst, eb);
      return;
    }
    const auto out_cs = contiguous_strides(out_shape);
    const auto* s = static_cast<const uint8_t*>(x.raw);
    auto* o = static_cast<uint8_t*>(y.raw);
    for (int64_t i = 0; i < y.element_count(); ++i) {
      int64_t src_index = 0;
      for (int d = 0; d < rank; ++d) {
        src_index += ((i / out_cs[d]) % out_shape[d] % x.shape[d]) * cs[d];
      }
      std::memcpy(o + i * static_cast<int64_t>(eb), s + src_index * static_cast<int64_t>(eb), eb);
    }
  }
};

class Pad final : public OpKernel {
 public:
  enum class Mode { Constant, Reflect, Edge };
  explicit Pad(const NodeInfo& node)
      : from_inputs_(node.opset() >= 11),
        attr_pads_(node.attr_ints(node.opset() >= 2 ? "pads" : "paddings")),
        attr_value_(node.attr_float("value", 0.0f)) {
    const std::string mode = node.attr_string("mode", "constant");
    if (mode == "constant")
      mode_ = Mode::Constant;
    else if (mode == "reflect")
      mode_ = Mode::Reflect;
    else if (mode == "edge")
      mode_ = Mode::Edge;
    else
      node.fail("unsupported mode '" + mode + "'");
  }

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int rank = x.shape.rank();
    std::array<int64_t, kMaxRank> pad_begin{}, pad_end{};
    const Value* pads = from_inputs_ ? &ctx.input(1) : nullptr;
    const Value* axes = from_inputs_ ? ctx.input_or_null(3) : nullptr;
    const int64_t n_axes = axes ? require_int_list(ctx, *axes, "axes") : rank;
    const int64_t n_pads =
        pads ? require_int_list(ctx, *pads, "pads") : static_cast<int64_t>(attr_pads_.size());
    if (n_pads != 2 * n_axes) ctx.fail("pads must have 2 * " + std::to_string(n_axes) + " entries");
    for (int i = 0; i < n_axes; ++i) {
      const int a = axes ? normalize_axis(int_at(*axes, i), rank, ctx.node(), "axes") : i;
      pad_begin[a] = pads ? int_at(*pads, i) : attr_pads_[i];
      pad_end[a] = pads ? int_at(*pads, i + n_axes) : attr_pads_[i + n_axes];
    }
    Shape out_shape = x.shape;
    for (int d = 0; d < rank; ++d) {
      out_shape[d] = x.shape[d] + pad_begin[d] + pad_end[d];
      if (out_shape[d] < 0) ctx.fail("pads remove more than the whole axis");
      if (mode_ != Mode::Constant && x.shape[d] == 0 && out_shape[d] > 0) {
        ctx.fail("cannot reflect or edge-pad an empty axis");
      }
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    if (y.element_count() == 0) return;
    const size_t eb = elem_size(x.type);
    if (rank == 0) {
      std::memcpy(y.raw, x.raw, eb);
      return;
    }
    alignas(8) uint8_t fill[8] = {};
    const Value* value = from_inputs_ ? ctx.input_or_null(2) : nullptr;
    if (value != nullptr && value->element_count() > 0) {
      if (value->type != x.type) ctx.fail("constant_value type differs from the data type");
      std::memcpy(fill, value->raw, eb);
    } else if (!from_inputs_ && x.type == ElemType::kFloat) {
      std::memcpy(fill, &attr_value_, sizeof(float));
    }
    // Maps an output coordinate to a source coordinate, or -1 for the constant.
    auto source = [&](int d, int64_t o) -> int64_t {
      int64_t i = o - pad_begin[d];
      const int64_t dim = x.shape[d];
      if (i >= 0 && i < dim) return i;
      if (mode_ == Mode::Constant) return -1;
      if (mode_ == Mode::Edge) return std::clamp<int64_t>(i, 0, dim - 1);
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      i = ((i % period) + period) % period;
      return i < dim ? i : period - i;
    };
    const auto cs = contiguous_strides(x.shape);
    const int64_t row = out_shape[rank - 1];
    const int64_t rows = y.element_count() / row;
    const auto* src = static_cast<const uint8_t*>(x.raw);
    auto* dst = static_cast<uint8_t*>(y.raw);
    const auto eb64 = static_cast<int64_t>(eb);
    const bool zero_fill = std::all_of(fill, fill + eb, [](uint8_t b) { return b == 0; });
    // n copies of the constant at out.
    auto fill_elements = [&](uint8_t* out, int64_t n) {
      if (n <= 0) return;
      if (zero_fill) {
        std::memset(out, 0, static_cast<size_t>(n * eb64));
      } else if (eb == 4) {
        uint32_t word;
        std::memcpy(&word, fill, 4);
        std::fill_n(reinterpret_cast<Word32*>(out), n, word);
      } else {
        for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * eb64, fill, eb);
      }
    };
    ctx.pool().parallel_for(
        rows,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            int64_t rem = r, src_row = 0;
            bool constant_row = false;
            for (int d = rank - 2; d >= 0; --d) {
              const int64_t s = source(d, rem % out_shape[d]);
              rem /= out_shape[d];
              if (s < 0) constant_row = true;
              src_row += s * cs[d];
            }
            uint8_t* out = dst + r * row * eb64;
            if (constant_row) {
              fill_elements(out, row);
              continue;
            }
            // The interior [pad_begin, pad_begin + in) of the row is one contiguous copy.
            const int64_t lo =
                constant_row ? row : std::clamp<int64_t>(pad_begin[rank - 1], 0, row);
            const int64_t hi = constant_row ? row
                                            : std::clamp<int64_t>(
                                                  pad_begin[rank - 1] + x.shape[rank - 1], lo, row);
            if (mode_ == Mode::Constant) {  // constant borders, interior copy
              fill_elements(out, lo);
              if (hi > lo) {
                std::memcpy(out + lo * eb64, src + (src_row + lo - pad_begin[rank - 1]) * eb64,
                            static_cast<size_t>((hi - lo) * eb64));
              }
              fill_elements(out + hi * eb64, row - hi);
              continue;
            }
            for (int64_t o = 0; o < row; ++o) {
              if (o == lo && hi > lo) {
                std::memcpy(out + lo * eb64, src + (src_row + lo - pad_begin[rank - 1]) * eb64,
                            static_cast<size_t>((hi - lo) * eb64));
                o = hi - 1;
                continue;
              }
              const int64_t s = constant_row ? -1 : source(rank - 1, o);
              std::memcpy(out + o * eb64, s < 0 ? fill : src + (src_row + s) * eb64, eb);
            }
          }
        },
        row_grain(row));
  }

 private:
  bool from_inputs_;
  std::vector<int64_t> attr_pads_;
  float attr_value_;
  Mode mode_ = Mode::Constant;
};

}  // namespace

void register_layout_ops(OpRegistry& registry) {
  registry.add<Concat>(kOnnxDomain, "Concat", 4, kLatestOpset);
  registry.add<Split>(kOnnxDomain, "Split", 2, kLatestOpset);
  registry.add<Slice>(kOnnxDomain, "Slice", 1, kLatestOpset);
  registry.add<Transpose>(kOnnxDomain, "Transpose", 1, kLatestOpset);
  registry.add<Expand>(kOnnxDomain, "Expand", 8, kLatestOpset);
  registry.add<Tile>(kOnnxDomain, "Tile", 6, kLatestOpset);
  registry.add<Pad>(kOnnxDomain, "Pad", 2, kLatestOpset);
}

}  // namespace parley::onnx
