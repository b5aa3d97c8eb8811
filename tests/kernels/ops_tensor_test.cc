// Tensor-level operations (kernels/ops.h): broadcasting, strided views, reductions, conversion
// and row normalisations, each against a naive index loop written here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/error.h"
#include "kernels/fp16.h"
#include "kernels/ops.h"

namespace parley::kernels {
namespace {

// Element address by full index (one entry per axis), from the view's byte strides.
template <typename T>
T& element(const Tensor& t, std::initializer_list<int64_t> index) {
  auto* p = static_cast<uint8_t*>(t.data());
  int axis = 0;
  for (int64_t i : index) p += i * t.stride_bytes(axis++);
  return *reinterpret_cast<T*>(p);
}

std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(OpsBinary, BroadcastsAgainstNaiveLoop) {
  struct Case {
    std::vector<int64_t> a, b, out;
  };
  const Case cases[] = {
      {{2, 3, 4}, {3, 1}, {2, 3, 4}},
      {{2, 3, 4}, {4}, {2, 3, 4}},
      {{3, 1}, {2, 1, 5}, {2, 3, 5}},
      {{1}, {2, 3, 4}, {2, 3, 4}},
      {{2, 1, 3, 1}, {1, 4, 1, 5}, {2, 4, 3, 5}},
      {{5, 7}, {5, 7}, {5, 7}},
  };
  for (const Case& c : cases) {
    size_t na = 1, nb = 1, no = 1;
    for (int64_t d : c.a) na *= size_t(d);
    for (int64_t d : c.b) nb *= size_t(d);
    for (int64_t d : c.out) no *= size_t(d);
    std::vector<float> da = random_vector(na, 1, 0.5f, 2.0f), db = random_vector(nb, 2);
    std::vector<float> dout(no);
    const Tensor a = Tensor::contiguous(da.data(), DType::F32, c.a.data(), int(c.a.size()));
    const Tensor b = Tensor::contiguous(db.data(), DType::F32, c.b.data(), int(c.b.size()));
    const Tensor out = Tensor::contiguous(dout.data(), DType::F32, c.out.data(), int(c.out.size()));
    for (BinaryOp op :
         {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max}) {
      binary(op, a, b, out);
      // Naive: pad all shapes to 4 dims, index with modulo for broadcast axes.
      int64_t sa[4] = {1, 1, 1, 1}, sb[4] = {1, 1, 1, 1}, so[4] = {1, 1, 1, 1};
      for (size_t i = 0; i < c.a.size(); ++i) sa[4 - c.a.size() + i] = c.a[i];
      for (size_t i = 0; i < c.b.size(); ++i) sb[4 - c.b.size() + i] = c.b[i];
      for (size_t i = 0; i < c.out.size(); ++i) so[4 - c.out.size() + i] = c.out[i];
      size_t flat = 0;
      for (int64_t i0 = 0; i0 < so[0]; ++i0)
        for (int64_t i1 = 0; i1 < so[1]; ++i1)
          for (int64_t i2 = 0; i2 < so[2]; ++i2)
            for (int64_t i3 = 0; i3 < so[3]; ++i3, ++flat) {
              const auto offset = [&](const int64_t* s) {
                return (((i0 % s[0]) * s[1] + i1 % s[1]) * s[2] + i2 % s[2]) * s[3] + i3 % s[3];
              };
              const float x = da[size_t(offset(sa))], y = db[size_t(offset(sb))];
              float want = 0;
              switch (op) {
                case BinaryOp::Add:
                  want = x + y;
                  break;
                case BinaryOp::Sub:
                  want = x - y;
                  break;
                case BinaryOp::Mul:
                  want = x * y;
                  break;
                case BinaryOp::Div:
                  want = x / y;
                  break;
                default:
                  want = std::max(x, y);
                  break;
              }
              ASSERT_EQ(dout[flat], want) << "op " << int(op) << " " << out.describe();
            }
    }
  }
}

TEST(OpsBinary, StridedViewsAndInPlace) {
  // a: transposed view of a [7, 5, 1] buffer; b: one channel of a [5, 7, 2] buffer; out: one
  // channel of a [5, 7, 3] buffer. All are [5, 7, 1] with non-unit element strides.
  std::vector<float> da = random_vector(35, 3), db = random_vector(70, 4), dout(105, -1.0f);
  const Tensor a = Tensor::contiguous(da.data(), DType::F32, {7, 5, 1}).transpose(0, 1);
  const Tensor b = Tensor::contiguous(db.data(), DType::F32, {5, 7, 2}).slice(2, 1, 2);
  const Tensor out = Tensor::contiguous(dout.data(), DType::F32, {5, 7, 3}).slice(2, 2, 3);
  binary(BinaryOp::Sub, a, b, out);
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      EXPECT_EQ(element<float>(out, {i, j, 0}),
                da[size_t(j * 5 + i)] - db[size_t((i * 7 + j) * 2 + 1)]);
      EXPECT_EQ(dout[size_t((i * 7 + j) * 3)], -1.0f);  // neighbouring channels untouched
    }
  }
  // In place: a = a * b.
  const std::vector<float> before = da;
  binary(BinaryOp::Mul, a, b, a);
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      EXPECT_EQ(da[size_t(j * 5 + i)], before[size_t(j * 5 + i)] * db[size_t((i * 7 + j) * 2 + 1)]);
    }
  }
  // Long broadcast rows use the scalar fast path on both sides (b stretched, then a stretched).
  std::vector<float> row = random_vector(4097, 5), one = {2.5f}, res(4097);
  const Tensor tr = Tensor::contiguous(row.data(), DType::F32, {4097});
  const Tensor t1 = Tensor::contiguous(one.data(), DType::F32, {1});
  const Tensor tres = Tensor::contiguous(res.data(), DType::F32, {4097});
  binary(BinaryOp::Div, t1, tr, tres);
  for (size_t i = 0; i < row.size(); ++i) ASSERT_EQ(res[i], 2.5f / row[i]);
  binary(BinaryOp::Add, t1, tr, tres);
  for (size_t i = 0; i < row.size(); ++i) ASSERT_EQ(res[i], 2.5f + row[i]);
}

