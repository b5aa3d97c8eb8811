// Tests for the tile products (kernel_table.h: gemm_tile; kernels/qgemm_*.cc) and the batched
// path of matmul() that uses them.
//
//  * For every ISA this CPU has and every dtype with a dot product, gemm_tile equals the scalar
//    table's vec_dot called once per (row, batch entry) -- the independent reference -- at odd
//    row counts (1, 2, 3, 7, 8, 9, 19: partial and whole groups of the AVX2 kernels' 8 rows),
//    batch sizes (1, 2, 3, 5, 17, 64, 67) and, for 32-value blocks, 7 and 67 blocks (more than
//    one repacking chunk), with weight rows, activation rows and outputs at odd strides and one
//    byte (one float for float types) off alignment; outputs outside the tile must stay
//    untouched. The scalar table's loop must match exactly.
//  * matmul() at batch 1..130 (a spread of sizes around the micro tiles and the batch blocks)
//    with 131 rows (two row blocks and an odd edge) agrees with matmul_reference() within the
//    error that quantizing the activations can cause, and every batched row agrees with the
//    batch-1 (per-row vec_dot) product of the same row within float summation tolerance.
//
// Tolerance for "same integers, different float order": 1e-5 * S with
// S = sum_i (|w_i| + max_j |w_j|) * |a_i| (w, a the float data before quantization; the max term
// stands in for the scale and min products that cancel inside w_i), far below one quant step of
// one element. Activation quantization error: each activation moves by at most
// amax_block * (1/254 + 1/1024) (half a Q8 step plus the f16 rounding of Q8_0's scale).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/storage.h"
#include "kernels/tensor.h"
#include "kernels/thread_pool.h"

namespace parley::kernels {
namespace {

constexpr float kSentinel = -12345.0f;

std::vector<float> random_floats(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = normal(rng);
  return v;
}

bool is_float_type(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16;
}

// Rows of `type` written at `offset` bytes into a buffer, `stride` bytes apart.
struct Rows {
  std::vector<uint8_t> bytes;
  int64_t offset = 0;
  int64_t stride = 0;
  const uint8_t* row(int64_t i) const { return bytes.data() + offset + i * stride; }
};

Rows quantize_rows(DType type, const std::vector<float>& values, int64_t count, int64_t n,
                   int64_t offset, int64_t padding) {
  Rows rows;
  rows.offset = offset;
  rows.stride = row_bytes(type, n) + padding;
  rows.bytes.assign(static_cast<size_t>(offset + count * rows.stride), 0xA5);
  const FromFloatFn from_float = dtype_traits(type).from_float;
  for (int64_t i = 0; i < count; ++i) {
    from_float(values.data() + i * n, rows.bytes.data() + offset + i * rows.stride, n);
  }
  return rows;
}

// 1e-5 * sum_i (|w_i| + max|w|) * |a_i| for row r of w and row b of a.
double order_tolerance(const std::vector<float>& w, const std::vector<float>& a, int64_t n,
                       int64_t r, int64_t b) {
  double max_w = 0, s = 0;
  for (int64_t i = 0; i < n; ++i) max_w = std::max(max_w, std::fabs(double(w[r * n + i])));
  for (int64_t i = 0; i < n; ++i) {
    s += (std::fabs(double(w[r * n + i])) + max_w) * std::fabs(double(a[b * n + i]));
  }
  return 1e-5 * s;
}

struct TileCase {
  DType type;
  int64_t n;
};

std::vector<TileCase> tile_cases() {
  std::vector<TileCase> cases;
  const KernelTable* scalar = kernels_for(Isa::Scalar);
  for (int t = 0; t < kDTypeCount; ++t) {
    const auto type = static_cast<DType>(t);
    if (scalar->vec_dot[t] == nullptr) continue;
    const int64_t block = dtype_traits(type).block_size;
    if (block == 1) {
      cases.push_back({type, 67});
    } else if (block >= 256) {
      cases.push_back({type, block * 3});
    } else {  // 7 blocks, and more than one chunk of the AVX2 kernels' repacking (64 blocks)
      cases.push_back({type, block * 7});
      cases.push_back({type, block * 67});
    }
  }
  return cases;
}

TEST(GemmTile, EveryTableHasATileWhereverItHasADotProduct) {
  for (int level = 0; level < kIsaCount; ++level) {
    const KernelTable* table = kernels_for(static_cast<Isa>(level));
    if (table == nullptr) continue;
    for (int t = 0; t < kDTypeCount; ++t) {
      EXPECT_EQ(table->vec_dot[t] != nullptr, table->gemm_tile[t] != nullptr)
          << isa_name(static_cast<Isa>(level)) << " " << dtype_name(static_cast<DType>(t));
    }
  }
  // The types of the common GGUF mixes must have a dot product (and so a tile).
  for (DType type : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    EXPECT_NE(kernels_for(Isa::Scalar)->gemm_tile[static_cast<int>(type)], nullptr);
  }
}

TEST(GemmTile, MatchesScalarVecDotLoopOnEveryIsa) {
  const KernelTable* scalar = kernels_for(Isa::Scalar);
  int checked_isas = 0;
  for (int level = 0; level < kIsaCount; ++level) {
    const auto isa = static_cast<Isa>(level);
    const KernelTable* table = kernels_for(isa);
    if (table == nullptr) continue;  // this CPU lacks the ISA
    ++checked_isas;
    for (const TileCase& c : tile_cases()) {
      const int t = static_cast<int>(c.type);
      const DType act_type = dtype_traits(c.type).vec_dot_type;
      const int64_t misalign = is_float_type(c.type) ? 4 : 1;
      for (int64_t rows : {1, 2, 3, 7, 8, 9, 19}) {
        for (int64_t batch : {1, 2, 3, 5, 17, 64, 67}) {
          SCOPED_TRACE(std::string(isa_name(isa)) + " " + std::string(dtype_name(c.type)) +
                       " n=" + std::to_string(c.n) + " rows=" + std::to_string(rows) +
                       " batch=" + std::to_string(batch));
          const auto w_f = random_floats(rows * c.n, 17 + t + 100 * rows);
          const auto a_f = random_floats(batch * c.n, 29 + t + 100 * batch);
          const Rows w = quantize_rows(c.type, w_f, rows, c.n, misalign, 3 * misalign);
          const Rows a = quantize_rows(act_type, a_f, batch, c.n, misalign, 5 * misalign);
          const int64_t y_stride = rows + 3;
          std::vector<float> y(static_cast<size_t>(batch * y_stride + 1), kSentinel);
          float* y_tile = y.data() + 1;  // one float off the allocation's alignment
          table->gemm_tile[t](c.n, w.row(0), w.stride, rows, a.row(0), a.stride, batch, y_tile,
                              y_stride);
          for (int64_t b = 0; b < batch; ++b) {
            for (int64_t r = 0; r < rows; ++r) {
              const float expected = scalar->vec_dot[t](c.n, w.row(r), a.row(b));
              const float got = y_tile[b * y_stride + r];
              if (isa == Isa::Scalar) {
                ASSERT_EQ(got, expected) << "r=" << r << " b=" << b;
              } else {
                ASSERT_NEAR(got, expected, order_tolerance(w_f, a_f, c.n, r, b))
                    << "r=" << r << " b=" << b;
              }
            }
            for (int64_t r = rows; r < y_stride; ++r) {
              ASSERT_EQ(y_tile[b * y_stride + r], kSentinel) << "wrote outside the tile";
            }
          }
          ASSERT_EQ(y[0], kSentinel) << "wrote before the tile";
        }
      }
    }
  }
  EXPECT_GE(checked_isas, 1);
}

// Largest per-element error quantizing one row of activations to 8-bit blocks can cause in a
// dot with w: sum_i |w_i| * amax(block of i) * (1/254 + 1/1024).
double activation_quantization_bound(const float* w, const float* a, int64_t n, int64_t block) {
  double bound = 0;
  for (int64_t start = 0; start < n; start += block) {
    double amax = 0, sum_w = 0;
    for (int64_t i = start; i < start + block; ++i) {
      amax = std::max(amax, std::fabs(double(a[i])));
      sum_w += std::fabs(double(w[i]));
    }
    bound += sum_w * amax * (1.0 / 254 + 1.0 / 1024);
  }
  return bound;
}

class MatmulBatched : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulBatched, AgreesWithReferenceAndWithPerRowPath) {
  const DType type = GetParam();
  constexpr int64_t kRows = 131;
  constexpr int64_t kCols = 512;
  constexpr int64_t kMaxBatch = 130;
  const DType act_type = dtype_traits(type).vec_dot_type;
  const int64_t act_block = dtype_traits(act_type).block_size;
  const auto w_f = random_floats(kRows * kCols, 5);
  const auto x_f = random_floats(kMaxBatch * kCols, 6);
  std::vector<uint8_t> w_bytes(static_cast<size_t>(row_bytes(type, kCols) * kRows));
  dtype_traits(type).from_float(w_f.data(), w_bytes.data(), kRows * kCols);
  std::vector<float> w_deq(w_f.size());  // what the reference multiplies
  dtype_traits(type).to_float(w_bytes.data(), w_deq.data(), kRows * kCols);
  const Tensor w = Tensor::contiguous(w_bytes.data(), type, {kRows, kCols});

