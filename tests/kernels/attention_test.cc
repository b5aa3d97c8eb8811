// RoPE and attention over a KV cache (kernels/ops.h) against closed forms and a naive
// full-matrix computation in double.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/error.h"
#include "kernels/fp16.h"
#include "kernels/ops.h"

namespace parley::kernels {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Rope, HandBuiltVectorMatchesClosedForm) {
  // head_dim 4, base 100: pair 0 turns by position * 1, pair 1 by position * 100^(-1/2).
  std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f}, y(4);
  RopeConfig config;
  config.freq_base = 100.0f;
  rope(Tensor::contiguous(x.data(), DType::F32, {1, 4}), 3, config,
       Tensor::contiguous(y.data(), DType::F32, {1, 4}));
  const double a = 3.0, b = 0.3;
  EXPECT_NEAR(y[0], 1 * std::cos(a) - 2 * std::sin(a), 1e-6);
  EXPECT_NEAR(y[1], 1 * std::sin(a) + 2 * std::cos(a), 1e-6);
  EXPECT_NEAR(y[2], 3 * std::cos(b) - 4 * std::sin(b), 1e-6);
  EXPECT_NEAR(y[3], 3 * std::sin(b) + 4 * std::cos(b), 1e-6);
  // NeoX pairs (0, 2) and (1, 3).
  config.layout = RopeLayout::NeoX;
  rope(Tensor::contiguous(x.data(), DType::F32, {1, 4}), 3, config,
       Tensor::contiguous(y.data(), DType::F32, {1, 4}));
  EXPECT_NEAR(y[0], 1 * std::cos(a) - 3 * std::sin(a), 1e-6);
  EXPECT_NEAR(y[2], 1 * std::sin(a) + 3 * std::cos(a), 1e-6);
  EXPECT_NEAR(y[1], 2 * std::cos(b) - 4 * std::sin(b), 1e-6);
  EXPECT_NEAR(y[3], 2 * std::sin(b) + 4 * std::cos(b), 1e-6);
}

TEST(Rope, NeoxIsInterleavedWithPermutedDims) {
  const int64_t heads = 3, head_dim = 64, rotary = 48;
  std::vector<float> x = random_vector(size_t(heads * head_dim), 1);
  std::vector<float> neox_in(x.size()), normal_out(x.size()), neox_out(x.size());
  // NeoX layout: first halves of the pairs, then second halves; unrotated tail unchanged.
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < rotary / 2; ++i) {
      neox_in[size_t(h * head_dim + i)] = x[size_t(h * head_dim + 2 * i)];
      neox_in[size_t(h * head_dim + i + rotary / 2)] = x[size_t(h * head_dim + 2 * i + 1)];
    }
    for (int64_t i = rotary; i < head_dim; ++i)
      neox_in[size_t(h * head_dim + i)] = x[size_t(h * head_dim + i)];
  }
  RopeConfig config{rotary, 10000.0f, 1.0f, RopeLayout::Interleaved};
  rope(Tensor::contiguous(x.data(), DType::F32, {heads, head_dim}), 17, config,
       Tensor::contiguous(normal_out.data(), DType::F32, {heads, head_dim}));
  config.layout = RopeLayout::NeoX;
  rope(Tensor::contiguous(neox_in.data(), DType::F32, {heads, head_dim}), 17, config,
       Tensor::contiguous(neox_out.data(), DType::F32, {heads, head_dim}));
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < rotary / 2; ++i) {
      EXPECT_EQ(neox_out[size_t(h * head_dim + i)], normal_out[size_t(h * head_dim + 2 * i)]);
      EXPECT_EQ(neox_out[size_t(h * head_dim + i + rotary / 2)],
                normal_out[size_t(h * head_dim + 2 * i + 1)]);
    }
    for (int64_t i = rotary; i < head_dim; ++i) {
      EXPECT_EQ(normal_out[size_t(h * head_dim + i)], x[size_t(h * head_dim + i)]);
    }
  }
}

