// log_f32 and erf_f32 (kernels/onnx/vector_math.h) against std::log / std::erf: error on wide
// input ranges (relative near zero for erf, where the ONNX tests compare with rtol 1e-3 and
// atol 1e-7), special values (0, negatives, subnormals, inf, NaN), odd lengths, in-place use.
#include "kernels/onnx/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace parley::onnx {
namespace {

TEST(VectorMath, LogMatchesStdLogOnNormals) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-120.0f, 120.0f);
  std::vector<float> x(10007);
  for (float& v : x) v = std::exp2(exponent(rng));
  x[0] = 1.0f;
  x[1] = 0.70710677f;  // around the range-reduction boundary
  x[2] = 0.70710683f;
  x[3] = std::numeric_limits<float>::max();
  x[4] = std::numeric_limits<float>::min();
  std::vector<float> y(x.size());
  log_f32(static_cast<int64_t>(x.size()), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const double expect = std::log(static_cast<double>(x[i]));
    ASSERT_NEAR(y[i], expect, 3e-7 * std::max(1.0, std::fabs(expect))) << "x=" << x[i];
  }
  EXPECT_EQ(y[0], 0.0f);
}

TEST(VectorMath, LogSpecialValuesFollowStdLog) {
  const float inf = std::numeric_limits<float>::infinity();
  const float subnormal = std::numeric_limits<float>::denorm_min() * 1000.0f;
  std::vector<float> x = {0.0f, -0.0f, -1.0f, inf, -inf, std::nanf(""), subnormal, 2.0f, 3.0f};
  std::vector<float> y(x.size());
  log_f32(static_cast<int64_t>(x.size()), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const float expect = std::log(x[i]);
    if (std::isnan(expect)) {
      EXPECT_TRUE(std::isnan(y[i])) << "x=" << x[i];
    } else {
      EXPECT_FLOAT_EQ(y[i], expect) << "x=" << x[i];
    }
  }
}

TEST(VectorMath, LogInPlaceWithSpecialLanes) {
  std::vector<float> x = {1.0f, 2.0f, 0.0f, 4.0f, -3.0f, 8.0f, 16.0f, 32.0f, 64.0f, 0.5f, 0.0f};
  const std::vector<float> original = x;
  log_f32(static_cast<int64_t>(x.size()), x.data(), x.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const float expect = std::log(original[i]);
    if (std::isnan(expect)) {
      EXPECT_TRUE(std::isnan(x[i]));
    } else if (std::isinf(expect)) {
      EXPECT_EQ(x[i], expect) << i;
    } else {
      EXPECT_NEAR(x[i], expect, 1e-6f * std::max(1.0f, std::fabs(expect))) << i;
    }
  }
}

TEST(VectorMath, ErfMatchesStdErf) {
  std::vector<float> x;
  for (float v = -6.0f; v <= 6.0f; v += 0.00137f) x.push_back(v);
  for (float v = 1e-8f; v < 1.0f; v *= 1.7f) x.push_back(v), x.push_back(-v);
  x.push_back(0.0f);
  x.push_back(-0.0f);
  x.push_back(30.0f);
  x.push_back(-30.0f);
  std::vector<float> y(x.size());
  erf_f32(static_cast<int64_t>(x.size()), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const double expect = std::erf(static_cast<double>(x[i]));
    // Absolute 2e-7, and within the ONNX conformance tolerance near zero.
    ASSERT_NEAR(y[i], expect, std::min(2.5e-7, 1e-7 + 1e-4 * std::fabs(expect))) << "x=" << x[i];
  }
}

TEST(VectorMath, ErfSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {inf, -inf, std::nanf(""), 0.0f, -0.0f, 1.0f, -1.0f, 0.25f, 5.0f};
  erf_f32(static_cast<int64_t>(x.size()), x.data(), x.data());  // in place
  EXPECT_EQ(x[0], 1.0f);
  EXPECT_EQ(x[1], -1.0f);
  EXPECT_TRUE(std::isnan(x[2]));
  EXPECT_EQ(x[3], 0.0f);
  EXPECT_EQ(x[4], 0.0f);
  EXPECT_TRUE(std::signbit(x[4]));
  EXPECT_NEAR(x[5], std::erf(1.0f), 2e-7f);
  EXPECT_NEAR(x[6], -std::erf(1.0f), 2e-7f);
}

}  // namespace
}  // namespace parley::onnx
