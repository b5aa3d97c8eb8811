// Tensor: a non-owning view — data pointer, dtype, up to 4 dims, byte strides.
//
// Dims are listed outermost first, as NumPy does: shape[ndim-1] is the innermost (fastest) axis.
// (GGUF lists ne[0] innermost; its reader reverses.) For quantized dtypes the innermost axis is
// packed in blocks and must be contiguous; its stride is the element count of one block divided
// into block bytes, so only whole-block slices of it are allowed.
//
// Views never copy and never own: the storage (MappedFile, AlignedBuffer, Arena) must outlive
// them. Slicing, reshaping, transposing and permuting return new views of the same bytes.
//
//   AlignedBuffer buf(rows * cols * sizeof(float));
//   Tensor m = Tensor::contiguous(buf.data(), DType::F32, {rows, cols});
//   Tensor col_block = m.slice(1, 4, 8);       // columns 4..7, same memory
//   Tensor mt = m.transpose(0, 1);             // strides swapped, same memory
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "kernels/dtype.h"

namespace parley::kernels {

inline constexpr int kMaxDims = 4;

class Tensor {
 public:
  Tensor() = default;

  // A view of densely packed row-major data.
  static Tensor contiguous(void* data, DType dtype, std::initializer_list<int64_t> shape);
  static Tensor contiguous(void* data, DType dtype, const int64_t* shape, int ndim);
  static Tensor contiguous(const void* data, DType dtype, std::initializer_list<int64_t> shape) {
    return contiguous(const_cast<void*>(data), dtype, shape);
  }

  void* data() const { return data_; }
  template <typename T>
  T* data_as() const {
    return static_cast<T*>(data_);
  }
  DType dtype() const { return dtype_; }
  int ndim() const { return ndim_; }
  int64_t dim(int axis) const { return shape_[axis]; }
  int64_t stride_bytes(int axis) const { return strides_[axis]; }
  const std::array<int64_t, kMaxDims>& shape() const { return shape_; }
  int64_t element_count() const;
  // Number of rows when all but the innermost axis are flattened.
  int64_t row_count() const { return ndim_ == 0 ? 1 : element_count() / shape_[ndim_ - 1]; }
  bool is_contiguous() const;
  // Bytes of data a contiguous tensor of this shape covers.
  int64_t byte_size() const;

  // Pointer to the start of row `index` of axis 0.. (indices for all but the innermost axis).
  uint8_t* at(std::initializer_list<int64_t> index) const;

  // [begin, end) along axis. For the innermost axis of a quantized tensor, begin and end must be
  // multiples of the block size.
  Tensor slice(int axis, int64_t begin, int64_t end) const;
  Tensor transpose(int axis_a, int axis_b) const;
  Tensor permute(std::initializer_list<int> order) const;
  // Only contiguous tensors can be reshaped without copying; -1 infers one dim.
  Tensor reshape(std::initializer_list<int64_t> shape) const;

  std::string describe() const;  // "f32[2, 3] strides [12, 4]"

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::F32;
  int ndim_ = 0;
  std::array<int64_t, kMaxDims> shape_{1, 1, 1, 1};
  std::array<int64_t, kMaxDims> strides_{0, 0, 0, 0};
};

}  // namespace parley::kernels