TEST(Rope, TokensScaleAndInPlace) {
  const int64_t tokens = 3, heads = 2, head_dim = 8;
  std::vector<float> x = random_vector(size_t(tokens * heads * head_dim), 2), batch = x;
  const int64_t positions[] = {4, 10, 30};  // even, see below
  RopeConfig config{0, 500.0f, 0.5f, RopeLayout::NeoX};
  const Tensor t = Tensor::contiguous(batch.data(), DType::F32, {tokens, heads, head_dim});
  rope_tokens(t, positions, config, t);  // in place
  RopeConfig unscaled = config;
  unscaled.freq_scale = 1.0f;
  for (int64_t k = 0; k < tokens; ++k) {
    std::vector<float> single(size_t(heads * head_dim));
    // freq_scale 0.5 at position p equals no scaling at position p / 2 (p even).
    rope(Tensor::contiguous(x.data() + k * heads * head_dim, DType::F32, {heads, head_dim}),
         positions[k] / 2, unscaled,
         Tensor::contiguous(single.data(), DType::F32, {heads, head_dim}));
    for (int64_t i = 0; i < heads * head_dim; ++i) {
      EXPECT_NEAR(batch[size_t(k * heads * head_dim + i)], single[size_t(i)], 1e-6);
    }
  }
  std::vector<float> bad(12);
  const Tensor odd = Tensor::contiguous(bad.data(), DType::F32, {2, 6});
  EXPECT_THROW(rope(odd, 0, RopeConfig{5}, odd), Error);
  EXPECT_THROW(rope(odd, 0, RopeConfig{8}, odd), Error);
  EXPECT_THROW(rope_tokens(t, std::span<const int64_t>(positions, 2), config, t), Error);
}

// Naive attention in double over caches given as float values, [n_kv, n_ctx, hd] contiguous.
std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int64_t n_head, int64_t n_kv,
                                    int64_t n_ctx, int64_t hd, int64_t position,
                                    bool f16_cache = false) {
  // With an f16 cache the kernel rounds q and the softmax weights to f16 (as llama.cpp does).
  auto seen = [&](double x) { return f16_cache ? double(fp16_to_fp32(fp32_to_fp16(float(x)))) : x; };
  std::vector<double> out(size_t(n_head * hd), 0.0);
  const double scale = 1.0 / std::sqrt(double(hd));
  for (int64_t h = 0; h < n_head; ++h) {
    const int64_t g = h / (n_head / n_kv);
    std::vector<double> s(size_t(position + 1));
    double top = -1e300, total = 0.0;
    for (int64_t p = 0; p <= position; ++p) {
      double dot = 0.0;
      for (int64_t d = 0; d < hd; ++d)
        dot += seen(q[size_t(h * hd + d)]) * k[size_t((g * n_ctx + p) * hd + d)];
      s[size_t(p)] = dot * scale;
      top = std::max(top, s[size_t(p)]);
    }
    for (double& e : s) total += (e = std::exp(e - top));
    for (int64_t p = 0; p <= position; ++p)
      for (int64_t d = 0; d < hd; ++d)
        out[size_t(h * hd + d)] += seen(s[size_t(p)] / total) * v[size_t((g * n_ctx + p) * hd + d)];
  }
  return out;
}

