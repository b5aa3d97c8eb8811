// Scalar reference of the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K; 256-element super-blocks) and
// of their activation format Q8_K: dequantization, reference quantizers and dot products.
// Block layouts are ggml's (quant_blocks.h); the optimized kernels in quant_k_avx2.cc and
// quant_k_avx512.cc are tested against the dot products here.
//
// Every super-block decodes to integers: element i of a block is
//   d * scale[i / 16] * q[i] - dmin * min[i / 16]
// (Q4_K/Q5_K have 32-element sub-blocks, so their scale and min repeat over two groups of 16;
// Q3_K/Q6_K are symmetric and have no min). The dot product with Q8_K activations (d_a, q8[],
// bsums[] = sums of each 16 q8) is then, per block,
//   d_a * (d * sum_k scale[k] * sum_{i in k} q[i] * q8[i]  -  dmin * sum_k min[k] * bsums[k]).
//
// The quantizers follow ggml's reference approach: each sub-block gets a least-squares scale
// (and min) chosen among a few candidate grids, the sub-block scales are then quantized against
// one half-precision super-block scale, and the quants are recomputed with the stored scales.
// They are not bit-identical to llama.cpp's quantizers but produce valid blocks of similar error.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"
#include "kernels/quant.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_k_internal.h"

namespace parley::kernels {
namespace {

using quant_k_detail::q8_K_scale_usable;
using quant_k_detail::unpack_scales_mins_q4_K;
using quant_k_detail::unpack_scales_q3_K;

constexpr int kGroups = kBlockK / 16;  // groups of 16 elements per super-block

// Rounds half to even (the default rounding mode), like ggml's nearest_int.
int nearest_int(float x) {
  return static_cast<int>(std::lrintf(x));
}

// One super-block decoded to integers (see the file comment).
struct DecodedBlock {
  float d = 0.0f;
  float dmin = 0.0f;
  int scale[kGroups];
  int min[kGroups];
  int8_t q[kBlockK];
};

void decode(const BlockQ2_K& block, DecodedBlock& out) {
  out.d = fp16_to_fp32(block.d);
  out.dmin = fp16_to_fp32(block.dmin);
  for (int k = 0; k < kGroups; ++k) {
    out.scale[k] = block.scales[k] & 0xf;
    out.min[k] = block.scales[k] >> 4;
  }
  // Element 128 * half + 32 * group + l sits in bits 2*group of qs[32 * half + l].
  for (int i = 0; i < kBlockK; ++i) {
    const int half = i / 128, group = (i % 128) / 32, l = i % 32;
    out.q[i] = static_cast<int8_t>((block.qs[32 * half + l] >> (2 * group)) & 3);
  }
}

void decode(const BlockQ3_K& block, DecodedBlock& out) {
  out.d = fp16_to_fp32(block.d);
  out.dmin = 0.0f;
  int8_t scales[kGroups];
  unpack_scales_q3_K(block.scales, scales);
  for (int k = 0; k < kGroups; ++k) {
    out.scale[k] = scales[k];
    out.min[k] = 0;
  }
  // Low two bits as in Q2_K; the third bit of element 128 * half + 32 * group + l is bit
  // 4 * half + group of hmask[l], and a clear bit means "minus 4".
  for (int i = 0; i < kBlockK; ++i) {
    const int half = i / 128, group = (i % 128) / 32, l = i % 32;
    const int low = (block.qs[32 * half + l] >> (2 * group)) & 3;
    const int high = (block.hmask[l] >> (4 * half + group)) & 1;
    out.q[i] = static_cast<int8_t>(low - (high ? 0 : 4));
  }
}

// Q4_K and Q5_K share the scale layout and the nibble order: element 32 * sub + l (sub = 0..7)
// is the low nibble of qs[32 * (sub / 2) + l] for even sub, the high nibble for odd sub.
template <typename Block>
void decode_scales_and_nibbles(const Block& block, DecodedBlock& out) {
  out.d = fp16_to_fp32(block.d);
  out.dmin = fp16_to_fp32(block.dmin);
  uint8_t scales_mins[16];
  unpack_scales_mins_q4_K(block.scales, scales_mins);
  for (int k = 0; k < kGroups; ++k) {
    out.scale[k] = scales_mins[k / 2];
    out.min[k] = scales_mins[8 + k / 2];
  }
  for (int i = 0; i < kBlockK; ++i) {
    const int sub = i / 32, l = i % 32;
    const uint8_t byte = block.qs[32 * (sub / 2) + l];
    out.q[i] = static_cast<int8_t>(sub % 2 == 0 ? byte & 0xf : byte >> 4);
  }
}

void decode(const BlockQ4_K& block, DecodedBlock& out) {
  decode_scales_and_nibbles(block, out);
}

void decode(const BlockQ5_K& block, DecodedBlock& out) {
  decode_scales_and_nibbles(block, out);
  // The fifth bit of element 32 * sub + l is bit sub of qh[l].
  for (int i = 0; i < kBlockK; ++i) {
    const int sub = i / 32, l = i % 32;
    out.q[i] = static_cast<int8_t>(out.q[i] | (((block.qh[l] >> sub) & 1) << 4));
  }
}

void decode(const BlockQ6_K& block, DecodedBlock& out) {
  out.d = fp16_to_fp32(block.d);
  out.dmin = 0.0f;
  for (int k = 0; k < kGroups; ++k) {
    out.scale[k] = block.scales[k];
    out.min[k] = 0;
  }
  // Element 128 * half + 32 * group + l: low nibble of ql[64 * half + 32 * (group % 2) + l]
  // (groups 0, 1) or its high nibble (groups 2, 3); top two bits at 2 * group of
  // qh[32 * half + l]; stored with a bias of 32.
  for (int i = 0; i < kBlockK; ++i) {
    const int half = i / 128, group = (i % 128) / 32, l = i % 32;
    const uint8_t low_byte = block.ql[64 * half + 32 * (group % 2) + l];
    const int low = group < 2 ? low_byte & 0xf : low_byte >> 4;
    const int high = (block.qh[32 * half + l] >> (2 * group)) & 3;
    out.q[i] = static_cast<int8_t>((low | high << 4) - 32);
  }
}

// Rows may start at any byte: each block is copied out with memcpy before it is read (a
// misaligned Block& would be undefined behaviour) and written back the same way.
template <typename Block>
Block load_block(const void* row, int64_t index) {
  Block block;
  std::memcpy(&block, static_cast<const uint8_t*>(row) + index * sizeof(Block), sizeof(Block));
  return block;
}

template <typename Block>
void store_block(const Block& block, void* row, int64_t index) {
  std::memcpy(static_cast<uint8_t*>(row) + index * sizeof(Block), &block, sizeof(Block));
}

template <typename Block>
void dequantize_row(const void* src, float* dst, int64_t n) {
  assert(n % kBlockK == 0);
  DecodedBlock decoded;
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    decode(load_block<Block>(src, b), decoded);
    float* out = dst + b * kBlockK;
    for (int k = 0; k < kGroups; ++k) {
      const float scale = decoded.d * static_cast<float>(decoded.scale[k]);
      const float offset = decoded.dmin * static_cast<float>(decoded.min[k]);
      for (int l = 0; l < 16; ++l) out[16 * k + l] = scale * decoded.q[16 * k + l] - offset;
    }
  }
}

template <typename Block>
float vec_dot_scalar(int64_t n, const void* weights, const void* activations) {
  assert(n % kBlockK == 0);
  DecodedBlock decoded;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    decode(load_block<Block>(weights, b), decoded);
    const BlockQ8_K a = load_block<BlockQ8_K>(activations, b);
    int32_t sum_scaled = 0;  // sum_k scale[k] * <q, q8>_k; |.| < 16 * 128 * 16 * 32 * 128
    int32_t sum_mins = 0;    // sum_k min[k] * bsums[k]
    for (int k = 0; k < kGroups; ++k) {
      int32_t group_dot = 0;
      for (int l = 0; l < 16; ++l) group_dot += decoded.q[16 * k + l] * a.qs[16 * k + l];
      sum_scaled += decoded.scale[k] * group_dot;
      sum_mins += decoded.min[k] * a.bsums[k];
    }
    sum += a.d * (decoded.d * static_cast<float>(sum_scaled) -
                  decoded.dmin * static_cast<float>(sum_mins));
  }
  return sum;
}

