#include "kernels/ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/error.h"

namespace parley::kernels {
namespace {

constexpr int64_t kFloatBytes = sizeof(float);
// Elements staged at a time on the stack when a row is strided: a multiple of every block size
// (32 and 256), so packed quantized rows can be converted chunk by chunk.
constexpr int64_t kChunk = 256;

// A tensor view padded to kMaxDims axes (leading axes of size 1), byte strides.
struct View {
  uint8_t* data = nullptr;
  std::array<int64_t, kMaxDims> shape{1, 1, 1, 1};
  std::array<int64_t, kMaxDims> stride{0, 0, 0, 0};
};

View make_view(const Tensor& t) {
  View v;
  v.data = static_cast<uint8_t*>(t.data());
  const int offset = kMaxDims - t.ndim();
  for (int i = 0; i < t.ndim(); ++i) {
    v.shape[offset + i] = t.dim(i);
    v.stride[offset + i] = t.stride_bytes(i);
  }
  return v;
}

int64_t element_count(const View& v) {
  return v.shape[0] * v.shape[1] * v.shape[2] * v.shape[3];
}

uint8_t* row_pointer(const View& v, int64_t i0, int64_t i1, int64_t i2) {
  return v.data + i0 * v.stride[0] + i1 * v.stride[1] + i2 * v.stride[2];
}

// Merges adjacent axes that are laid out contiguously relative to each other in every view
// (all views must have the same shape), so contiguous data becomes one long row.
template <size_t N>
void coalesce(std::array<View*, N> views) {
  std::array<int64_t, kMaxDims> shape{};
  std::array<std::array<int64_t, kMaxDims>, N> stride{};
  int count = 0;  // merged axes, innermost first
  for (int axis = kMaxDims - 1; axis >= 0; --axis) {
    const int64_t size = views[0]->shape[axis];
    if (size == 1) continue;
    bool mergeable = count > 0;
    for (size_t k = 0; k < N && mergeable; ++k) {
      mergeable = views[k]->stride[axis] == stride[k][count - 1] * shape[count - 1];
    }
    if (mergeable) {
      shape[count - 1] *= size;
    } else {
      shape[count] = size;
      for (size_t k = 0; k < N; ++k) stride[k][count] = views[k]->stride[axis];
      ++count;
    }
  }
  for (size_t k = 0; k < N; ++k) {
    for (int j = 0; j < kMaxDims; ++j) {
      const bool used = j < count;
      views[k]->shape[kMaxDims - 1 - j] = used ? shape[j] : 1;
      views[k]->stride[kMaxDims - 1 - j] = used ? stride[k][j] : 0;
    }
  }
}

void require_dtype(const Tensor& t, DType dtype, const char* op, const char* role) {
  if (t.dtype() != dtype) {
    throw Error(std::string(op) + ": " + role + " must be " + std::string(dtype_name(dtype)) +
                ", got " + t.describe());
  }
}

// The innermost axis must be densely packed floats (rows may have any stride).
void require_contiguous_rows(const Tensor& t, const char* op, const char* role) {
  if (t.ndim() > 0 && t.dim(t.ndim() - 1) > 1 && t.stride_bytes(t.ndim() - 1) != kFloatBytes) {
    throw Error(std::string(op) + ": " + role + " needs a contiguous innermost axis, got " +
                t.describe());
  }
}

bool same_shape(const Tensor& a, const Tensor& b) {
  if (a.ndim() != b.ndim()) return false;
  for (int i = 0; i < a.ndim(); ++i) {
    if (a.dim(i) != b.dim(i)) return false;
  }
  return true;
}

void require_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (!same_shape(a, b)) {
    throw Error(std::string(op) + ": shapes differ: " + a.describe() + " vs " + b.describe());
  }
}

inline float load_float(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_float(uint8_t* p, float v) {
  std::memcpy(p, &v, sizeof v);
}

void gather(const uint8_t* src, int64_t stride, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = load_float(src + i * stride);
}
void scatter(const float* src, uint8_t* dst, int64_t stride, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_float(dst + i * stride, src[i]);
}

bool is_commutative(BinaryOp op) {
  return op == BinaryOp::Add || op == BinaryOp::Mul || op == BinaryOp::Max || op == BinaryOp::Min;
}

void binary_row(const KernelTable& table, BinaryOp op, int64_t n, const uint8_t* a, int64_t sa,
                const uint8_t* b, int64_t sb, uint8_t* y, int64_t sy) {
  const int index = static_cast<int>(op);
  if (sy == kFloatBytes || n == 1) {
    auto* out = reinterpret_cast<float*>(y);
    if ((sa == kFloatBytes || n == 1) && (sb == kFloatBytes || n == 1)) {
      table.binary[index](n, reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b),
                          out);
      return;
    }
    if (sa == kFloatBytes && sb == 0) {
      table.binary_scalar[index](n, reinterpret_cast<const float*>(a), load_float(b), out);
      return;
    }
    if (sa == 0 && sb == kFloatBytes && is_commutative(op)) {
      table.binary_scalar[index](n, reinterpret_cast<const float*>(b), load_float(a), out);
      return;
    }
  }
  float chunk_a[kChunk];
  float chunk_b[kChunk];
  float chunk_y[kChunk];
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t len = std::min(kChunk, n - start);
    gather(a + start * sa, sa, len, chunk_a);
    gather(b + start * sb, sb, len, chunk_b);
    table.binary[index](len, chunk_a, chunk_b, chunk_y);
    scatter(chunk_y, y + start * sy, sy, len);
  }
}

