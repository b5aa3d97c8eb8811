// Row kernels of the KernelTable (ops_scalar.cc, ops_avx2.cc, ops_avx512.cc): every optimized
// entry against the scalar reference on every ISA this machine has, at odd sizes and misaligned
// pointers; plus hand-computed values for the scalar reference itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

constexpr int64_t kSizes[] = {1, 7, 13, 127, 128, 4097};
constexpr float kInf = std::numeric_limits<float>::infinity();

const KernelTable& scalar_table() {
  return *kernels_for(Isa::Scalar);
}

// A buffer whose data() is offset by one element from the allocation, so it is misaligned for
// every vector width.
template <typename T>
class Misaligned {
 public:
  explicit Misaligned(int64_t n) : storage_(static_cast<size_t>(n) + 1) {}
  T* data() { return storage_.data() + 1; }
  T& operator[](int64_t i) { return storage_[static_cast<size_t>(i) + 1]; }

 private:
  std::vector<T> storage_;
};

Misaligned<float> random_floats(int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Misaligned<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = dist(rng);
  return v;
}

// |got - want| <= rel * |want| + abs, element by element, with a message naming the index.
void expect_close(const float* got, const float* want, int64_t n, double rel, double abs,
                  const std::string& what) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = got[i];
    const double w = want[i];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g)) << what << " at " << i;
      continue;
    }
    if (std::isinf(w)) {
      EXPECT_EQ(g, w) << what << " at " << i;
      continue;
    }
    ASSERT_LE(std::fabs(g - w), rel * std::fabs(w) + abs)
        << what << " at " << i << " of " << n << ": got " << g << " want " << w;
  }
}

class RowKernelTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    table_ = kernels_for(GetParam());
    if (table_ == nullptr) GTEST_SKIP() << "CPU lacks " << isa_name(GetParam());
  }
  const KernelTable* table_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Isa, RowKernelTest, ::testing::Values(Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

struct UnaryCase {
  UnaryOp op;
  const char* name;
  float lo, hi;
  double rel;
  double abs;
};

TEST_P(RowKernelTest, UnaryMatchesReference) {
  const UnaryCase cases[] = {
      {UnaryOp::Relu, "relu", -10, 10, 0, 0},
      {UnaryOp::Silu, "silu", -20, 20, 1e-6, 1e-37},
      // gelu_tanh's float argument -2u carries relative error ~1e-7, which exp scales by |2u| (up
      // to 49 here): the relative bound is loose only where the result is below 1e-9.
      {UnaryOp::GeluTanh, "gelu_tanh", -8, 8, 2e-6, 1e-9},
      {UnaryOp::GeluErf, "gelu_erf", -8, 8, 1e-6, 1e-37},
      {UnaryOp::Tanh, "tanh", -12, 12, 1e-6, 1e-37},
      {UnaryOp::Sigmoid, "sigmoid", -30, 30, 1e-6, 1e-37},
      {UnaryOp::Exp, "exp", -87, 88, 4e-7, 1e-37},
      {UnaryOp::Log, "log", 1e-6f, 1e6f, 0, 1e-37},
      {UnaryOp::Neg, "neg", -10, 10, 0, 1e-37},
      {UnaryOp::Abs, "abs", -10, 10, 0, 1e-37},
      {UnaryOp::Sqrt, "sqrt", 0, 1e4f, 0, 1e-37},
  };
  for (const UnaryCase& c : cases) {
    for (int64_t n : kSizes) {
      Misaligned<float> x = random_floats(n, c.lo, c.hi, static_cast<uint32_t>(n));
      Misaligned<float> want(n), got(n), in_place(n);
      scalar_table().unary[static_cast<int>(c.op)](n, x.data(), want.data());
      table_->unary[static_cast<int>(c.op)](n, x.data(), got.data());
      expect_close(got.data(), want.data(), n, c.rel, c.abs, std::string(c.name));
      for (int64_t i = 0; i < n; ++i) in_place[i] = x[i];
      table_->unary[static_cast<int>(c.op)](n, in_place.data(), in_place.data());
      expect_close(in_place.data(), got.data(), n, 0, 0, std::string(c.name) + " in place");
    }
  }
}

TEST_P(RowKernelTest, TranscendentalSpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float x[] = {0.0f, -kInf, kInf, nan, 100.0f, -100.0f, 1e-30f, -1e-30f};
  float y[8];
  const auto run = [&](UnaryOp op) { table_->unary[static_cast<int>(op)](8, x, y); };
  run(UnaryOp::Exp);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], kInf);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], kInf);
  EXPECT_GE(y[5], 0.0f);  // exp(-100) is subnormal: 0 (AVX2) or the subnormal (AVX-512)
  EXPECT_LE(y[5], 1e-37f);
  EXPECT_EQ(y[6], 1.0f);
  run(UnaryOp::Sigmoid);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_EQ(y[5], 0.0f);
  run(UnaryOp::Tanh);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_EQ(y[5], -1.0f);
  EXPECT_FLOAT_EQ(y[6], 1e-30f);  // small-argument branch keeps relative accuracy
  run(UnaryOp::Silu);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[4], 100.0f);
  EXPECT_EQ(y[5], 0.0f);
}