// ------------------------------------------------------------------------------------------
// Sub-block fits.

// Fits x[i] ~= scale * L[i] - offset with L[i] in 0..nmax, scale > 0 and offset >= 0 (so the
// representable range always contains 0), minimizing sum weights[i] * error^2. Candidate grids
// iscale = (nmax + rmin + rdelta * s) / (max - min), s = 0..steps, each followed by a weighted
// least-squares refit of scale and offset. n <= 32. Returns scale; all-equal input gives 0.
float fit_scale_offset(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                       float* offset, float rmin, float rdelta, int steps) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  if (!(hi > lo)) {  // constant block (or NaN): represent it by the offset alone
    std::fill(L, L + n, uint8_t{0});
    *offset = -lo;
    return 0.0f;
  }
  auto grid = [&](float iscale, uint8_t* out) {
    for (int i = 0; i < n; ++i) {
      out[i] = static_cast<uint8_t>(std::clamp(nearest_int(iscale * (x[i] - lo)), 0, nmax));
    }
  };
  auto error_of = [&](float scale, float min, const uint8_t* q) {
    float error = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float diff = scale * q[i] + min - x[i];
      error += weights[i] * diff * diff;
    }
    return error;
  };
  float best_scale = (hi - lo) / static_cast<float>(nmax);
  float best_min = lo;  // x ~= scale * L + min, min <= 0
  grid(static_cast<float>(nmax) / (hi - lo), L);
  float best_error = error_of(best_scale, best_min, L);
  uint8_t candidate[32];
  for (int s = 0; s <= steps; ++s) {
    grid((static_cast<float>(nmax) + rmin + rdelta * static_cast<float>(s)) / (hi - lo), candidate);
    float sum_w = 0, sum_l = 0, sum_l2 = 0, sum_x = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const float w = weights[i], l = candidate[i];
      sum_w += w;
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_x += w * x[i];
      sum_xl += w * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0.0f)) continue;
    float scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (min > 0.0f) {  // the format cannot add: pin the minimum at 0
      min = 0.0f;
      scale = sum_xl / sum_l2;
    }
    if (!(scale > 0.0f)) continue;
    const float error = error_of(scale, min, candidate);
    if (error < best_error) {
      best_error = error;
      best_scale = scale;
      best_min = min;
      std::copy(candidate, candidate + n, L);
    }
  }
  *offset = -best_min;
  return best_scale;
}