// Maps an axis argument (negative counts from the end) to [0, ndim).
int normalize_axis(int axis, const Tensor& x, const char* op) {
  const int resolved = axis < 0 ? axis + x.ndim() : axis;
  if (resolved < 0 || resolved >= x.ndim()) {
    throw Error(std::string(op) + ": axis " + std::to_string(axis) + " out of range for " +
                x.describe());
  }
  return resolved;
}

// Views of x with `axis` moved innermost and of out laid out to match (innermost size 1).
void reduction_views(const Tensor& x, int axis, const Tensor& out, const char* op, View& vx,
                     View& vo) {
  const bool keepdims = out.ndim() == x.ndim();
  bool ok = keepdims || out.ndim() == x.ndim() - 1;
  for (int i = 0, j = 0; ok && i < x.ndim(); ++i) {
    if (i == axis) {
      if (keepdims) ok = out.dim(j++) == 1;
      continue;
    }
    ok = out.dim(j++) == x.dim(i);
  }
  if (!ok) {
    throw Error(std::string(op) + ": output " + out.describe() + " does not match input " +
                x.describe() + " reduced over axis " + std::to_string(axis));
  }
  vx = View{};
  vo = View{};
  vx.data = static_cast<uint8_t*>(x.data());
  vo.data = static_cast<uint8_t*>(out.data());
  int position = kMaxDims - x.ndim();  // other axes fill positions before the last
  for (int i = 0, j = 0; i < x.ndim(); ++i) {
    const int out_axis = keepdims ? i : j;
    if (i == axis) {
      if (keepdims) ++j;
      continue;
    }
    vx.shape[position] = x.dim(i);
    vx.stride[position] = x.stride_bytes(i);
    vo.shape[position] = out.dim(out_axis);
    vo.stride[position] = out.stride_bytes(out_axis);
    ++position;
    ++j;
  }
  vx.shape[kMaxDims - 1] = x.dim(axis);
  vx.stride[kMaxDims - 1] = x.stride_bytes(axis);
}

// Applies fn(row_x, row_out, n) to every row of the last axis; x and out: same shape, F32,
// contiguous innermost axis.
template <typename Fn>
void for_each_row(const Tensor& x, const Tensor& out, const char* op, Fn&& fn) {
  require_dtype(x, DType::F32, op, "input");
  require_dtype(out, DType::F32, op, "output");
  require_same_shape(x, out, op);
  require_contiguous_rows(x, op, "input");
  require_contiguous_rows(out, op, "output");
  const View vx = make_view(x);
  const View vo = make_view(out);
  if (element_count(vx) == 0) return;
  for (int64_t i0 = 0; i0 < vx.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vx.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vx.shape[2]; ++i2) {
        fn(reinterpret_cast<const float*>(row_pointer(vx, i0, i1, i2)),
           reinterpret_cast<float*>(row_pointer(vo, i0, i1, i2)), vx.shape[3]);
      }
    }
  }
}

const float* optional_vector(const Tensor* t, int64_t n, const char* op, const char* role) {
  if (t == nullptr) return nullptr;
  if (t->dtype() != DType::F32 || t->ndim() != 1 || t->dim(0) != n ||
      (n > 1 && t->stride_bytes(0) != kFloatBytes)) {
    throw Error(std::string(op) + ": " + role + " must be contiguous f32[" + std::to_string(n) +
                "], got " + t->describe());
  }
  return t->data_as<const float>();
}

}  // namespace