TEST(OpsBinary, RejectsBadShapesNamingThem) {
  std::vector<float> d(64);
  const Tensor a = Tensor::contiguous(d.data(), DType::F32, {2, 3, 4});
  const Tensor b = Tensor::contiguous(d.data(), DType::F32, {2, 4});
  try {
    binary(BinaryOp::Add, a, b, a);
    FAIL() << "expected parley::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f32[2, 3, 4]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f32[2, 4]"), std::string::npos) << e.what();
  }
  const Tensor small = Tensor::contiguous(d.data(), DType::F32, {3, 1});
  EXPECT_THROW(binary(BinaryOp::Add, a, small, small), Error);  // out smaller than broadcast
  const Tensor halves = Tensor::contiguous(d.data(), DType::F16, {2, 3, 4});
  EXPECT_THROW(binary(BinaryOp::Add, a, halves, a), Error);
}

TEST(OpsUnary, StridedMatchesRowKernel) {
  std::vector<float> dx = random_vector(6 * 300, 6), dout(300 * 6);
  // x: transposed [300, 6] view; out: contiguous.
  const Tensor x = Tensor::contiguous(dx.data(), DType::F32, {6, 300}).transpose(0, 1);
  const Tensor out = Tensor::contiguous(dout.data(), DType::F32, {300, 6});
  unary(UnaryOp::Silu, x, out);
  for (int64_t i = 0; i < 300; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      const double v = dx[size_t(j * 300 + i)];
      ASSERT_NEAR(dout[size_t(i * 6 + j)], v / (1.0 + std::exp(-v)), 1e-6);
    }
  }
}