  ThreadPool pool(2);
  Arena scratch;
  // Row b of x alone (batch 1) takes the per-row vec_dot path.
  std::vector<float> y_rows(kMaxBatch * kRows);
  const Tensor x_all = Tensor::contiguous(x_f.data(), DType::F32, {kMaxBatch, kCols});
  for (int64_t b = 0; b < kMaxBatch; ++b) {
    scratch.reset();
    matmul(w, x_all.slice(0, b, b + 1),
           Tensor::contiguous(&y_rows[b * kRows], DType::F32, {1, kRows}), pool, scratch);
  }
  std::vector<float> y(kMaxBatch * kRows), y_ref(kMaxBatch * kRows);
  for (int64_t batch : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 63, 64, 65, 100, 127, 128, 129, 130}) {
    SCOPED_TRACE(std::string(dtype_name(type)) + " batch=" + std::to_string(batch));
    const Tensor x = Tensor::contiguous(x_f.data(), DType::F32, {batch, kCols});
    const Tensor ty = Tensor::contiguous(y.data(), DType::F32, {batch, kRows});
    scratch.reset();
    matmul(w, x, ty, pool, scratch);
    matmul_reference(w, x, Tensor::contiguous(y_ref.data(), DType::F32, {batch, kRows}));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t r = 0; r < kRows; ++r) {
        const float got = y[b * kRows + r];
        const double bound =
            activation_quantization_bound(&w_deq[r * kCols], &x_f[b * kCols], kCols, act_block) +
            order_tolerance(w_f, x_f, kCols, r, b);
        ASSERT_NEAR(got, y_ref[b * kRows + r], bound) << "r=" << r << " b=" << b;
        ASSERT_NEAR(got, y_rows[b * kRows + r], order_tolerance(w_f, x_f, kCols, r, b))
            << "r=" << r << " b=" << b;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, MatmulBatched,
                         ::testing::Values(DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K,
                                           DType::Q5_K, DType::F16, DType::F32),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(dtype_name(info.param));
                         });

}  // namespace
}  // namespace parley::kernels
