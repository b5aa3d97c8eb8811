// Op behaviour the ONNX node tests do not pin down: the seeding contract and the statistics of
// RandomNormalLike / RandomUniformLike (Piper's noise), and robustness on inputs where C++ would
// trap or be undefined (integer division and modulo by zero, out-of-range float -> int8 casts),
// and 1-D Conv with constant weights over input lengths that take each of its paths (few outputs:
// dot products or packed panels; long outputs: the direct kernel of conv1d_direct.h; depthwise:
// a padded-row loop), with a fused LeakyRelu producer, dilation, asymmetric pads and groups.
// Models: tests/onnx/data/ops/*.onnx, one node each (make_models.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"

namespace parley::onnx {
namespace {

std::shared_ptr<const Model> load(const std::string& name) {
  return Model::load(std::string(PARLEY_SOURCE_DIR) + "/tests/onnx/data/ops/" + name + ".onnx");
}

// Runs a one-input float model on n zeros and returns its float output.
std::vector<float> run_random(const std::string& name, int64_t n, uint64_t session_seed) {
  kernels::ThreadPool pool(1);
  SessionOptions options;
  options.random_seed = session_seed;
  Session session(load(name), pool, options);
  std::vector<float> x(static_cast<size_t>(n), 0.0f);
  const std::vector<Value> out = session.run({{"x", Value{ElemType::kFloat, Shape{n}, x.data()}}});
  EXPECT_EQ(out[0].type, ElemType::kFloat);
  EXPECT_EQ(out[0].shape, Shape{n});
  return std::vector<float>(out[0].data<float>(), out[0].data<float>() + n);
}

void mean_and_std(const std::vector<float>& v, double* mean, double* std_dev) {
  double sum = 0, sq = 0;
  for (float f : v) sum += f;
  *mean = sum / static_cast<double>(v.size());
  for (float f : v) sq += (f - *mean) * (f - *mean);
  *std_dev = std::sqrt(sq / static_cast<double>(v.size()));
}

TEST(RandomNormalLike, HasTheRequestedMeanAndScale) {
  const std::vector<float> v = run_random("random_normal_like", 200000, 1);
  double mean, std_dev;
  mean_and_std(v, &mean, &std_dev);
  // mean 2, scale 3: the sample mean's standard error is 3 / sqrt(2e5) ~ 0.0067.
  EXPECT_NEAR(mean, 2.0, 0.04);
  EXPECT_NEAR(std_dev, 3.0, 0.04);
  // About 68.3% within one sigma.
  int64_t within = 0;
  for (float f : v) within += std::fabs(f - 2.0) < 3.0 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(within) / static_cast<double>(v.size()), 0.6827, 0.01);
}

TEST(RandomNormalLike, SessionSeedMakesRunsReproducible) {
  const std::vector<float> a = run_random("random_normal_like", 64, 42);
  const std::vector<float> b = run_random("random_normal_like", 64, 42);
  const std::vector<float> c = run_random("random_normal_like", 64, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(RandomNormalLike, SeedAttributeOverridesTheSession) {
  const std::vector<float> a = run_random("random_normal_like_seeded", 64, 1);
  const std::vector<float> b = run_random("random_normal_like_seeded", 64, 2);
  EXPECT_EQ(a, b);
}

TEST(RandomNormalLike, SuccessiveRunsOfOneSessionDiffer) {
  kernels::ThreadPool pool(1);
  Session session(load("random_normal_like"), pool);
  std::vector<float> x(16, 0.0f);
  const Value feed{ElemType::kFloat, Shape{16}, x.data()};
  std::vector<Value> out1 = session.run({{"x", feed}});
  const std::vector<float> run1(out1[0].data<float>(), out1[0].data<float>() + 16);
  std::vector<Value> out2 = session.run({{"x", feed}});
  const std::vector<float> run2(out2[0].data<float>(), out2[0].data<float>() + 16);
  EXPECT_NE(run1, run2);
}

TEST(RandomUniformLike, StaysInRangeWithUniformMoments) {
  const std::vector<float> v = run_random("random_uniform_like", 200000, 5);
  for (float f : v) {
    ASSERT_GE(f, -1.0f);
    ASSERT_LT(f, 3.0f);
  }
  double mean, std_dev;
  mean_and_std(v, &mean, &std_dev);
  EXPECT_NEAR(mean, 1.0, 0.02);                       // (low + high) / 2
  EXPECT_NEAR(std_dev, 4.0 / std::sqrt(12.0), 0.02);  // (high - low) / sqrt(12)
}

// Runs a two-input int32 model elementwise.
std::vector<int32_t> run_int(const std::string& name, std::vector<int32_t> a,
                             std::vector<int32_t> b) {
  kernels::ThreadPool pool(1);
  Session session(load(name), pool);
  const auto n = static_cast<int64_t>(a.size());
  const std::vector<Value> out = session.run({{"a", Value{ElemType::kInt32, Shape{n}, a.data()}},
                                              {"b", Value{ElemType::kInt32, Shape{n}, b.data()}}});
  return std::vector<int32_t>(out[0].data<int32_t>(), out[0].data<int32_t>() + n);
}

TEST(IntegerArithmetic, DivisionTruncatesAndNeverTraps) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  // kMin / -1 overflows: it wraps to kMin (as NumPy does) instead of trapping.
  EXPECT_EQ(run_int("div_int32", {7, -7, 7, 5, kMin, kMin}, {2, 2, 0, -5, 1, -1}),
            (std::vector<int32_t>{3, -3, 0, -1, kMin, kMin}));
}

TEST(IntegerArithmetic, ModTakesTheDivisorsSignAndNeverTraps) {
  // fmod = 0: Python semantics, e.g. -7 mod 3 = 2, 7 mod -3 = -2.
  EXPECT_EQ(run_int("mod_int32", {-7, 7, 7, -7, 5, std::numeric_limits<int32_t>::min()},
                    {3, -3, 3, -3, 0, -1}),
            (std::vector<int32_t>{2, -2, 1, -1, 0, 0}));
}

TEST(Cast, FloatToInt8TruncatesAndSaturates) {
  kernels::ThreadPool pool(1);
  Session session(load("cast_float_to_int8"), pool);
  std::vector<float> x = {1.9f,
                          -1.9f,
                          300.0f,
                          -300.0f,
                          std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()};
  const std::vector<Value> out = session.run({{"x", Value{ElemType::kFloat, Shape{6}, x.data()}}});
  ASSERT_EQ(out[0].type, ElemType::kInt8);
  const int8_t* q = out[0].data<int8_t>();
  EXPECT_EQ(std::vector<int8_t>(q, q + 6), (std::vector<int8_t>{1, -1, 127, -128, 0, 127}));
}

// The weights make_models.py writes: scale * sin(0.37 i + phase), as float.
std::vector<float> conv_weights(int64_t n, double scale, double phase) {
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    w[i] = static_cast<float>(scale * std::sin(0.37 * static_cast<double>(i) + phase));
  }
  return w;
}

struct Conv1dSpec {
  const char* name;
  int64_t channels, maps, kernel, group, dilation, pad_begin, pad_end;
  bool leaky;
};

void check_conv1d(const Conv1dSpec& c, int64_t t, int threads) {
  const int64_t cg = c.channels / c.group, mg = c.maps / c.group;
  const std::vector<float> w = conv_weights(c.maps * cg * c.kernel, 0.5, 0.1);
  const std::vector<float> b = conv_weights(c.maps, 0.1, 1.0);
  std::vector<float> x(static_cast<size_t>(c.channels * t));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.13 * i) * 2.0);
  kernels::ThreadPool pool(threads);
  Session session(load(c.name), pool);
  const std::vector<Value> out =
      session.run({{"x", Value{ElemType::kFloat, Shape{1, c.channels, t}, x.data()}}});
  const int64_t u = t + c.pad_begin + c.pad_end - (c.kernel - 1) * c.dilation;
  ASSERT_EQ(out[0].shape, (Shape{1, c.maps, u})) << c.name << " t=" << t;
  const float* y = out[0].data<float>();
  for (int64_t m = 0; m < c.maps; ++m) {
    const int64_t grp = m / mg;
    for (int64_t o = 0; o < u; ++o) {
      double e = b[m];
      for (int64_t ci = 0; ci < cg; ++ci) {
        for (int64_t k = 0; k < c.kernel; ++k) {
          const int64_t i = o + k * c.dilation - c.pad_begin;
          if (i < 0 || i >= t) continue;
          double v = x[(grp * cg + ci) * t + i];
          if (c.leaky && v < 0) v *= 0.1;
          e += static_cast<double>(w[(m * cg + ci) * c.kernel + k]) * v;
        }
      }
      ASSERT_NEAR(y[m * u + o], e, 1e-4 * (1.0 + std::fabs(e)))
          << c.name << " t=" << t << " threads=" << threads << " at (" << m << ", " << o << ")";
    }
  }
}