TEST(OpsReduce, EveryAxisAgainstNaiveLoop) {
  const int64_t shape[3] = {3, 5, 300};
  std::vector<float> dx = random_vector(3 * 5 * 300, 7);
  const Tensor x = Tensor::contiguous(dx.data(), DType::F32, shape, 3);
  for (int axis = 0; axis < 3; ++axis) {
    int64_t kept[3] = {shape[0], shape[1], shape[2]};
    kept[axis] = 1;
    std::vector<float> dout(size_t(kept[0] * kept[1] * kept[2]));
    std::vector<int64_t> dindex(dout.size());
    const Tensor out = Tensor::contiguous(dout.data(), DType::F32, kept, 3);
    const Tensor index = Tensor::contiguous(dindex.data(), DType::I64, kept, 3);
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max}) {
      reduce(op, x, axis, out);
      for (int64_t i = 0; i < kept[0]; ++i)
        for (int64_t j = 0; j < kept[1]; ++j)
          for (int64_t k = 0; k < kept[2]; ++k) {
            double total = 0.0;
            float best = -INFINITY;
            for (int64_t r = 0; r < shape[axis]; ++r) {
              int64_t at[3] = {i, j, k};
              at[axis] = r;
              const float v = dx[size_t((at[0] * shape[1] + at[1]) * shape[2] + at[2])];
              total += v;
              best = std::max(best, v);
            }
            const double want = op == ReduceOp::Sum    ? total
                                : op == ReduceOp::Mean ? total / double(shape[axis])
                                                       : best;
            ASSERT_NEAR(element<float>(out, {i, j, k}), want, 1e-5) << "axis " << axis;
          }
    }
    argmax(x, axis - 3, index);  // negative axis
    for (int64_t i = 0; i < kept[0]; ++i)
      for (int64_t j = 0; j < kept[1]; ++j)
        for (int64_t k = 0; k < kept[2]; ++k) {
          int64_t best = 0;
          float best_value = -INFINITY;
          for (int64_t r = 0; r < shape[axis]; ++r) {
            int64_t at[3] = {i, j, k};
            at[axis] = r;
            const float v = dx[size_t((at[0] * shape[1] + at[1]) * shape[2] + at[2])];
            if (v > best_value) best_value = v, best = r;
          }
          ASSERT_EQ(element<int64_t>(index, {i, j, k}), best) << "axis " << axis;
        }
  }
  // Removed-axis output shape and a mismatch.
  std::vector<float> d2(3 * 300);
  reduce(ReduceOp::Sum, x, 1, Tensor::contiguous(d2.data(), DType::F32, {3, 300}));
  EXPECT_NEAR(d2[0], dx[0] + dx[300] + dx[600] + dx[900] + dx[1200], 1e-5);
  EXPECT_THROW(reduce(ReduceOp::Sum, x, 1, Tensor::contiguous(d2.data(), DType::F32, {3, 299})),
               Error);
  EXPECT_THROW(reduce(ReduceOp::Sum, x, 3, Tensor::contiguous(d2.data(), DType::F32, {3, 300})),
               Error);
}

TEST(OpsConvert, PlainDtypesStridedAndQuantizedRoundTrip) {
  std::vector<float> src = random_vector(4 * 64, 8, -100.0f, 100.0f);
  const Tensor f32 = Tensor::contiguous(src.data(), DType::F32, {4, 64});
  std::vector<uint16_t> halves(4 * 64);
  const Tensor f16 = Tensor::contiguous(halves.data(), DType::F16, {4, 64});
  convert(f32, f16);
  for (size_t i = 0; i < src.size(); ++i) ASSERT_EQ(halves[i], fp32_to_fp16(src[i]));
  // F16 -> BF16 into a transposed destination.
  std::vector<uint16_t> brains(64 * 4);
  const Tensor bf16_t = Tensor::contiguous(brains.data(), DType::BF16, {64, 4}).transpose(0, 1);
  convert(f16, bf16_t);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 64; ++c)
      ASSERT_EQ(brains[size_t(c * 4 + r)], fp32_to_bf16(fp16_to_fp32(halves[size_t(r * 64 + c)])));
  // F32 -> I32 truncates toward zero; same-dtype strided copy keeps every bit.
  std::vector<int32_t> ints(4 * 64);
  convert(f32, Tensor::contiguous(ints.data(), DType::I32, {4, 64}));
  for (size_t i = 0; i < src.size(); ++i) ASSERT_EQ(ints[i], int32_t(std::trunc(src[i])));
  std::vector<int64_t> big = {(int64_t(1) << 40) + 1, -3, 5, int64_t(1) << 62}, big_t(4, 0);
  convert(Tensor::contiguous(big.data(), DType::I64, {2, 2}),
          Tensor::contiguous(big_t.data(), DType::I64, {2, 2}).transpose(0, 1));
  EXPECT_EQ(big_t, (std::vector<int64_t>{big[0], big[2], big[1], big[3]}));
  // Quantized destination and source: identical to the trait converters row by row.
  const int64_t q_bytes = row_bytes(DType::Q8_0, 64);
  std::vector<uint8_t> q(size_t(4 * q_bytes)), q_want(q.size());
  const Tensor q8 = Tensor::contiguous(q.data(), DType::Q8_0, {4, 64});
  convert(f32, q8);
  dtype_traits(DType::Q8_0).from_float(src.data(), q_want.data(), 4 * 64);
  EXPECT_EQ(q, q_want);
  std::vector<float> back(4 * 64), back_want(4 * 64);
  convert(q8, Tensor::contiguous(back.data(), DType::F32, {4, 64}));
  dtype_traits(DType::Q8_0).to_float(q.data(), back_want.data(), 4 * 64);
  EXPECT_EQ(back, back_want);
  EXPECT_THROW(convert(f32, Tensor::contiguous(back.data(), DType::F32, {64, 4})), Error);
}

