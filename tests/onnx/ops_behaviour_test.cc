// Op behaviour the ONNX node tests do not pin down: the seeding contract and the statistics of
// RandomNormalLike / RandomUniformLike (Piper's noise), and robustness on inputs where C++ would
// trap or be undefined (integer division and modulo by zero, out-of-range float -> int8 casts).
// Models: tests/onnx/data/ops/*.onnx, one node each (make_models.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
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

}  // namespace
}  // namespace parley::onnx