// Fits x[i] ~= scale * (L[i] - nmax) with L[i] - nmax in -nmax..nmax-1, weighting each error
// by x[i]^2. The largest-magnitude value maps near -nmax, so the returned scale has the
// opposite sign of that value. n <= 32. Returns 0 (and L = nmax) for an all-zero input.
float fit_scale_symmetric(int n, int nmax, const float* x, uint8_t* L) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (!(amax > 1e-30f)) {
    std::fill(L, L + n, static_cast<uint8_t>(nmax));
    return 0.0f;
  }
  auto grid = [&](float iscale, uint8_t* out, float* sum_xl, float* sum_l2) {
    *sum_xl = 0.0f;
    *sum_l2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      out[i] = static_cast<uint8_t>(l + nmax);
      const float w = x[i] * x[i];
      *sum_xl += w * x[i] * static_cast<float>(l);
      *sum_l2 += w * static_cast<float>(l * l);
    }
  };
  float sum_xl, sum_l2;
  grid(-static_cast<float>(nmax) / max, L, &sum_xl, &sum_l2);
  float best_scale = sum_l2 > 0.0f ? sum_xl / sum_l2 : 0.0f;
  float best_gain = best_scale * sum_xl;  // error = sum w x^2 - gain
  uint8_t candidate[32];
  for (int s = -9; s <= 9; ++s) {
    if (s == 0) continue;
    grid(-(static_cast<float>(nmax) + 0.1f * static_cast<float>(s)) / max, candidate, &sum_xl,
         &sum_l2);
    if (sum_l2 > 0.0f && sum_xl * sum_xl > best_gain * sum_l2) {
      best_scale = sum_xl / sum_l2;
      best_gain = best_scale * sum_xl;
      std::copy(candidate, candidate + n, L);
    }
  }
  return best_scale;
}

float max_of(const float* v, int n) {
  return *std::max_element(v, v + n);
}

// The value of largest magnitude, with its sign (first one on ties).
float signed_absmax(const float* v, int n) {
  float max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(v[i]) > std::fabs(max)) max = v[i];
  }
  return max;
}

