// DType and its trait table: one row per element type.
//
// A row says how the type is laid out (elements per block, bytes per block), how a row of it is
// converted to and from float (scalar reference code), and which activation type its integer
// dot product consumes (`vec_dot_type`). The dot products themselves are per ISA and live in
// the KernelTable (kernel_table.h). Adding a quantization = one enum value + one row here + its
// kernels.
//
//   const DTypeTraits& t = dtype_traits(DType::Q4_K);
//   size_t bytes = row_bytes(DType::Q4_K, 4096);       // 4096 / 256 * 144
//   t.to_float(row_ptr, out_floats, 4096);             // dequantize one row
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::kernels {

enum class DType : uint8_t {
  F32,
  F16,
  BF16,
  Q4_0,
  Q4_1,
  Q5_0,
  Q5_1,
  Q8_0,
  Q2_K,
  Q3_K,
  Q4_K,
  Q5_K,
  Q6_K,
  Q8_K,  // activations of K-quant dot products
  I8,
  U8,
  I32,
  I64,
  BOOL,
  kCount
};
inline constexpr int kDTypeCount = static_cast<int>(DType::kCount);

// Converts n elements (n a multiple of block_size) between the type and float.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);

struct DTypeTraits {
  std::string_view name;     // as GGUF/llama.cpp spell it: "q4_K", "f16", "i64"
  int64_t block_size;        // elements per block (1 for plain types)
  int64_t block_bytes;       // bytes per block
  bool is_quantized;
  DType vec_dot_type;        // activation type the dot product with this weight type consumes
  int gguf_type;             // ggml_type id, -1 if GGUF cannot hold it
  int onnx_type;             // onnx TensorProto.DataType, 0 if ONNX has no such type
  ToFloatFn to_float;        // scalar reference; null for none
  FromFloatFn from_float;    // scalar reference quantizer / converter; null for none
};

const DTypeTraits& dtype_traits(DType type);
inline std::string_view dtype_name(DType type) { return dtype_traits(type).name; }

// Bytes for n elements of one row; n must be a multiple of the block size.
inline int64_t row_bytes(DType type, int64_t n) {
  const DTypeTraits& t = dtype_traits(type);
  return n / t.block_size * t.block_bytes;
}

std::optional<DType> dtype_from_gguf(uint32_t gguf_type);
std::optional<DType> dtype_from_onnx(int32_t onnx_type);
std::optional<DType> dtype_from_name(std::string_view name);  // "q4_K", "Q4_K", "f32", ...

}  // namespace parley::kernels