// --- elementwise ---------------------------------------------------------------------------------

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  require_dtype(a, DType::F32, "binary", "a");
  require_dtype(b, DType::F32, "binary", "b");
  require_dtype(out, DType::F32, "binary", "out");
  View va = make_view(a);
  View vb = make_view(b);
  View vo = make_view(out);
  bool ok = out.ndim() >= a.ndim() && out.ndim() >= b.ndim();
  for (int axis = 0; axis < kMaxDims && ok; ++axis) {
    const int64_t da = va.shape[axis];
    const int64_t db = vb.shape[axis];
    ok = (da == db || da == 1 || db == 1) && (da == 1 ? db : da) == vo.shape[axis];
    if (da != vo.shape[axis]) va.stride[axis] = 0;  // stretched axis
    if (db != vo.shape[axis]) vb.stride[axis] = 0;
    va.shape[axis] = vb.shape[axis] = vo.shape[axis];
  }
  if (!ok) {
    throw Error("binary: cannot broadcast " + a.describe() + " with " + b.describe() + " to " +
                out.describe());
  }
  if (element_count(vo) == 0) return;
  coalesce<3>({&va, &vb, &vo});
  const KernelTable& table = kernels();
  for (int64_t i0 = 0; i0 < vo.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vo.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vo.shape[2]; ++i2) {
        binary_row(table, op, vo.shape[3], row_pointer(va, i0, i1, i2), va.stride[3],
                   row_pointer(vb, i0, i1, i2), vb.stride[3], row_pointer(vo, i0, i1, i2),
                   vo.stride[3]);
      }
    }
  }
}

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  require_dtype(x, DType::F32, "unary", "input");
  require_dtype(out, DType::F32, "unary", "output");
  require_same_shape(x, out, "unary");
  View vx = make_view(x);
  View vo = make_view(out);
  if (element_count(vo) == 0) return;
  coalesce<2>({&vx, &vo});
  const UnaryFn fn = kernels().unary[static_cast<int>(op)];
  const int64_t n = vo.shape[3];
  for (int64_t i0 = 0; i0 < vo.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vo.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vo.shape[2]; ++i2) {
        const uint8_t* px = row_pointer(vx, i0, i1, i2);
        uint8_t* po = row_pointer(vo, i0, i1, i2);
        if ((vx.stride[3] == kFloatBytes && vo.stride[3] == kFloatBytes) || n == 1) {
          fn(n, reinterpret_cast<const float*>(px), reinterpret_cast<float*>(po));
          continue;
        }
        float chunk[kChunk];
        for (int64_t start = 0; start < n; start += kChunk) {
          const int64_t len = std::min(kChunk, n - start);
          gather(px + start * vx.stride[3], vx.stride[3], len, chunk);
          fn(len, chunk, chunk);
          scatter(chunk, po + start * vo.stride[3], vo.stride[3], len);
        }
      }
    }
  }
}

// --- reductions ----------------------------------------------------------------------------------

void reduce(ReduceOp op, const Tensor& x, int axis, const Tensor& out) {
  require_dtype(x, DType::F32, "reduce", "input");
  require_dtype(out, DType::F32, "reduce", "output");
  View vx;
  View vo;
  reduction_views(x, normalize_axis(axis, x, "reduce"), out, "reduce", vx, vo);
  const KernelTable& table = kernels();
  const int64_t n = vx.shape[3];
  const int64_t stride = vx.stride[3];
  for (int64_t i0 = 0; i0 < vx.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vx.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vx.shape[2]; ++i2) {
        const uint8_t* row = row_pointer(vx, i0, i1, i2);
        double total = 0.0;
        float best = -INFINITY;
        for (int64_t start = 0; start < n; start += kChunk) {
          const int64_t len = std::min(kChunk, n - start);
          float chunk[kChunk];
          const float* values = reinterpret_cast<const float*>(row + start * stride);
          if (stride != kFloatBytes && len > 1) {
            gather(row + start * stride, stride, len, chunk);
            values = chunk;
          }
          if (op == ReduceOp::Max) {
            best = std::max(best, table.max(len, values));
          } else {
            total += table.sum(len, values);
          }
        }
        float result = best;
        if (op == ReduceOp::Sum) result = static_cast<float>(total);
        if (op == ReduceOp::Mean) result = static_cast<float>(total / static_cast<double>(n));
        store_float(row_pointer(vo, i0, i1, i2), result);
      }
    }
  }
}

