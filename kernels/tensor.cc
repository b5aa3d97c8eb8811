#include "kernels/tensor.h"

#include <cassert>
#include <stdexcept>

namespace parley::kernels {

static int64_t innermost_stride(DType dtype) {
  const DTypeTraits& t = dtype_traits(dtype);
  // For block types the "stride" of one element is not an integer; record the block bytes and
  // treat the innermost axis as packed.
  return t.block_size == 1 ? t.block_bytes : 0;
}

Tensor Tensor::contiguous(void* data, DType dtype, const int64_t* shape, int ndim) {
  if (ndim < 0 || ndim > kMaxDims) throw std::invalid_argument("Tensor: ndim out of range");
  Tensor t;
  t.data_ = data;
  t.dtype_ = dtype;
  t.ndim_ = ndim;
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] < 0) throw std::invalid_argument("Tensor: negative dimension");
    t.shape_[i] = shape[i];
  }
  if (ndim > 0) {
    t.strides_[ndim - 1] = innermost_stride(dtype);
    int64_t stride = row_bytes(dtype, shape[ndim - 1]);
    for (int i = ndim - 2; i >= 0; --i) {
      t.strides_[i] = stride;
      stride *= shape[i];
    }
  }
  return t;
}

Tensor Tensor::contiguous(void* data, DType dtype, std::initializer_list<int64_t> shape) {
  return contiguous(data, dtype, shape.begin(), static_cast<int>(shape.size()));
}

int64_t Tensor::element_count() const {
  int64_t count = 1;
  for (int i = 0; i < ndim_; ++i) count *= shape_[i];
  return count;
}

int64_t Tensor::byte_size() const {
  if (ndim_ == 0) return dtype_traits(dtype_).block_bytes;
  return row_count() * row_bytes(dtype_, shape_[ndim_ - 1]);
}

bool Tensor::is_contiguous() const {
  if (ndim_ == 0) return true;
  if (strides_[ndim_ - 1] != innermost_stride(dtype_)) return false;
  int64_t expected = row_bytes(dtype_, shape_[ndim_ - 1]);
  for (int i = ndim_ - 2; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

uint8_t* Tensor::at(std::initializer_list<int64_t> index) const {
  assert(static_cast<int>(index.size()) <= ndim_);
  uint8_t* p = static_cast<uint8_t*>(data_);
  int axis = 0;
  for (int64_t i : index) {
    if (axis == ndim_ - 1 && dtype_traits(dtype_).block_size > 1) {
      p += row_bytes(dtype_, i);
    } else {
      p += i * strides_[axis];
    }
    ++axis;
  }
  return p;
}

Tensor Tensor::slice(int axis, int64_t begin, int64_t end) const {
  if (axis < 0 || axis >= ndim_ || begin < 0 || end < begin || end > shape_[axis])
    throw std::out_of_range("Tensor::slice: bad axis or range for " + describe());
  Tensor t = *this;
  const int64_t block = dtype_traits(dtype_).block_size;
  if (axis == ndim_ - 1 && block > 1) {
    if (begin % block != 0 || end % block != 0)
      throw std::invalid_argument("Tensor::slice: quantized innermost slice must be whole blocks");
    t.data_ = static_cast<uint8_t*>(data_) + row_bytes(dtype_, begin);
  } else {
    t.data_ = static_cast<uint8_t*>(data_) + begin * strides_[axis];
  }
  t.shape_[axis] = end - begin;
  return t;
}

Tensor Tensor::transpose(int axis_a, int axis_b) const {
  if (axis_a < 0 || axis_b < 0 || axis_a >= ndim_ || axis_b >= ndim_)
    throw std::out_of_range("Tensor::transpose: bad axis for " + describe());
  if (dtype_traits(dtype_).block_size > 1 && (axis_a == ndim_ - 1 || axis_b == ndim_ - 1) &&
      axis_a != axis_b)
    throw std::invalid_argument("Tensor::transpose: cannot move the packed axis of a quantized tensor");
  Tensor t = *this;
  std::swap(t.shape_[axis_a], t.shape_[axis_b]);
  std::swap(t.strides_[axis_a], t.strides_[axis_b]);
  return t;
}

Tensor Tensor::permute(std::initializer_list<int> order) const {
  if (static_cast<int>(order.size()) != ndim_)
    throw std::invalid_argument("Tensor::permute: order must name every axis of " + describe());
  Tensor t = *this;
  bool seen[kMaxDims] = {};
  int i = 0;
  for (int axis : order) {
    if (axis < 0 || axis >= ndim_ || seen[axis])
      throw std::invalid_argument("Tensor::permute: order is not a permutation");
    seen[axis] = true;
    t.shape_[i] = shape_[axis];
    t.strides_[i] = strides_[axis];
    ++i;
  }
  if (dtype_traits(dtype_).block_size > 1 && *(order.begin() + (ndim_ - 1)) != ndim_ - 1)
    throw std::invalid_argument("Tensor::permute: cannot move the packed axis of a quantized tensor");
  return t;
}

Tensor Tensor::reshape(std::initializer_list<int64_t> shape) const {
  if (!is_contiguous()) throw std::invalid_argument("Tensor::reshape: view is not contiguous");
  if (shape.size() > kMaxDims) throw std::invalid_argument("Tensor::reshape: too many dims");
  int64_t dims[kMaxDims];
  int infer = -1;
  int64_t known = 1;
  int n = 0;
  for (int64_t d : shape) {
    if (d == -1) {
      if (infer >= 0) throw std::invalid_argument("Tensor::reshape: more than one -1");
      infer = n;
    } else {
      if (d < 0) throw std::invalid_argument("Tensor::reshape: negative dimension");
      known *= d;
    }
    dims[n++] = d;
  }
  const int64_t total = element_count();
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      throw std::invalid_argument("Tensor::reshape: cannot infer dimension");
    dims[infer] = total / known;
    known *= dims[infer];
  }
  if (known != total) throw std::invalid_argument("Tensor::reshape: element count differs");
  if (n > 0 && dims[n - 1] % dtype_traits(dtype_).block_size != 0)
    throw std::invalid_argument("Tensor::reshape: innermost dim must be whole blocks");
  return contiguous(data_, dtype_, dims, n);
}

std::string Tensor::describe() const {
  std::string s(dtype_name(dtype_));
  s += "[";
  for (int i = 0; i < ndim_; ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
  s += "] strides [";
  for (int i = 0; i < ndim_; ++i) s += (i ? ", " : "") + std::to_string(strides_[i]);
  return s + "]";
}

}  // namespace parley::kernels