// Quantizes the eight 32-element sub-block scales and mins of a Q4_K/Q5_K block to 6 bits
// against d and dmin, then recomputes the quants L (0..nmax) with the stored values.
template <typename Block>
void quantize_scales_mins_and_quants(const float* x, int nmax, Block& block, uint8_t* L) {
  float scales[8], mins[8], weights[32];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float rms = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = rms + std::fabs(xs[l]);
    scales[j] = fit_scale_offset(32, nmax, xs, weights, L + 32 * j, &mins[j], -1.0f, 0.1f, 20);
  }
  const float max_scale = max_of(scales, 8), max_min = max_of(mins, 8);
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  std::memset(block.scales, 0, sizeof block.scales);
  for (int j = 0; j < 8; ++j) {
    const int ls = std::clamp(nearest_int(inv_scale * scales[j]), 0, 63);
    const int lm = std::clamp(nearest_int(inv_min * mins[j]), 0, 63);
    if (j < 4) {
      block.scales[j] = static_cast<uint8_t>(ls);
      block.scales[j + 4] = static_cast<uint8_t>(lm);
    } else {
      block.scales[j + 4] = static_cast<uint8_t>((ls & 0xf) | (lm & 0xf) << 4);
      block.scales[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      block.scales[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  block.d = fp32_to_fp16(max_scale / 63.0f);
  block.dmin = fp32_to_fp16(max_min / 63.0f);
  const float d = fp16_to_fp32(block.d), dmin = fp16_to_fp32(block.dmin);
  uint8_t scales_mins[16];
  unpack_scales_mins_q4_K(block.scales, scales_mins);
  for (int j = 0; j < 8; ++j) {
    const float scale = d * scales_mins[j];
    const float offset = dmin * scales_mins[8 + j];
    for (int l = 0; l < 32; ++l) {
      const int q = scale > 0.0f ? nearest_int((x[32 * j + l] + offset) / scale) : 0;
      L[32 * j + l] = static_cast<uint8_t>(std::clamp(q, 0, nmax));
    }
  }
}

// Packs 256 two-bit values: element 128 * half + 32 * group + l -> bits 2*group of
// qs[32 * half + l] (shared by Q2_K and the low bits of Q3_K).
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* v = L + 128 * half + l;
      qs[32 * half + l] =
          static_cast<uint8_t>((v[0] & 3) | (v[32] & 3) << 2 | (v[64] & 3) << 4 | (v[96] & 3) << 6);
    }
  }
}

void quantize_block_q2_K(const float* x, BlockQ2_K& block) {
  float scales[kGroups], mins[kGroups], weights[16];
  uint8_t L[kBlockK];
  for (int k = 0; k < kGroups; ++k) {
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * k + l]);
    scales[k] = fit_scale_offset(16, 3, x + 16 * k, weights, L + 16 * k, &mins[k], -0.5f, 0.1f, 15);
  }
  const float max_scale = max_of(scales, kGroups), max_min = max_of(mins, kGroups);
  const float inv_scale = max_scale > 0.0f ? 15.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 15.0f / max_min : 0.0f;
  for (int k = 0; k < kGroups; ++k) {
    const int ls = std::clamp(nearest_int(inv_scale * scales[k]), 0, 15);
    const int lm = std::clamp(nearest_int(inv_min * mins[k]), 0, 15);
    block.scales[k] = static_cast<uint8_t>(ls | lm << 4);
  }
  block.d = fp32_to_fp16(max_scale / 15.0f);
  block.dmin = fp32_to_fp16(max_min / 15.0f);
  const float d = fp16_to_fp32(block.d), dmin = fp16_to_fp32(block.dmin);
  for (int k = 0; k < kGroups; ++k) {
    const float scale = d * (block.scales[k] & 0xf);
    const float offset = dmin * (block.scales[k] >> 4);
    for (int l = 0; l < 16; ++l) {
      const int q = scale > 0.0f ? nearest_int((x[16 * k + l] + offset) / scale) : 0;
      L[16 * k + l] = static_cast<uint8_t>(std::clamp(q, 0, 3));
    }
  }
  pack_2bit(L, block.qs);
}

