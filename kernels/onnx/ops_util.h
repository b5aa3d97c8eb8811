// Helpers shared by the op family files (kernels/onnx/ops_*.cc): axis normalisation, reading
// integer inputs (shapes, axes, pads), dispatch over element types, NumPy broadcasting plans and
// strided N-D iteration. Internal to the op families; nothing here allocates on the heap.
//
//   const Value& a = ctx.input(0), & b = ctx.input(1);
//   Shape out_shape;
//   if (!broadcast_shapes({&a.shape, &b.shape}, &out_shape)) ctx.fail("shapes do not broadcast");
//   BroadcastPlan<3> plan;   // operands: output, a, b
//   plan.set_dims(out_shape, {contiguous_strides(out_shape), broadcast_strides(a.shape, out_shape),
//                             broadcast_strides(b.shape, out_shape)});
//   plan.for_rows(0, plan.row_count(), [&](const int64_t* offsets, int64_t n,
//                                          const int64_t* inner_strides) { ... });
//
// Offsets and strides are in elements. A BroadcastPlan coalesces adjacent axes that every operand
// walks contiguously, so rows are as long as the layouts allow.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "kernels/fp16.h"
#include "kernels/onnx/op_kernel.h"

namespace parley::onnx::ops {

// Axis in [-rank, rank) -> [0, rank). Fails naming the attribute otherwise.
// LeakyRelu of one float: `v >= 0 ? v : alpha * v`, written as max(v, 0) + alpha * min(v, 0) so
// that GCC vectorizes loops over it (max/min map to maxps/minps). The branchy form, and even
// `v * (v >= 0 ? 1 : alpha)`, stay scalar with a branch per element under the default
// -ftrapping-math — a mispredicted branch per sample on audio-like data (Piper's decoder spent
// 10% of its time there). Same value for every input, NaN and -0 included, except that a
// negative v whose product underflows gives +0 instead of -0.
inline float leaky_relu(float v, float alpha) {
  return std::max(v, 0.0f) + alpha * std::min(v, 0.0f);
}

inline int normalize_axis(int64_t axis, int rank, const NodeInfo& node,
                          std::string_view what = "axis") {
  if (axis < -rank || axis >= std::max(rank, 1)) {
    node.fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
              std::to_string(rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Element i of an integer tensor (int32 or int64), as int64.
inline int64_t int_at(const Value& v, int64_t i) {
  if (v.type == ElemType::kInt64) return v.data<int64_t>()[i];
  return v.data<int32_t>()[i];
}

inline bool is_int_index_type(ElemType t) {
  return t == ElemType::kInt64 || t == ElemType::kInt32;
}

// Fails unless v is an int32/int64 tensor of rank <= 1; returns its element count.
inline int64_t require_int_list(const OpContext& ctx, const Value& v, std::string_view what) {
  if (!is_int_index_type(v.type) || v.shape.rank() > 1) {
    ctx.fail(std::string(what) + " must be a 1-D int64/int32 tensor, got " + v.describe());
  }
  return v.element_count();
}

// Float value of element i of any numeric tensor (float16/bfloat16 included).
inline double numeric_at(const Value& v, int64_t i) {
  switch (v.type) {
    case ElemType::kFloat:
      return v.data<float>()[i];
    case ElemType::kDouble:
      return v.data<double>()[i];
    case ElemType::kFloat16:
      return kernels::fp16_to_fp32(v.data<uint16_t>()[i]);
    case ElemType::kBFloat16:
      return kernels::bf16_to_fp32(v.data<uint16_t>()[i]);
    case ElemType::kInt8:
      return v.data<int8_t>()[i];
    case ElemType::kUint8:
      return v.data<uint8_t>()[i];
    case ElemType::kInt16:
      return v.data<int16_t>()[i];
    case ElemType::kUint16:
      return v.data<uint16_t>()[i];
    case ElemType::kInt32:
      return v.data<int32_t>()[i];
    case ElemType::kInt64:
      return static_cast<double>(v.data<int64_t>()[i]);
    case ElemType::kUint32:
      return v.data<uint32_t>()[i];
    case ElemType::kUint64:
      return static_cast<double>(v.data<uint64_t>()[i]);
    case ElemType::kBool:
      return v.data<bool>()[i] ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

// Calls fn(T{}) with T the C++ type of a plain numeric element type (no float16/bool/string).
// Returns false when `type` is not one of them.
template <typename Fn>
bool visit_numeric(ElemType type, Fn&& fn) {
  switch (type) {
    case ElemType::kFloat:
      fn(float{});
      return true;
    case ElemType::kDouble:
      fn(double{});
      return true;
    case ElemType::kInt8:
      fn(int8_t{});
      return true;
    case ElemType::kUint8:
      fn(uint8_t{});
      return true;
    case ElemType::kInt16:
      fn(int16_t{});
      return true;
    case ElemType::kUint16:
      fn(uint16_t{});
      return true;
    case ElemType::kInt32:
      fn(int32_t{});
      return true;
    case ElemType::kInt64:
      fn(int64_t{});
      return true;
    case ElemType::kUint32:
      fn(uint32_t{});
      return true;
    case ElemType::kUint64:
      fn(uint64_t{});
      return true;
    default:
      return false;
  }
}

// Copies elements of `elem_bytes` bytes; specialised widths keep the copy loops tight.
inline void copy_elements(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t n,
                          size_t elem_bytes) {
  if (src_stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * elem_bytes);
    return;
  }
  const int64_t step = src_stride * static_cast<int64_t>(elem_bytes);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(dst + i * static_cast<int64_t>(elem_bytes), src + i * step, elem_bytes);
  }
}

// Row-major element strides of a shape.
inline std::array<int64_t, kMaxRank> contiguous_strides(const Shape& s) {
  std::array<int64_t, kMaxRank> strides{};
  int64_t acc = 1;
  for (int d = s.rank() - 1; d >= 0; --d) {
    strides[d] = acc;
    acc *= s[d];
  }
  return strides;
}

// NumPy broadcast of several shapes; false when they are incompatible.
inline bool broadcast_shapes(std::initializer_list<const Shape*> shapes, Shape* out_shape) {
  int rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->rank());
  Shape out;
  out.resize(rank);
  for (int d = 0; d < rank; ++d) {
    int64_t dim = 1;
    for (const Shape* s : shapes) {
      const int sd = d - (rank - s->rank());
      if (sd < 0) continue;
      const int64_t v = (*s)[sd];
      if (v == 1) continue;
      if (dim != 1 && dim != v) return false;
      dim = v;
    }
    out[d] = dim;
  }
  *out_shape = out;
  return true;
}

// Element strides of `s` walked along `out` (which s broadcasts to): 0 on stretched axes.
inline std::array<int64_t, kMaxRank> broadcast_strides(const Shape& s, const Shape& out) {
  std::array<int64_t, kMaxRank> strides{};
  const auto cs = contiguous_strides(s);
  for (int d = 0; d < out.rank(); ++d) {
    const int sd = d - (out.rank() - s.rank());
    strides[d] = (sd < 0 || s[sd] == 1) ? 0 : cs[sd];
  }
  return strides;
}

// A strided walk over an output of `rank` dims, with N operands each having its own element
// strides (0 on broadcast axes). The innermost axis is handed to the callback as one row.
template <int N>
class BroadcastPlan {
 public:
  // A plan from explicit dims and per-operand strides (transposes, slices, expands).
  void set_dims(const Shape& dims, const std::array<std::array<int64_t, kMaxRank>, N>& strides) {
    rank_ = 0;
    // Drop size-1 axes, then merge axes that every operand walks contiguously.
    for (int d = 0; d < dims.rank(); ++d) {
      if (dims[d] == 1) continue;
      if (rank_ > 0) {
        bool mergeable = true;
        for (int k = 0; k < N; ++k) {
          if (strides_[k][rank_ - 1] != strides[k][d] * dims[d]) mergeable = false;
        }
        if (mergeable) {
          dims_[rank_ - 1] *= dims[d];
          for (int k = 0; k < N; ++k) strides_[k][rank_ - 1] = strides[k][d];
          continue;
        }
      }
      dims_[rank_] = dims[d];
      for (int k = 0; k < N; ++k) strides_[k][rank_] = strides[k][d];
      ++rank_;
    }
    total_ = dims.element_count();
    if (rank_ == 0) {  // a single element
      dims_[0] = 1;
      for (int k = 0; k < N; ++k) strides_[k][0] = 0;
      rank_ = 1;
    }
  }

  int64_t row_length() const { return dims_[rank_ - 1]; }
  int64_t row_count() const { return row_length() == 0 ? 0 : total_ / row_length(); }

  // fn(const int64_t offsets[N], int64_t n, const int64_t inner_strides[N]) for rows
  // [row_begin, row_end), in order. Output row r starts at element r * row_length().
  template <typename Fn>
  void for_rows(int64_t row_begin, int64_t row_end, Fn&& fn) const {
    if (row_begin >= row_end) return;
    std::array<int64_t, kMaxRank> index{};
    int64_t offsets[N] = {};
    int64_t rem = row_begin;
    for (int d = rank_ - 2; d >= 0; --d) {
      index[d] = rem % dims_[d];
      rem /= dims_[d];
      for (int k = 0; k < N; ++k) offsets[k] += index[d] * strides_[k][d];
    }
    int64_t inner[N];
    for (int k = 0; k < N; ++k) inner[k] = strides_[k][rank_ - 1];
    for (int64_t r = row_begin; r < row_end; ++r) {
      fn(static_cast<const int64_t*>(offsets), dims_[rank_ - 1],
         static_cast<const int64_t*>(inner));
      for (int d = rank_ - 2; d >= 0; --d) {
        for (int k = 0; k < N; ++k) offsets[k] += strides_[k][d];
        if (++index[d] < dims_[d]) break;
        for (int k = 0; k < N; ++k) offsets[k] -= strides_[k][d] * dims_[d];
        index[d] = 0;
      }
    }
  }

 private:
  int rank_ = 1;
  int64_t total_ = 0;
  std::array<int64_t, kMaxRank> dims_{};
  std::array<std::array<int64_t, kMaxRank>, N> strides_{};
};

// Rows handed to one thread at least; keeps tiny ops on the calling thread.
inline int64_t row_grain(int64_t row_length, int64_t min_elements = 32768) {
  return std::max<int64_t>(1, min_elements / std::max<int64_t>(1, row_length));
}

// Element-sized words that may alias any element type (copies move bits, not values).
using Word32 = uint32_t __attribute__((may_alias));
using Word64 = uint64_t __attribute__((may_alias));

// dst[i * dst_stride] = src[i * src_stride] for i < n (elements of one machine word).
template <typename T>
inline void strided_copy_row(const T* src, int64_t src_stride, T* dst, int64_t dst_stride,
                             int64_t n) {
  if (dst_stride == 1) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * src_stride];
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i * dst_stride] = src[i * src_stride];
  }
}