void argmax(const Tensor& x, int axis, const Tensor& out) {
  require_dtype(x, DType::F32, "argmax", "input");
  if (out.dtype() != DType::I64 && out.dtype() != DType::I32) {
    throw Error("argmax: output must be i64 or i32, got " + out.describe());
  }
  View vx;
  View vo;
  reduction_views(x, normalize_axis(axis, x, "argmax"), out, "argmax", vx, vo);
  const KernelTable& table = kernels();
  const int64_t n = vx.shape[3];
  const int64_t stride = vx.stride[3];
  for (int64_t i0 = 0; i0 < vx.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vx.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vx.shape[2]; ++i2) {
        const uint8_t* row = row_pointer(vx, i0, i1, i2);
        int64_t best_index = -1;
        float best = 0.0f;
        for (int64_t start = 0; start < n; start += kChunk) {
          const int64_t len = std::min(kChunk, n - start);
          float chunk[kChunk];
          const float* values = reinterpret_cast<const float*>(row + start * stride);
          if (stride != kFloatBytes && len > 1) {
            gather(row + start * stride, stride, len, chunk);
            values = chunk;
          }
          const int64_t local = table.argmax(len, values);
          if (best_index < 0 || values[local] > best) {
            best_index = start + local;
            best = values[local];
          }
        }
        uint8_t* target = row_pointer(vo, i0, i1, i2);
        if (out.dtype() == DType::I64) {
          std::memcpy(target, &best_index, sizeof best_index);
        } else {
          const auto narrow = static_cast<int32_t>(best_index);
          std::memcpy(target, &narrow, sizeof narrow);
        }
      }
    }
  }
}

// --- conversion ----------------------------------------------------------------------------------

void convert(const Tensor& src, const Tensor& dst) {
  require_same_shape(src, dst, "convert");
  const DTypeTraits& from = dtype_traits(src.dtype());
  const DTypeTraits& to = dtype_traits(dst.dtype());
  if (from.to_float == nullptr || to.from_float == nullptr) {
    throw Error("convert: no conversion from " + src.describe() + " to " + dst.describe());
  }
  const View vs = make_view(src);
  const View vd = make_view(dst);
  if (element_count(vs) == 0) return;
  const int64_t n = vs.shape[3];
  // A quantized innermost axis is packed by definition; a plain one is packed at its own size.
  const bool src_packed = from.is_quantized || vs.stride[3] == from.block_bytes || n == 1;
  const bool dst_packed = to.is_quantized || vd.stride[3] == to.block_bytes || n == 1;
  // F16 has a bit-exact vectorized converter; the trait converters are the reference elsewhere.
  const FromFloatFn quantize = dst.dtype() == DType::F16
                                   ? kernels().quantize_row[static_cast<int>(DType::F16)]
                                   : to.from_float;
  const bool same_dtype = src.dtype() == dst.dtype();
  for (int64_t i0 = 0; i0 < vs.shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < vs.shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < vs.shape[2]; ++i2) {
        const uint8_t* s = row_pointer(vs, i0, i1, i2);
        uint8_t* d = row_pointer(vd, i0, i1, i2);
        if (same_dtype && src_packed && dst_packed) {
          std::memmove(d, s, static_cast<size_t>(row_bytes(src.dtype(), n)));
          continue;
        }
        if (same_dtype) {  // plain dtype, strided: copy element bytes
          for (int64_t i = 0; i < n; ++i) {
            std::memmove(d + i * vd.stride[3], s + i * vs.stride[3],
                         static_cast<size_t>(from.block_bytes));
          }
          continue;
        }
        float chunk[kChunk];
        for (int64_t start = 0; start < n; start += kChunk) {
          const int64_t len = std::min(kChunk, n - start);
          if (src_packed) {
            from.to_float(s + row_bytes(src.dtype(), start), chunk, len);
          } else {
            for (int64_t i = 0; i < len; ++i)
              from.to_float(s + (start + i) * vs.stride[3], chunk + i, 1);
          }
          if (dst_packed) {
            quantize(chunk, d + row_bytes(dst.dtype(), start), len);
          } else {
            for (int64_t i = 0; i < len; ++i)
              to.from_float(chunk + i, d + (start + i) * vd.stride[3], 1);
          }
        }
      }
    }
  }
}

// --- normalisation -------------------------------------------------------------------------------

void rms_norm(const Tensor& x, const Tensor* weight, float eps, const Tensor& out) {
  const int64_t n = x.ndim() == 0 ? 1 : x.dim(x.ndim() - 1);
  const float* w = optional_vector(weight, n, "rms_norm", "weight");
  const auto fn = kernels().rms_norm;
  for_each_row(x, out, "rms_norm",
               [&](const float* xr, float* yr, int64_t len) { fn(len, xr, w, eps, yr); });
}

void layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps,
                const Tensor& out) {
  const int64_t n = x.ndim() == 0 ? 1 : x.dim(x.ndim() - 1);
  const float* w = optional_vector(weight, n, "layer_norm", "weight");
  const float* b = optional_vector(bias, n, "layer_norm", "bias");
  const auto fn = kernels().layer_norm;
  for_each_row(x, out, "layer_norm",
               [&](const float* xr, float* yr, int64_t len) { fn(len, xr, w, b, eps, yr); });
}

void softmax(const Tensor& x, const Tensor& out) {
  const auto fn = kernels().softmax;
  for_each_row(x, out, "softmax",
               [&](const float* xr, float* yr, int64_t len) { fn(len, xr, yr); });
}

}  // namespace parley::kernels