TEST(Conv1d, EveryPathMatchesTheDefinition) {
  const Conv1dSpec specs[] = {{"conv1d_leaky_dilated", 6, 10, 5, 1, 3, 6, 5, true},
                              {"conv1d_grouped", 6, 8, 3, 2, 1, 1, 1, false},
                              {"conv1d_depthwise", 6, 6, 5, 6, 2, 4, 3, false}};
  for (const Conv1dSpec& spec : specs) {
    // 8 -> few outputs, 40 -> packed panels, 301 and 2000 -> the direct kernel (with a tail);
    // depthwise: the padded-row loop up to 4,096 samples, the bounds-checked loop past it.
    for (int64_t t : {8, 40, 301, 2000, 5000}) {
      for (int threads : {1, 2}) check_conv1d(spec, t, threads);
    }
  }
}

// y[m, t] = conv(a, w1; pads 1) + conv(a, w2; dilation 2, pads 4) (+ mean over channels of a)
// with a = LeakyRelu(x, 0.2) read by both Convs (fused into each) and, in the second model, also
// by a ReduceMean (not fused: it stays a node).
TEST(Conv1d, SharedLeakyReluFusedIntoEveryConvReaderKeepsTheDefinition) {
  const std::vector<float> w1 = conv_weights(36, 0.5, 0.1), w2 = conv_weights(60, 0.5, 2.0);
  for (const bool with_mean : {false, true}) {
    for (int64_t t : {10, 100, 700}) {
      std::vector<float> x(static_cast<size_t>(3 * t));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.7 * i) * 1.5);
      std::vector<double> a(x.size());
      for (size_t i = 0; i < x.size(); ++i) a[i] = x[i] >= 0 ? x[i] : 0.2 * x[i];
      kernels::ThreadPool pool(2);
      Session session(load(with_mean ? "conv1d_shared_leaky_and_mean" : "conv1d_shared_leaky"),
                      pool);
      const std::vector<Value> out =
          session.run({{"x", Value{ElemType::kFloat, Shape{1, 3, t}, x.data()}}});
      ASSERT_EQ(out[0].shape, (Shape{1, 4, t}));
      const float* y = out[0].data<float>();
      for (int64_t m = 0; m < 4; ++m) {
        for (int64_t o = 0; o < t; ++o) {
          double e = 0;
          for (int64_t c = 0; c < 3; ++c) {
            for (int64_t k = 0; k < 3; ++k) {
              const int64_t i = o + k - 1;
              if (i >= 0 && i < t) e += static_cast<double>(w1[(m * 3 + c) * 3 + k]) * a[c * t + i];
            }
            for (int64_t k = 0; k < 5; ++k) {
              const int64_t i = o + 2 * k - 4;
              if (i >= 0 && i < t) e += static_cast<double>(w2[(m * 3 + c) * 5 + k]) * a[c * t + i];
            }
          }
          if (with_mean) e += (a[o] + a[t + o] + a[2 * t + o]) / 3.0;
          ASSERT_NEAR(y[m * t + o], e, 1e-4 * (1.0 + std::fabs(e)))
              << "t=" << t << " mean=" << with_mean << " at (" << m << ", " << o << ")";
        }
      }
    }
  }
}