// Dense sweep of exp's accuracy against double precision; prints the measured maximum.
TEST_P(RowKernelTest, ExpMaxRelativeError) {
  constexpr int64_t n = 1 << 20;
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = -87.0f + 175.0f * static_cast<float>(i) / n;
  table_->unary[static_cast<int>(UnaryOp::Exp)](n, x.data(), y.data());
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    worst = std::max(worst, std::fabs(y[i] - want) / want);
  }
  std::printf("[ measured ] %s exp max relative error on [-87, 88]: %.3g\n",
              std::string(isa_name(GetParam())).c_str(), worst);
  EXPECT_LT(worst, 3e-7);
}

TEST_P(RowKernelTest, BinaryMatchesReferenceExactly) {
  for (int op = 0; op < kBinaryOpCount; ++op) {
    for (int64_t n : kSizes) {
      Misaligned<float> a = random_floats(n, 0.1f, 4.0f, 1);
      Misaligned<float> b = random_floats(n, -3.0f, 3.0f, 2);
      Misaligned<float> want(n), got(n);
      scalar_table().binary[op](n, a.data(), b.data(), want.data());
      table_->binary[op](n, a.data(), b.data(), got.data());
      expect_close(got.data(), want.data(), n, op == int(BinaryOp::Pow) ? 1e-6 : 0, 0,
                   "binary op " + std::to_string(op));
      scalar_table().binary_scalar[op](n, a.data(), 1.75f, want.data());
      table_->binary_scalar[op](n, a.data(), 1.75f, got.data());
      expect_close(got.data(), want.data(), n, op == int(BinaryOp::Pow) ? 1e-6 : 0, 0,
                   "binary_scalar op " + std::to_string(op));
    }
  }
}

TEST_P(RowKernelTest, AxpyScaleSumMax) {
  for (int64_t n : kSizes) {
    Misaligned<float> x = random_floats(n, -2.0f, 2.0f, 3);
    Misaligned<float> y0 = random_floats(n, -2.0f, 2.0f, 4);
    Misaligned<float> want(n), got(n);
    for (int64_t i = 0; i < n; ++i) want[i] = got[i] = y0[i];
    scalar_table().axpy(n, 0.37f, x.data(), want.data());
    table_->axpy(n, 0.37f, x.data(), got.data());
    expect_close(got.data(), want.data(), n, 0, 5e-7, "axpy");

    scalar_table().scale(n, -1.5f, x.data(), want.data());
    table_->scale(n, -1.5f, x.data(), got.data());
    expect_close(got.data(), want.data(), n, 0, 0, "scale");

    double abs_total = 0.0;
    for (int64_t i = 0; i < n; ++i) abs_total += std::fabs(x[i]);
    EXPECT_NEAR(table_->sum(n, x.data()), scalar_table().sum(n, x.data()), 1e-6 * abs_total) << n;

    // Maximum placed in the last element, which sits in the masked tail for odd n.
    x[n - 1] = 7.0f;
    EXPECT_EQ(table_->max(n, x.data()), 7.0f) << n;
    EXPECT_EQ(table_->max(n, x.data()), scalar_table().max(n, x.data())) << n;
    Misaligned<float> negative = random_floats(n, -9.0f, -1.0f, 5);
    EXPECT_EQ(table_->max(n, negative.data()), scalar_table().max(n, negative.data())) << n;
    EXPECT_EQ(table_->argmax(n, x.data()), n - 1) << n;
  }
  EXPECT_EQ(table_->max(0, nullptr), -kInf);
  EXPECT_EQ(table_->sum(0, nullptr), 0.0f);
  EXPECT_EQ(table_->argmax(0, nullptr), -1);
}

