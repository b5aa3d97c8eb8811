#include "kernels/dtype.h"

#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/fp16.h"
#include "kernels/quant.h"
#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

void f32_to_float(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f32_from_float(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f16_to_float(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
}
void f16_from_float(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
}
void bf16_to_float(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(b[i]);
}
void bf16_from_float(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) b[i] = fp32_to_bf16(src[i]);
}

// Integer types: to float exactly (int64 rounds to nearest float); from float truncates toward
// zero and saturates at the type's range, NaN gives 0 (ONNX Cast leaves NaN->int undefined).
template <typename T>
void int_to_float(const void* src, float* dst, int64_t n) {
  const T* s = static_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}
template <typename T>
void int_from_float(const float* src, void* dst, int64_t n) {
  T* d = static_cast<T*>(dst);
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  for (int64_t i = 0; i < n; ++i) {
    const double v = std::trunc(static_cast<double>(src[i]));
    if (std::isnan(v)) {
      d[i] = 0;
    } else if (v <= lo) {
      d[i] = std::numeric_limits<T>::min();
    } else if (v >= hi) {
      d[i] = std::numeric_limits<T>::max();
    } else {
      d[i] = static_cast<T>(v);
    }
  }
}
void bool_to_float(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = s[i] ? 1.0f : 0.0f;
}
void bool_from_float(const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = src[i] != 0.0f ? 1 : 0;
}

constexpr int64_t kL = kBlockLegacy;
constexpr int64_t kK = kBlockK;

// One row per DType, in enum order.
constexpr std::array<DTypeTraits, kDTypeCount> kTraits = {{
    {"f32", 1, 4, false, DType::F32, 0, 1, f32_to_float, f32_from_float},
    {"f16", 1, 2, false, DType::F32, 1, 10, f16_to_float, f16_from_float},
    {"bf16", 1, 2, false, DType::F32, 30, 16, bf16_to_float, bf16_from_float},
    {"q4_0", kL, sizeof(BlockQ4_0), true, DType::Q8_0, 2, 0, dequantize_row_q4_0, quantize_row_q4_0},
    {"q4_1", kL, sizeof(BlockQ4_1), true, DType::Q8_0, 3, 0, dequantize_row_q4_1, quantize_row_q4_1},
    {"q5_0", kL, sizeof(BlockQ5_0), true, DType::Q8_0, 6, 0, dequantize_row_q5_0, quantize_row_q5_0},
    {"q5_1", kL, sizeof(BlockQ5_1), true, DType::Q8_0, 7, 0, dequantize_row_q5_1, quantize_row_q5_1},
    {"q8_0", kL, sizeof(BlockQ8_0), true, DType::Q8_0, 8, 0, dequantize_row_q8_0, quantize_row_q8_0},
    {"q2_K", kK, sizeof(BlockQ2_K), true, DType::Q8_K, 10, 0, dequantize_row_q2_K, quantize_row_q2_K},
    {"q3_K", kK, sizeof(BlockQ3_K), true, DType::Q8_K, 11, 0, dequantize_row_q3_K, quantize_row_q3_K},
    {"q4_K", kK, sizeof(BlockQ4_K), true, DType::Q8_K, 12, 0, dequantize_row_q4_K, quantize_row_q4_K},
    {"q5_K", kK, sizeof(BlockQ5_K), true, DType::Q8_K, 13, 0, dequantize_row_q5_K, quantize_row_q5_K},
    {"q6_K", kK, sizeof(BlockQ6_K), true, DType::Q8_K, 14, 0, dequantize_row_q6_K, quantize_row_q6_K},
    {"q8_K", kK, sizeof(BlockQ8_K), true, DType::Q8_K, 15, 0, dequantize_row_q8_K, quantize_row_q8_K},
    {"i8", 1, 1, false, DType::I8, 24, 3, int_to_float<int8_t>, int_from_float<int8_t>},
    {"u8", 1, 1, false, DType::U8, -1, 2, int_to_float<uint8_t>, int_from_float<uint8_t>},
    {"i32", 1, 4, false, DType::I32, 26, 6, int_to_float<int32_t>, int_from_float<int32_t>},
    {"i64", 1, 8, false, DType::I64, 27, 7, int_to_float<int64_t>, int_from_float<int64_t>},
    {"bool", 1, 1, false, DType::BOOL, -1, 9, bool_to_float, bool_from_float},
}};

}  // namespace

const DTypeTraits& dtype_traits(DType type) {
  assert(static_cast<int>(type) < kDTypeCount);
  return kTraits[static_cast<size_t>(type)];
}

std::optional<DType> dtype_from_gguf(uint32_t gguf_type) {
  for (int i = 0; i < kDTypeCount; ++i) {
    if (kTraits[i].gguf_type >= 0 && static_cast<uint32_t>(kTraits[i].gguf_type) == gguf_type)
      return static_cast<DType>(i);
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_onnx(int32_t onnx_type) {
  if (onnx_type == 0) return std::nullopt;
  for (int i = 0; i < kDTypeCount; ++i) {
    if (kTraits[i].onnx_type == onnx_type) return static_cast<DType>(i);
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (int i = 0; i < kDTypeCount; ++i) {
    const std::string_view candidate = kTraits[i].name;
    if (candidate.size() != name.size()) continue;
    bool same = true;
    for (size_t c = 0; c < name.size() && same; ++c) {
      const auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? char(ch - 'A' + 'a') : ch; };
      same = lower(candidate[c]) == lower(name[c]);
    }
    if (same) return static_cast<DType>(i);
  }
  return std::nullopt;
}

}  // namespace parley::kernels
