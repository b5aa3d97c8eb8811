// onnx::Value — the runtime value of the ONNX executor: element type, shape of any rank up to
// kMaxRank, and a pointer to densely packed row-major data. A Value is a non-owning view, like
// kernels::Tensor; the bytes belong to the Model (initializers, folded constants, mapped external
// data) or to a Session's arena (intermediate values), which outlive every view handed to an op.
//
// kernels::Tensor holds at most 4 dims and no ONNX-only element types (double, int16, uint64,
// ...), so it is not the value type here; as_tensor() views a rank <= 4 value as a Tensor to call
// kernels/ primitives.
//
//   const Value& x = ctx.input(0);                     // read-only view
//   int64_t n = x.element_count();
//   const float* px = x.data<float>();                 // checks the element type (debug assert)
//   Shape out_shape = x.shape;                         // copy and edit
//   out_shape[out_shape.rank() - 1] = 1;
//   Value& y = ctx.allocate_output(0, ElemType::kFloat, out_shape);
//   float* py = y.mutable_data<float>();
//   kernels::Tensor t = x.as_tensor();                 // only when rank <= 4 and a kernels dtype
//
// Thread safety: Values are plain data; concurrent reads are safe.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "kernels/dtype.h"
#include "kernels/tensor.h"

namespace parley::onnx {

// Element types, numbered as onnx TensorProto.DataType. kString is recognised (so a model using
// it can be rejected with a clear message) but has no data layout in this runtime.
enum class ElemType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBFloat16 = 16,
};

// Bytes of one element; 0 for kUndefined/kString and unknown values.
size_t elem_size(ElemType type);
// "float", "int64", ... as ONNX spells them; "type<N>" for unknown values.
std::string_view elem_type_name(ElemType type);
// The kernels:: dtype with the same layout, when one exists.
std::optional<kernels::DType> to_kernels_dtype(ElemType type);

// Maps a C++ element type to its ElemType (used by Value::data<T>() checks and by op templates).
template <typename T>
struct ElemTypeOf;
template <> struct ElemTypeOf<float> { static constexpr ElemType value = ElemType::kFloat; };
template <> struct ElemTypeOf<double> { static constexpr ElemType value = ElemType::kDouble; };
template <> struct ElemTypeOf<uint8_t> { static constexpr ElemType value = ElemType::kUint8; };
template <> struct ElemTypeOf<int8_t> { static constexpr ElemType value = ElemType::kInt8; };
template <> struct ElemTypeOf<uint16_t> { static constexpr ElemType value = ElemType::kUint16; };
template <> struct ElemTypeOf<int16_t> { static constexpr ElemType value = ElemType::kInt16; };
template <> struct ElemTypeOf<int32_t> { static constexpr ElemType value = ElemType::kInt32; };
template <> struct ElemTypeOf<int64_t> { static constexpr ElemType value = ElemType::kInt64; };
template <> struct ElemTypeOf<uint32_t> { static constexpr ElemType value = ElemType::kUint32; };
template <> struct ElemTypeOf<uint64_t> { static constexpr ElemType value = ElemType::kUint64; };
template <> struct ElemTypeOf<bool> { static constexpr ElemType value = ElemType::kBool; };
// float16 and bfloat16 have no C++ type here: their data is read as uint16_t bits
// (kernels/fp16.h converts), which storage_matches<uint16_t>() accepts.

template <typename T>
constexpr bool storage_matches(ElemType type) {
  if constexpr (std::is_same_v<T, uint16_t>) {
    return type == ElemType::kUint16 || type == ElemType::kFloat16 || type == ElemType::kBFloat16;
  } else {
    return ElemTypeOf<T>::value == type;
  }
}

inline constexpr int kMaxRank = 8;

// Dims outermost first, fixed capacity (no allocation). rank 0 = scalar (one element).
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);  // throws parley::Error when rank > kMaxRank

  int rank() const { return rank_; }
  int64_t operator[](int axis) const { return dims_[axis]; }
  int64_t& operator[](int axis) { return dims_[axis]; }
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  int64_t element_count() const;
  // Product of dims [begin, end).
  int64_t count(int begin, int end) const;

  void push_back(int64_t dim);  // throws parley::Error past kMaxRank
  void resize(int rank);        // new dims are 1; throws past kMaxRank

  bool operator==(const Shape& other) const;
  std::string to_string() const;  // "[2, 3, 4]"

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

// Bytes a dense tensor of `type` and `shape` needs, or nullopt when a dim is negative or the
// size does not fit in int64 (a hostile shape: products are checked, never wrapped).
std::optional<size_t> checked_byte_size(ElemType type, const Shape& shape);

// The largest tensor a session allocates (16 GiB): a larger output is an error naming the node,
// not an allocation attempt.
inline constexpr size_t kMaxTensorBytes = size_t{16} << 30;

struct Value {
  ElemType type = ElemType::kUndefined;
  Shape shape;
  void* raw = nullptr;  // densely packed row-major; null only when element_count() == 0

  int64_t element_count() const { return shape.element_count(); }
  size_t byte_size() const { return static_cast<size_t>(element_count()) * elem_size(type); }

  template <typename T>
  const T* data() const {
    assert(storage_matches<T>(type));
    return static_cast<const T*>(raw);
  }
  // Only for values an op owns (its outputs); inputs may point into read-only mapped files.
  template <typename T>
  T* mutable_data() {
    assert(storage_matches<T>(type));
    return static_cast<T*>(raw);
  }

  // View as a contiguous kernels::Tensor. Throws parley::Error when rank > 4 or the element type
  // has no kernels::DType (double, int16, ...). Rank 0 becomes a rank-1 tensor of one element.
  kernels::Tensor as_tensor() const;

  std::string describe() const;  // "float[2, 3]"
};

}  // namespace parley::onnx