TEST_P(RowKernelTest, NormsAndSoftmax) {
  for (int64_t n : kSizes) {
    Misaligned<float> x = random_floats(n, -3.0f, 5.0f, 6);
    Misaligned<float> w = random_floats(n, 0.5f, 1.5f, 7);
    Misaligned<float> b = random_floats(n, -1.0f, 1.0f, 8);
    Misaligned<float> want(n), got(n);
    for (const float* weight : {static_cast<const float*>(nullptr), (const float*)w.data()}) {
      scalar_table().rms_norm(n, x.data(), weight, 1e-6f, want.data());
      table_->rms_norm(n, x.data(), weight, 1e-6f, got.data());
      expect_close(got.data(), want.data(), n, 2e-6, 1e-6, "rms_norm");
      for (const float* bias : {static_cast<const float*>(nullptr), (const float*)b.data()}) {
        scalar_table().layer_norm(n, x.data(), weight, bias, 1e-5f, want.data());
        table_->layer_norm(n, x.data(), weight, bias, 1e-5f, got.data());
        expect_close(got.data(), want.data(), n, 2e-6, 2e-6, "layer_norm");
      }
    }
    // Wide range so the max subtraction matters; compare, then check in place and the sum.
    Misaligned<float> logits = random_floats(n, -60.0f, 60.0f, 9);
    scalar_table().softmax(n, logits.data(), want.data());
    table_->softmax(n, logits.data(), got.data());
    expect_close(got.data(), want.data(), n, 2e-6, 1e-12, "softmax");
    table_->softmax(n, logits.data(), logits.data());
    expect_close(logits.data(), got.data(), n, 0, 0, "softmax in place");
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) total += got[i];
    EXPECT_NEAR(total, 1.0, 1e-5) << n;
  }
}

TEST_P(RowKernelTest, DotProducts) {
  for (int64_t n : kSizes) {
    Misaligned<float> w = random_floats(n, -1.0f, 1.0f, 10);
    Misaligned<float> a = random_floats(n, -1.0f, 1.0f, 11);
    Misaligned<uint16_t> w16(n), wbf(n);
    double abs_total = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      w16[i] = fp32_to_fp16(w[i]);
      wbf[i] = fp32_to_bf16(w[i]);
      abs_total += std::fabs(w[i] * a[i]);
    }
    const double tolerance = 1e-6 * abs_total + 1e-7;
    struct {
      DType type;
      const void* weights;
    } rows[] = {{DType::F32, w.data()}, {DType::F16, w16.data()}, {DType::BF16, wbf.data()}};
    for (const auto& row : rows) {
      const int t = static_cast<int>(row.type);
      EXPECT_NEAR(table_->vec_dot[t](n, row.weights, a.data()),
                  scalar_table().vec_dot[t](n, row.weights, a.data()), tolerance)
          << dtype_name(row.type) << " n=" << n;
    }
  }
}

TEST_P(RowKernelTest, Fp16ConversionIsBitExact) {
  // Every 509th bit pattern (all exponents, subnormals, inf, NaN) plus rounding ties.
  std::vector<float> values;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 509) {
    values.push_back(fp32_from_bits(static_cast<uint32_t>(bits)));
  }
  for (uint32_t half = 0; half < 0x7c00u; half += 7) {  // exact halfway points between halves
    values.push_back(
        fp32_from_bits(fp32_to_bits(fp16_to_fp32(static_cast<uint16_t>(half))) + (1u << 12)));
  }
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<uint16_t> want(values.size()), got(values.size() + 1);
  scalar_table().quantize_row[int(DType::F16)](values.data(), want.data(), n);
  table_->quantize_row[int(DType::F16)](values.data(), got.data() + 1, n);
  for (int64_t i = 0; i < n; ++i) {
    const bool nan_in = std::isnan(values[size_t(i)]);
    if (nan_in) {
      EXPECT_EQ(got[size_t(i) + 1] & 0x7c00u, 0x7c00u);
      EXPECT_NE(got[size_t(i) + 1] & 0x3ffu, 0u);
    } else {
      ASSERT_EQ(got[size_t(i) + 1], want[size_t(i)]) << "value " << values[size_t(i)] << " bits "
                                                     << std::hex << fp32_to_bits(values[size_t(i)]);
    }
  }
  for (int64_t tail : {1, 7, 13}) {  // tails must not write past n
    std::vector<uint16_t> out(20, 0xabcd);
    table_->quantize_row[int(DType::F16)](values.data(), out.data(), tail);
    EXPECT_EQ(out[size_t(tail)], 0xabcd);
  }
}