void quantize_block_q3_K(const float* x, BlockQ3_K& block) {
  float scales[kGroups];
  uint8_t L[kBlockK];
  for (int k = 0; k < kGroups; ++k) scales[k] = fit_scale_symmetric(16, 4, x + 16 * k, L + 16 * k);
  const float max_scale = signed_absmax(scales, kGroups);
  std::memset(block.scales, 0, sizeof block.scales);
  const float iscale = max_scale != 0.0f ? -32.0f / max_scale : 0.0f;
  for (int k = 0; k < kGroups; ++k) {
    const int biased = std::clamp(nearest_int(iscale * scales[k]), -32, 31) + 32;
    if (k < 8) {
      block.scales[k] |= static_cast<uint8_t>(biased & 0xf);
    } else {
      block.scales[k - 8] |= static_cast<uint8_t>((biased & 0xf) << 4);
    }
    block.scales[8 + k % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (k / 4)));
  }
  block.d = fp32_to_fp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
  const float d = fp16_to_fp32(block.d);
  int8_t stored[kGroups];
  unpack_scales_q3_K(block.scales, stored);
  for (int k = 0; k < kGroups; ++k) {
    const float scale = d * stored[k];
    for (int l = 0; l < 16; ++l) {
      const int q = scale != 0.0f ? nearest_int(x[16 * k + l] / scale) : 0;
      L[16 * k + l] = static_cast<uint8_t>(std::clamp(q, -4, 3) + 4);
    }
  }
  std::memset(block.hmask, 0, sizeof block.hmask);
  for (int i = 0; i < kBlockK; ++i) {
    if (L[i] > 3) {
      block.hmask[i % 32] |= static_cast<uint8_t>(1 << (i / 32));
      L[i] = static_cast<uint8_t>(L[i] - 4);
    }
  }
  pack_2bit(L, block.qs);
}

void quantize_block_q4_K(const float* x, BlockQ4_K& block) {
  uint8_t L[kBlockK];
  quantize_scales_mins_and_quants(x, 15, block, L);
  for (int pair = 0; pair < 4; ++pair) {
    for (int l = 0; l < 32; ++l) {
      block.qs[32 * pair + l] = static_cast<uint8_t>(L[64 * pair + l] | L[64 * pair + 32 + l] << 4);
    }
  }
}

void quantize_block_q5_K(const float* x, BlockQ5_K& block) {
  uint8_t L[kBlockK];
  quantize_scales_mins_and_quants(x, 31, block, L);
  std::memset(block.qh, 0, sizeof block.qh);
  for (int i = 0; i < kBlockK; ++i) {
    block.qh[i % 32] |= static_cast<uint8_t>((L[i] >> 4) << (i / 32));
  }
  for (int pair = 0; pair < 4; ++pair) {
    for (int l = 0; l < 32; ++l) {
      block.qs[32 * pair + l] =
          static_cast<uint8_t>((L[64 * pair + l] & 0xf) | (L[64 * pair + 32 + l] & 0xf) << 4);
    }
  }
}

void quantize_block_q6_K(const float* x, BlockQ6_K& block) {
  float scales[kGroups];
  uint8_t L[kBlockK];
  for (int k = 0; k < kGroups; ++k) {
    scales[k] = fit_scale_symmetric(16, 32, x + 16 * k, L + 16 * k);
  }
  const float max_scale = signed_absmax(scales, kGroups);
  const float iscale = max_scale != 0.0f ? -128.0f / max_scale : 0.0f;
  for (int k = 0; k < kGroups; ++k) {
    block.scales[k] = static_cast<int8_t>(std::clamp(nearest_int(iscale * scales[k]), -128, 127));
  }
  block.d = fp32_to_fp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
  const float d = fp16_to_fp32(block.d);
  for (int k = 0; k < kGroups; ++k) {
    const float scale = d * block.scales[k];
    for (int l = 0; l < 16; ++l) {
      const int q = scale != 0.0f ? nearest_int(x[16 * k + l] / scale) : 0;
      L[16 * k + l] = static_cast<uint8_t>(std::clamp(q, -32, 31) + 32);
    }
  }
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* v = L + 128 * half + l;
      block.ql[64 * half + l] = static_cast<uint8_t>((v[0] & 0xf) | (v[64] & 0xf) << 4);
      block.ql[64 * half + 32 + l] = static_cast<uint8_t>((v[32] & 0xf) | (v[96] & 0xf) << 4);
      block.qh[32 * half + l] = static_cast<uint8_t>(v[0] >> 4 | (v[32] >> 4) << 2 |
                                                     (v[64] >> 4) << 4 | (v[96] >> 4) << 6);
    }
  }
}

template <typename Block, void (*kQuantizeBlock)(const float*, Block&)>
void quantize_row(const float* src, void* dst, int64_t n) {
  assert(n % kBlockK == 0);
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    Block block{};
    kQuantizeBlock(src + b * kBlockK, block);
    store_block(block, dst, b);
  }
}

}  // namespace