// Depthwise 2-D: y[c, oh, ow] = b[c] + sum w[c, kh, kw] * x[c, oh + 2 kh - 2, ow + kw - 1] (zero
// outside), on planes that take the padded-plane path (small) and the bounds-checked one (large).
TEST(Conv2dDepthwise, MatchesTheDefinitionOnEitherPath) {
  const std::vector<float> w = conv_weights(60, 0.5, 0.3), b = conv_weights(4, 0.1, 1.0);
  for (const auto& [h, wd] : {std::pair<int64_t, int64_t>{1, 1}, {6, 9}, {22, 19}, {70, 80}}) {
    std::vector<float> x(static_cast<size_t>(4 * h * wd));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.31 * i));
    kernels::ThreadPool pool(2);
    Session session(load("conv2d_depthwise"), pool);
    const std::vector<Value> out =
        session.run({{"x", Value{ElemType::kFloat, Shape{1, 4, h, wd}, x.data()}}});
    const int64_t oh_n = h + 3 - 4, ow_n = wd + 4 - 4;  // pads 2+1 and 1+3, extents 5 and 5
    ASSERT_EQ(out[0].shape, (Shape{1, 4, oh_n, ow_n}));
    const float* y = out[0].data<float>();
    for (int64_t c = 0; c < 4; ++c) {
      for (int64_t oh = 0; oh < oh_n; ++oh) {
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          double e = b[c];
          for (int64_t kh = 0; kh < 3; ++kh) {
            for (int64_t kw = 0; kw < 5; ++kw) {
              const int64_t ih = oh + 2 * kh - 2, iw = ow + kw - 1;
              if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
              e += static_cast<double>(w[(c * 3 + kh) * 5 + kw]) * x[(c * h + ih) * wd + iw];
            }
          }
          ASSERT_NEAR(y[(c * oh_n + oh) * ow_n + ow], e, 1e-4 * (1.0 + std::fabs(e)))
              << h << "x" << wd << " at (" << c << ", " << oh << ", " << ow << ")";
        }
      }
    }
  }
}

}  // namespace
}  // namespace parley::onnx