// --- the scalar reference against hand-computed values -----------------------------------------

TEST(ScalarReference, SoftmaxOfKnownValues) {
  const float x[] = {1.0f, 2.0f, 3.0f};
  float y[3];
  scalar_table().softmax(3, x, y);
  // e^k / (e + e^2 + e^3)
  EXPECT_NEAR(y[0], 0.0900305731703805, 6e-8);  // within float rounding
  EXPECT_NEAR(y[1], 0.2447284710547976, 6e-8);
  EXPECT_NEAR(y[2], 0.6652409557748219, 6e-8);
  const float big[] = {1000.0f, 1000.0f};  // overflows without the max subtraction
  scalar_table().softmax(2, big, y);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 0.5f);
}

TEST(ScalarReference, GeluAtKnownPoints) {
  const float x[] = {-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f};
  float erf_out[7], tanh_out[7];
  scalar_table().unary[int(UnaryOp::GeluErf)](7, x, erf_out);
  scalar_table().unary[int(UnaryOp::GeluTanh)](7, x, tanh_out);
  for (int i = 0; i < 7; ++i) {
    const double v = x[i];
    const double exact = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    const double approx =
        0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
    EXPECT_NEAR(erf_out[i], exact, 1e-7) << v;
    EXPECT_NEAR(tanh_out[i], approx, 1e-7) << v;
  }
  EXPECT_NEAR(erf_out[5], 0.8413447460685429, 1e-7);    // Φ(1)
  EXPECT_NEAR(erf_out[1], -0.15865525393145707, 1e-7);  // -(1 - Φ(1))
}

TEST(ScalarReference, NormsOfKnownValues) {
  const float x[] = {3.0f, 4.0f};
  float y[2];
  scalar_table().rms_norm(2, x, nullptr, 0.0f, y);  // rms = sqrt(12.5)
  EXPECT_NEAR(y[0], 3.0 / std::sqrt(12.5), 1e-7);
  EXPECT_NEAR(y[1], 4.0 / std::sqrt(12.5), 1e-7);
  const float z[] = {1.0f, 2.0f, 3.0f};
  const float w[] = {2.0f, 2.0f, 2.0f};
  const float b[] = {0.5f, 0.5f, 0.5f};
  float out[3];
  scalar_table().layer_norm(3, z, w, b, 0.0f, out);  // mean 2, variance 2/3
  EXPECT_NEAR(out[0], 0.5 - 2.0 * std::sqrt(1.5), 1e-6);
  EXPECT_NEAR(out[1], 0.5, 1e-7);
  EXPECT_NEAR(out[2], 0.5 + 2.0 * std::sqrt(1.5), 1e-6);
}

TEST(ScalarReference, ReductionsAndDots) {
  const float x[] = {1.0f, 5.0f, -2.0f, 5.0f};
  EXPECT_EQ(scalar_table().argmax(4, x), 1);  // first of the tied maxima
  EXPECT_EQ(scalar_table().max(4, x), 5.0f);
  EXPECT_EQ(scalar_table().sum(4, x), 9.0f);
  // A sum that loses everything in float accumulation: 1e8 + 1 + ... - 1e8.
  std::vector<float> cancel(1002, 1.0f);
  cancel.front() = 1e8f;
  cancel.back() = -1e8f;
  EXPECT_EQ(scalar_table().sum(1002, cancel.data()), 1000.0f);
  const uint16_t halves[] = {fp32_to_fp16(0.5f), fp32_to_fp16(-2.0f), fp32_to_fp16(3.0f)};
  const uint16_t brains[] = {fp32_to_bf16(0.5f), fp32_to_bf16(-2.0f), fp32_to_bf16(3.0f)};
  const float f[] = {0.5f, -2.0f, 3.0f};
  const float a[] = {2.0f, 1.0f, 1.0f};
  EXPECT_EQ(scalar_table().vec_dot[int(DType::F32)](3, f, a), 2.0f);
  EXPECT_EQ(scalar_table().vec_dot[int(DType::F16)](3, halves, a), 2.0f);
  EXPECT_EQ(scalar_table().vec_dot[int(DType::BF16)](3, brains, a), 2.0f);
}

}  // namespace
}  // namespace parley::kernels
