// RoPE and attention over a KV cache (declared in ops.h).
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/error.h"
#include "kernels/fp16.h"
#include "kernels/ops.h"

namespace parley::kernels {
namespace {

constexpr int64_t kFloatBytes = sizeof(float);
constexpr int64_t kChunk = 256;  // head_dim elements of an F16 V row converted at a time
constexpr int64_t kMaxHeadDim = 1024;  // largest head_dim attention accepts (stack scratch)

std::string shapes_text(std::initializer_list<const Tensor*> tensors) {
  std::string text;
  for (const Tensor* t : tensors) text += (text.empty() ? "" : ", ") + t->describe();
  return text;
}

bool innermost_packed(const Tensor& t) {
  const int64_t n = t.dim(t.ndim() - 1);
  return n <= 1 || t.stride_bytes(t.ndim() - 1) == dtype_traits(t.dtype()).block_bytes;
}

// x, out: F32 [n_heads, head_dim] (one token) or [n_tokens, n_heads, head_dim], validated.
void rope_rows(const Tensor& x, std::span<const int64_t> positions, const RopeConfig& config,
               const Tensor& out) {
  const int rank = x.ndim();
  const int64_t n_tokens = rank == 3 ? x.dim(0) : 1;
  const int64_t n_heads = x.dim(rank - 2);
  const int64_t head_dim = x.dim(rank - 1);
  const int64_t x_token_stride = rank == 3 ? x.stride_bytes(0) : 0;
  const int64_t out_token_stride = rank == 3 ? out.stride_bytes(0) : 0;
  const int64_t rotary_dims = config.rotary_dims == 0 ? head_dim : config.rotary_dims;
  const int64_t half = rotary_dims / 2;
  const bool interleaved = config.layout == RopeLayout::Interleaved;
  const auto* x_bytes = static_cast<const uint8_t*>(x.data());
  auto* out_bytes = static_cast<uint8_t*>(out.data());
  const auto row_in = [&](int64_t t, int64_t h) {
    return reinterpret_cast<const float*>(x_bytes + t * x_token_stride +
                                          h * x.stride_bytes(rank - 2));
  };
  const auto row_out = [&](int64_t t, int64_t h) {
    return reinterpret_cast<float*>(out_bytes + t * out_token_stride +
                                    h * out.stride_bytes(rank - 2));
  };
  for (int64_t t = 0; t < n_tokens; ++t) {
    const double position = static_cast<double>(positions[static_cast<size_t>(t)]) *
                            static_cast<double>(config.freq_scale);
    for (int64_t i = 0; i < half; ++i) {
      const double inv_freq =
          std::pow(static_cast<double>(config.freq_base),
                   -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dims));
      const double theta = position * inv_freq;
      const double c = std::cos(theta);
      const double s = std::sin(theta);
      const int64_t first = interleaved ? 2 * i : i;
      const int64_t second = interleaved ? 2 * i + 1 : i + half;
      for (int64_t h = 0; h < n_heads; ++h) {
        const float* xr = row_in(t, h);
        float* yr = row_out(t, h);
        const double x0 = xr[first];
        const double x1 = xr[second];
        yr[first] = static_cast<float>(x0 * c - x1 * s);
        yr[second] = static_cast<float>(x0 * s + x1 * c);
      }
    }
    if (rotary_dims < head_dim) {
      for (int64_t h = 0; h < n_heads; ++h) {
        const float* xr = row_in(t, h);
        float* yr = row_out(t, h);
        if (xr != yr) std::copy(xr + rotary_dims, xr + head_dim, yr + rotary_dims);
      }
    }
  }
}

void check_rope(const Tensor& x, const RopeConfig& config, const Tensor& out, const char* op) {
  if (x.dtype() != DType::F32 || out.dtype() != DType::F32) {
    throw Error(std::string(op) + ": tensors must be f32: " + shapes_text({&x, &out}));
  }
  if (x.ndim() != out.ndim() || x.ndim() < 2 || x.ndim() > 3) {
    throw Error(std::string(op) + ": bad ranks: " + shapes_text({&x, &out}));
  }
  for (int i = 0; i < x.ndim(); ++i) {
    if (x.dim(i) != out.dim(i)) {
      throw Error(std::string(op) + ": shapes differ: " + shapes_text({&x, &out}));
    }
  }
  if (!innermost_packed(x) || !innermost_packed(out)) {
    throw Error(std::string(op) + ": head_dim axis must be contiguous: " + shapes_text({&x, &out}));
  }
  const int64_t head_dim = x.dim(x.ndim() - 1);
  const int64_t rotary_dims = config.rotary_dims == 0 ? head_dim : config.rotary_dims;
  if (rotary_dims <= 0 || rotary_dims % 2 != 0 || rotary_dims > head_dim) {
    throw Error(std::string(op) + ": rotary_dims " + std::to_string(config.rotary_dims) +
                " must be even and within head_dim " + std::to_string(head_dim));
  }
  if (!(config.freq_base > 0.0f) || !(config.freq_scale > 0.0f)) {
    throw Error(std::string(op) + ": freq_base and freq_scale must be positive");
  }
}

struct AttentionShape {
  int64_t n_tokens, n_head, head_dim, n_kv_head, n_ctx;
};

// q, out: [n_tokens, n_head, head_dim] (a 2-D decode query is viewed as n_tokens = 1).
void attention_rows(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                    int64_t first_position, std::span<float> scores, const Tensor& out,
                    const AttentionShape& shape, float scale) {
  const KernelTable& table = kernels();
  const VecDotFn dot = table.vec_dot[static_cast<int>(k_cache.dtype())];
  const bool v_is_f16 = v_cache.dtype() == DType::F16;
  const bool k_is_f16 = k_cache.dtype() == DType::F16;
  float q_rounded[kMaxHeadDim];
  const ToFloatFn v_to_float = table.dequantize_row[slot(v_cache.dtype())];
  const int64_t group = shape.n_head / shape.n_kv_head;
  const int q_rank = q.ndim();
  const int64_t q_token_stride = q_rank == 3 ? q.stride_bytes(0) : 0;
  const int64_t out_token_stride = q_rank == 3 ? out.stride_bytes(0) : 0;
  const int64_t q_head_stride = q.stride_bytes(q_rank - 2);
  const int64_t out_head_stride = out.stride_bytes(q_rank - 2);
  const auto* k_bytes = static_cast<const uint8_t*>(k_cache.data());
  const auto* v_bytes = static_cast<const uint8_t*>(v_cache.data());
  for (int64_t t = 0; t < shape.n_tokens; ++t) {
    const int64_t length = first_position + t + 1;  // causal: positions 0..first_position + t
    for (int64_t h = 0; h < shape.n_head; ++h) {
      const int64_t g = h / group;
      const auto* q_row = reinterpret_cast<const float*>(static_cast<const uint8_t*>(q.data()) +
                                                         t * q_token_stride + h * q_head_stride);
      const uint8_t* k_head = k_bytes + g * k_cache.stride_bytes(0);
      if (k_is_f16) {
        // With an f16 cache the query is rounded to f16 too, as llama.cpp's CPU path does
        // (its f16 dot converts the f32 side), so results agree with GGUF runners.
        for (int64_t i = 0; i < shape.head_dim; ++i) q_rounded[i] = fp16_to_fp32(fp32_to_fp16(q_row[i]));
        q_row = q_rounded;
      }
      for (int64_t p = 0; p < length; ++p) {
        scores[static_cast<size_t>(p)] =
            scale * dot(shape.head_dim, k_head + p * k_cache.stride_bytes(1), q_row);
      }
      table.softmax(length, scores.data(), scores.data());
      // q_row is not read again, so out may be the same view as q.
      auto* out_row = reinterpret_cast<float*>(static_cast<uint8_t*>(out.data()) +
                                               t * out_token_stride + h * out_head_stride);
      std::fill(out_row, out_row + shape.head_dim, 0.0f);
      const uint8_t* v_head = v_bytes + g * v_cache.stride_bytes(0);
      for (int64_t p = 0; p < length; ++p) {
        // Likewise the weights meet an f16 V as f16 values.
        const float weight = v_is_f16 ? fp16_to_fp32(fp32_to_fp16(scores[static_cast<size_t>(p)]))
                                      : scores[static_cast<size_t>(p)];
        const uint8_t* v_row = v_head + p * v_cache.stride_bytes(1);
        if (!v_is_f16) {
          table.axpy(shape.head_dim, weight, reinterpret_cast<const float*>(v_row), out_row);
          continue;
        }
        float chunk[kChunk];
        for (int64_t start = 0; start < shape.head_dim; start += kChunk) {
          const int64_t len = std::min(kChunk, shape.head_dim - start);
          v_to_float(v_row + start * 2, chunk, len);
          table.axpy(len, weight, chunk, out_row + start);
        }
      }
    }
  }
}

AttentionShape check_attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                               int64_t first_position, std::span<float> scores, const Tensor& out,
                               int q_rank, const char* op) {
  const auto fail = [&](const std::string& why) {
    throw Error(std::string(op) + ": " + why + " (q, k_cache, v_cache, out: " +
                shapes_text({&q, &k_cache, &v_cache, &out}) + ")");
  };
  if (q.dtype() != DType::F32 || out.dtype() != DType::F32) fail("q and out must be f32");
  for (const Tensor* cache : {&k_cache, &v_cache}) {
    if (cache->dtype() != DType::F32 && cache->dtype() != DType::F16)
      fail("caches must be f32 or f16");
    if (cache->ndim() != 3) fail("caches must be [n_kv_head, n_ctx, head_dim]");
  }
  if (q.ndim() != q_rank || out.ndim() != q_rank) {
    fail(q_rank == 2 ? "q and out must be [n_head, head_dim]"
                     : "q and out must be [n_tokens, n_head, head_dim]");
  }
  for (int i = 0; i < q_rank; ++i) {
    if (q.dim(i) != out.dim(i)) fail("q and out shapes differ");
  }
  for (int i = 0; i < 3; ++i) {
    if (k_cache.dim(i) != v_cache.dim(i)) fail("k_cache and v_cache shapes differ");
  }
  AttentionShape shape{q_rank == 3 ? q.dim(0) : 1, q.dim(q_rank - 2), q.dim(q_rank - 1),
                       k_cache.dim(0), k_cache.dim(1)};
  if (k_cache.dim(2) != shape.head_dim) fail("head_dim of q and the caches differ");
  if (shape.head_dim > kMaxHeadDim) fail("head_dim above " + std::to_string(kMaxHeadDim));
  if (shape.n_kv_head <= 0 || shape.n_head % shape.n_kv_head != 0)
    fail("n_head must be a multiple of n_kv_head");
  if (!innermost_packed(q) || !innermost_packed(out) || !innermost_packed(k_cache) ||
      !innermost_packed(v_cache)) {
    fail("the head_dim axis must be contiguous");
  }
  const int64_t last_position = first_position + shape.n_tokens - 1;
  if (first_position < 0 || last_position >= shape.n_ctx) {
    fail("positions " + std::to_string(first_position) + ".." + std::to_string(last_position) +
         " outside the cache");
  }
  if (static_cast<int64_t>(scores.size()) < last_position + 1) {
    fail("scores_scratch holds " + std::to_string(scores.size()) + " floats, needs " +
         std::to_string(last_position + 1));
  }
  return shape;
}