TEST(Attention, DecodeMatchesNaiveWithGqaAndF16Cache) {
  const int64_t n_head = 8, n_kv = 2, n_ctx = 40, hd = 64, position = 29;
  std::vector<float> q = random_vector(size_t(n_head * hd), 3);
  std::vector<float> k = random_vector(size_t(n_kv * n_ctx * hd), 4);
  std::vector<float> v = random_vector(size_t(n_kv * n_ctx * hd), 5);
  for (float& x : k) x *= 4.0f;  // sharper softmax
  std::vector<float> scratch(n_ctx), out(q.size());
  const Tensor tq = Tensor::contiguous(q.data(), DType::F32, {n_head, hd});
  const Tensor tout = Tensor::contiguous(out.data(), DType::F32, {n_head, hd});
  for (DType cache_type : {DType::F32, DType::F16}) {
    std::vector<uint16_t> k16(k.size()), v16(v.size());
    std::vector<float> k_seen = k, v_seen = v;  // the values the kernel actually reads
    if (cache_type == DType::F16) {
      for (size_t i = 0; i < k.size(); ++i) {
        k16[i] = fp32_to_fp16(k[i]);
        v16[i] = fp32_to_fp16(v[i]);
        k_seen[i] = fp16_to_fp32(k16[i]);
        v_seen[i] = fp16_to_fp32(v16[i]);
      }
    }
    void* kd = cache_type == DType::F16 ? static_cast<void*>(k16.data()) : k.data();
    void* vd = cache_type == DType::F16 ? static_cast<void*>(v16.data()) : v.data();
    const Tensor tk = Tensor::contiguous(kd, cache_type, {n_kv, n_ctx, hd});
    const Tensor tv = Tensor::contiguous(vd, cache_type, {n_kv, n_ctx, hd});
    attention_decode(tq, tk, tv, position, scratch, tout);
    const std::vector<double> want =
        naive_attention(q, k_seen, v_seen, n_head, n_kv, n_ctx, hd, position, cache_type == DType::F16);
    // f16: a weight computed in float may round to the other neighbouring half than the double
    // reference's, one half-ulp (2^-11 relative) of one weight.
    const double tolerance = cache_type == DType::F16 ? 1e-4 : 2e-6;
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_NEAR(out[i], want[i], tolerance) << dtype_name(cache_type) << " " << i;
  }
  // Cache stored [n_ctx, n_kv, hd] and viewed through permute(); out aliasing q.
  std::vector<float> k_ctx_major(k.size()), v_ctx_major(v.size());
  for (int64_t g = 0; g < n_kv; ++g)
    for (int64_t p = 0; p < n_ctx; ++p)
      for (int64_t d = 0; d < hd; ++d) {
        k_ctx_major[size_t((p * n_kv + g) * hd + d)] = k[size_t((g * n_ctx + p) * hd + d)];
        v_ctx_major[size_t((p * n_kv + g) * hd + d)] = v[size_t((g * n_ctx + p) * hd + d)];
      }
  const Tensor tk =
      Tensor::contiguous(k_ctx_major.data(), DType::F32, {n_ctx, n_kv, hd}).permute({1, 0, 2});
  const Tensor tv =
      Tensor::contiguous(v_ctx_major.data(), DType::F32, {n_ctx, n_kv, hd}).permute({1, 0, 2});
  const std::vector<double> want = naive_attention(q, k, v, n_head, n_kv, n_ctx, hd, position);
  attention_decode(tq, tk, tv, position, scratch, tq);
  for (size_t i = 0; i < q.size(); ++i) ASSERT_NEAR(q[i], want[i], 2e-6) << i;
}

TEST(Attention, PrefillMatchesNaivePerToken) {
  const int64_t n_tokens = 5, n_head = 4, n_kv = 4, n_ctx = 32, hd = 16, first = 10;
  std::vector<float> q = random_vector(size_t(n_tokens * n_head * hd), 6);
  std::vector<float> k = random_vector(size_t(n_kv * n_ctx * hd), 7);
  std::vector<float> v = random_vector(size_t(n_kv * n_ctx * hd), 8);
  std::vector<float> out(q.size()), scratch(size_t(first + n_tokens));
  const Tensor tk = Tensor::contiguous(k.data(), DType::F32, {n_kv, n_ctx, hd});
  const Tensor tv = Tensor::contiguous(v.data(), DType::F32, {n_kv, n_ctx, hd});
  attention_prefill(Tensor::contiguous(q.data(), DType::F32, {n_tokens, n_head, hd}), tk, tv, first,
                    scratch, Tensor::contiguous(out.data(), DType::F32, {n_tokens, n_head, hd}));
  for (int64_t t = 0; t < n_tokens; ++t) {
    const std::vector<float> qt(q.begin() + t * n_head * hd, q.begin() + (t + 1) * n_head * hd);
    const std::vector<double> want = naive_attention(qt, k, v, n_head, n_kv, n_ctx, hd, first + t);
    for (int64_t i = 0; i < n_head * hd; ++i) {
      ASSERT_NEAR(out[size_t(t * n_head * hd + i)], want[size_t(i)], 2e-6) << "token " << t;
    }
  }
  // Errors: scratch too small, positions beyond the cache, heads not a multiple.
  std::vector<float> small(first + n_tokens - 1);
  const Tensor tq = Tensor::contiguous(q.data(), DType::F32, {n_tokens, n_head, hd});
  const Tensor to = Tensor::contiguous(out.data(), DType::F32, {n_tokens, n_head, hd});
  EXPECT_THROW(attention_prefill(tq, tk, tv, first, small, to), Error);
  EXPECT_THROW(attention_prefill(tq, tk, tv, n_ctx - 2, std::span<float>(k), to), Error);
  const Tensor tk3 = Tensor::contiguous(k.data(), DType::F32, {3, 2, hd});
  try {
    attention_decode(tq.slice(0, 0, 1).reshape({n_head, hd}), tk3, tk3, 0, scratch,
                     to.slice(0, 0, 1).reshape({n_head, hd}));
    FAIL() << "expected parley::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f32[3, 2, 16]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f32[4, 16]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace parley::kernels
