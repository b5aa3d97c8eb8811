#include "kernels/onnx/value.h"

#include "kernels/error.h"

namespace parley::onnx {

size_t elem_size(ElemType type) {
  switch (type) {
    case ElemType::kFloat: return 4;
    case ElemType::kUint8: return 1;
    case ElemType::kInt8: return 1;
    case ElemType::kUint16: return 2;
    case ElemType::kInt16: return 2;
    case ElemType::kInt32: return 4;
    case ElemType::kInt64: return 8;
    case ElemType::kBool: return 1;
    case ElemType::kFloat16: return 2;
    case ElemType::kDouble: return 8;
    case ElemType::kUint32: return 4;
    case ElemType::kUint64: return 8;
    case ElemType::kBFloat16: return 2;
    case ElemType::kUndefined:
    case ElemType::kString: return 0;
  }
  return 0;
}

std::string_view elem_type_name(ElemType type) {
  switch (type) {
    case ElemType::kUndefined: return "undefined";
    case ElemType::kFloat: return "float";
    case ElemType::kUint8: return "uint8";
    case ElemType::kInt8: return "int8";
    case ElemType::kUint16: return "uint16";
    case ElemType::kInt16: return "int16";
    case ElemType::kInt32: return "int32";
    case ElemType::kInt64: return "int64";
    case ElemType::kString: return "string";
    case ElemType::kBool: return "bool";
    case ElemType::kFloat16: return "float16";
    case ElemType::kDouble: return "double";
    case ElemType::kUint32: return "uint32";
    case ElemType::kUint64: return "uint64";
    case ElemType::kBFloat16: return "bfloat16";
  }
  return "unknown";
}

std::optional<kernels::DType> to_kernels_dtype(ElemType type) {
  switch (type) {
    case ElemType::kFloat: return kernels::DType::F32;
    case ElemType::kFloat16: return kernels::DType::F16;
    case ElemType::kBFloat16: return kernels::DType::BF16;
    case ElemType::kInt8: return kernels::DType::I8;
    case ElemType::kUint8: return kernels::DType::U8;
    case ElemType::kInt32: return kernels::DType::I32;
    case ElemType::kInt64: return kernels::DType::I64;
    case ElemType::kBool: return kernels::DType::BOOL;
    default: return std::nullopt;
  }
}

Shape::Shape(std::initializer_list<int64_t> dims)
    : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank)) {
    throw Error("onnx: rank " + std::to_string(dims.size()) + " exceeds the supported maximum " +
                std::to_string(kMaxRank));
  }
  rank_ = static_cast<int>(dims.size());
  for (int i = 0; i < rank_; ++i) dims_[i] = dims[i];
}

int64_t Shape::element_count() const { return count(0, rank_); }

std::optional<size_t> checked_byte_size(ElemType type, const Shape& shape) {
  int64_t bytes = static_cast<int64_t>(elem_size(type));
  for (int64_t d : shape.dims()) {
    if (d < 0) return std::nullopt;
    if (d == 0) return size_t{0};
  }
  for (int64_t d : shape.dims()) {
    if (__builtin_mul_overflow(bytes, d, &bytes)) return std::nullopt;
  }
  return static_cast<size_t>(bytes);
}

int64_t Shape::count(int begin, int end) const {
  int64_t n = 1;
  for (int i = begin; i < end; ++i) n *= dims_[i];
  return n;
}

void Shape::push_back(int64_t dim) {
  if (rank_ >= kMaxRank) {
    throw Error("onnx: rank exceeds the supported maximum " + std::to_string(kMaxRank));
  }
  dims_[rank_++] = dim;
}

void Shape::resize(int rank) {
  if (rank < 0 || rank > kMaxRank) {
    throw Error("onnx: rank " + std::to_string(rank) + " outside [0, " +
                std::to_string(kMaxRank) + "]");
  }
  for (int i = rank_; i < rank; ++i) dims_[i] = 1;
  rank_ = rank;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

kernels::Tensor Value::as_tensor() const {
  std::optional<kernels::DType> dtype = to_kernels_dtype(type);
  if (!dtype) {
    throw Error("onnx: " + describe() + " has no kernels::Tensor element type");
  }
  if (shape.rank() > kernels::kMaxDims) {
    throw Error("onnx: " + describe() + " has rank above " + std::to_string(kernels::kMaxDims));
  }
  if (shape.rank() == 0) {
    const int64_t one = 1;
    return kernels::Tensor::contiguous(raw, *dtype, &one, 1);
  }
  return kernels::Tensor::contiguous(raw, *dtype, shape.dims().data(), shape.rank());
}

std::string Value::describe() const {
  return std::string(elem_type_name(type)) + shape.to_string();
}

}  // namespace parley::onnx