float attention_scale(std::optional<float> scale, int64_t head_dim) {
  return scale.has_value() ? *scale
                           : static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
}

}  // namespace

void rope(const Tensor& x, int64_t position, const RopeConfig& config, const Tensor& out) {
  check_rope(x, config, out, "rope");
  if (x.ndim() != 2) {
    throw Error("rope: x must be [n_heads, head_dim], got " + x.describe());
  }
  const int64_t positions[1] = {position};
  rope_rows(x, positions, config, out);
}

void rope_tokens(const Tensor& x, std::span<const int64_t> positions, const RopeConfig& config,
                 const Tensor& out) {
  check_rope(x, config, out, "rope_tokens");
  if (x.ndim() != 3 || static_cast<int64_t>(positions.size()) != x.dim(0)) {
    throw Error(
        "rope_tokens: x must be [n_tokens, n_heads, head_dim] with one position per "
        "token, got " +
        x.describe() + " and " + std::to_string(positions.size()) + " positions");
  }
  rope_rows(x, positions, config, out);
}

void attention_decode(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                      int64_t position, std::span<float> scores_scratch, const Tensor& out,
                      std::optional<float> scale) {
  const AttentionShape shape =
      check_attention(q, k_cache, v_cache, position, scores_scratch, out, 2, "attention_decode");
  attention_rows(q, k_cache, v_cache, position, scores_scratch, out, shape,
                 attention_scale(scale, shape.head_dim));
}

void attention_prefill(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                       int64_t first_position, std::span<float> scores_scratch, const Tensor& out,
                       std::optional<float> scale) {
  const AttentionShape shape = check_attention(q, k_cache, v_cache, first_position, scores_scratch,
                                               out, 3, "attention_prefill");
  attention_rows(q, k_cache, v_cache, first_position, scores_scratch, out, shape,
                 attention_scale(scale, shape.head_dim));
}

}  // namespace parley::kernels
