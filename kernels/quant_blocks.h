// Quantized block layouts, bit-identical to GGUF/ggml so model tensors are used in place.
//
// Legacy blocks hold 32 values; K-quant super-blocks hold 256. `d` is the scale (half),
// `m`/`dmin` the minimum, `qs` the packed quants. Q8_0 and Q8_K are also the activation formats
// that the integer dot products consume (see dtype.h: vec_dot_type).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley::kernels {

inline constexpr int kBlockLegacy = 32;   // QK4_0 == QK4_1 == QK5_0 == QK5_1 == QK8_0
inline constexpr int kBlockK = 256;       // QK_K
inline constexpr int kScaleBytesK = 12;   // K_SCALE_SIZE

struct BlockQ4_0 {
  uint16_t d;                     // half scale
  uint8_t qs[kBlockLegacy / 2];   // nibbles: low = element j, high = element j + 16
};
struct BlockQ4_1 {
  uint16_t d, m;                  // half scale, half minimum
  uint8_t qs[kBlockLegacy / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];                  // 5th bit of each of the 32 quants
  uint8_t qs[kBlockLegacy / 2];
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kBlockLegacy / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kBlockLegacy];
};
struct BlockQ2_K {
  uint8_t scales[kBlockK / 16];   // 4-bit scale | 4-bit min per 16 values
  uint8_t qs[kBlockK / 4];
  uint16_t d, dmin;
};
struct BlockQ3_K {
  uint8_t hmask[kBlockK / 8];
  uint8_t qs[kBlockK / 4];
  uint8_t scales[kScaleBytesK];   // 16 six-bit scales
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[kScaleBytesK];   // 8 six-bit scales and 8 six-bit mins
  uint8_t qs[kBlockK / 2];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[kScaleBytesK];
  uint8_t qh[kBlockK / 8];
  uint8_t qs[kBlockK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kBlockK / 2];
  uint8_t qh[kBlockK / 4];
  int8_t scales[kBlockK / 16];
  uint16_t d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kBlockK];
  int16_t bsums[kBlockK / 16];    // sum of each group of 16 quants
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace parley::kernels