TEST(OpsRows, NormsAndSoftmaxOnStridedRows) {
  // Rows 0, 2, 4 of a [6, 100] buffer: row stride 800 bytes, contiguous inside.
  std::vector<float> dx = random_vector(600, 9), dw = random_vector(100, 10),
                     db = random_vector(100, 11);
  std::vector<float> dout(300);
  const Tensor rows = Tensor::contiguous(dx.data(), DType::F32, {3, 2, 100}).slice(1, 0, 1);
  const Tensor out = Tensor::contiguous(dout.data(), DType::F32, {3, 1, 100});
  const Tensor w = Tensor::contiguous(dw.data(), DType::F32, {100});
  const Tensor b = Tensor::contiguous(db.data(), DType::F32, {100});
  const auto x_at = [&](int64_t r, int64_t i) { return double(dx[size_t(r * 200 + i)]); };
  rms_norm(rows, &w, 1e-6f, out);
  for (int64_t r = 0; r < 3; ++r) {
    double ss = 0.0;
    for (int64_t i = 0; i < 100; ++i) ss += x_at(r, i) * x_at(r, i);
    const double inv = 1.0 / std::sqrt(ss / 100 + 1e-6);
    for (int64_t i = 0; i < 100; ++i)
      ASSERT_NEAR(dout[size_t(r * 100 + i)], x_at(r, i) * inv * dw[size_t(i)], 1e-5);
  }
  layer_norm(rows, &w, &b, 1e-5f, out);
  for (int64_t r = 0; r < 3; ++r) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < 100; ++i) mean += x_at(r, i) / 100;
    for (int64_t i = 0; i < 100; ++i) var += (x_at(r, i) - mean) * (x_at(r, i) - mean) / 100;
    for (int64_t i = 0; i < 100; ++i)
      ASSERT_NEAR(dout[size_t(r * 100 + i)],
                  (x_at(r, i) - mean) / std::sqrt(var + 1e-5) * dw[size_t(i)] + db[size_t(i)],
                  1e-5);
  }
  softmax(rows, out);
  for (int64_t r = 0; r < 3; ++r) {
    double top = -1e30, total = 0.0;
    for (int64_t i = 0; i < 100; ++i) top = std::max(top, x_at(r, i));
    for (int64_t i = 0; i < 100; ++i) total += std::exp(x_at(r, i) - top);
    for (int64_t i = 0; i < 100; ++i)
      ASSERT_NEAR(dout[size_t(r * 100 + i)], std::exp(x_at(r, i) - top) / total, 1e-7);
  }
  const Tensor short_weight = Tensor::contiguous(dw.data(), DType::F32, {99});
  EXPECT_THROW(rms_norm(rows, &short_weight, 1e-6f, out), Error);
  const Tensor columns = Tensor::contiguous(dx.data(), DType::F32, {100, 6}).transpose(0, 1);
  EXPECT_THROW(softmax(columns, columns), Error);  // innermost axis not contiguous
}

}  // namespace
}  // namespace parley::kernels