void dequantize_row_q2_K(const void* src, float* dst, int64_t n) {
  dequantize_row<BlockQ2_K>(src, dst, n);
}
void dequantize_row_q3_K(const void* src, float* dst, int64_t n) {
  dequantize_row<BlockQ3_K>(src, dst, n);
}
void dequantize_row_q4_K(const void* src, float* dst, int64_t n) {
  dequantize_row<BlockQ4_K>(src, dst, n);
}
void dequantize_row_q5_K(const void* src, float* dst, int64_t n) {
  dequantize_row<BlockQ5_K>(src, dst, n);
}
void dequantize_row_q6_K(const void* src, float* dst, int64_t n) {
  dequantize_row<BlockQ6_K>(src, dst, n);
}
void dequantize_row_q8_K(const void* src, float* dst, int64_t n) {
  assert(n % kBlockK == 0);
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ8_K block = load_block<BlockQ8_K>(src, b);
    for (int i = 0; i < kBlockK; ++i) dst[b * kBlockK + i] = block.d * block.qs[i];
  }
}

void quantize_row_q2_K(const float* src, void* dst, int64_t n) {
  quantize_row<BlockQ2_K, quantize_block_q2_K>(src, dst, n);
}
void quantize_row_q3_K(const float* src, void* dst, int64_t n) {
  quantize_row<BlockQ3_K, quantize_block_q3_K>(src, dst, n);
}
void quantize_row_q4_K(const float* src, void* dst, int64_t n) {
  quantize_row<BlockQ4_K, quantize_block_q4_K>(src, dst, n);
}
void quantize_row_q5_K(const float* src, void* dst, int64_t n) {
  quantize_row<BlockQ5_K, quantize_block_q5_K>(src, dst, n);
}
void quantize_row_q6_K(const float* src, void* dst, int64_t n) {
  quantize_row<BlockQ6_K, quantize_block_q6_K>(src, dst, n);
}

// Q8_K as ggml: the value of largest magnitude (first on ties) maps to -127, so
// d = -max / 127 carries the opposite sign; q = round_half_even(x / d), at most 127. A block
// that is all zero, or whose scale is not representable (largest magnitude infinite or so small
// that 127 / max overflows), becomes d = 0 with all quants 0.
void quantize_row_q8_K(const float* src, void* dst, int64_t n) {
  assert(n % kBlockK == 0);
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const float* x = src + b * kBlockK;
    BlockQ8_K block{};  // all zero: the result for an all-zero block
    const float max = signed_absmax(x, kBlockK);
    const float iscale = max != 0.0f ? -127.0f / max : 0.0f;
    if (q8_K_scale_usable(iscale)) {
      for (int i = 0; i < kBlockK; ++i) {
        block.qs[i] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[i])));
      }
      for (int k = 0; k < kGroups; ++k) {
        int sum = 0;
        for (int l = 0; l < 16; ++l) sum += block.qs[16 * k + l];
        block.bsums[k] = static_cast<int16_t>(sum);
      }
      block.d = 1.0f / iscale;
    }
    store_block(block, dst, b);
  }
}

float vec_dot_q2_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  return vec_dot_scalar<BlockQ2_K>(n, w, a);
}
float vec_dot_q3_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  return vec_dot_scalar<BlockQ3_K>(n, w, a);
}
float vec_dot_q4_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  return vec_dot_scalar<BlockQ4_K>(n, w, a);
}
float vec_dot_q5_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  return vec_dot_scalar<BlockQ5_K>(n, w, a);
}
float vec_dot_q6_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  return vec_dot_scalar<BlockQ6_K>(n, w, a);
}

void register_quant_k_scalar(KernelTable& table) {
  table.vec_dot[slot(DType::Q2_K)] = vec_dot_q2_K_q8_K_scalar;
  table.vec_dot[slot(DType::Q3_K)] = vec_dot_q3_K_q8_K_scalar;
  table.vec_dot[slot(DType::Q4_K)] = vec_dot_q4_K_q8_K_scalar;
  table.vec_dot[slot(DType::Q5_K)] = vec_dot_q5_K_q8_K_scalar;
  table.vec_dot[slot(DType::Q6_K)] = vec_dot_q6_K_q8_K_scalar;
  table.quantize_row[slot(DType::Q8_K)] = quantize_row_q8_K;
}

}  // namespace parley::kernels