// dst[index] = src[index] over `dims`, each side with its own element strides (dst usually
// contiguous). Works for any element size; rows are split across the pool.
inline void strided_copy(kernels::ThreadPool& pool, const Shape& dims, const void* src,
                         const std::array<int64_t, kMaxRank>& src_strides, void* dst,
                         const std::array<int64_t, kMaxRank>& dst_strides, size_t elem_bytes) {
  BroadcastPlan<2> plan;
  plan.set_dims(dims, {dst_strides, src_strides});
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  const auto eb = static_cast<int64_t>(elem_bytes);
  pool.parallel_for(
      plan.row_count(),
      [&](int64_t begin, int64_t end, int) {
        plan.for_rows(begin, end, [&](const int64_t* off, int64_t n, const int64_t* inner) {
          uint8_t* out = d + off[0] * eb;
          const uint8_t* in = s + off[1] * eb;
          if (inner[0] == 1 && inner[1] == 1) {
            std::memcpy(out, in, static_cast<size_t>(n) * elem_bytes);
          } else if (elem_bytes == 4) {  // typed loops: no memcpy call per element
            strided_copy_row(reinterpret_cast<const Word32*>(in), inner[1],
                             reinterpret_cast<Word32*>(out), inner[0], n);
          } else if (elem_bytes == 8) {
            strided_copy_row(reinterpret_cast<const Word64*>(in), inner[1],
                             reinterpret_cast<Word64*>(out), inner[0], n);
          } else if (inner[0] == 1) {
            copy_elements(in, inner[1], out, n, elem_bytes);
          } else {
            for (int64_t i = 0; i < n; ++i) {
              std::memcpy(out + i * inner[0] * eb, in + i * inner[1] * eb, elem_bytes);
            }
          }
        });
      },
      row_grain(plan.row_length(), 65536));
}

}  // namespace parley::onnx::ops
