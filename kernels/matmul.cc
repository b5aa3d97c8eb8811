#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

// Rows of W each task takes at a time: enough to amortise the call, small enough to balance.
constexpr int64_t kRowGrain = 16;
// From this batch on, f32 weights go to OpenBLAS (its per-call overhead is paid back).
constexpr int64_t kBlasMinBatch = 8;

// Batched products (batch > 1) run gemm_tile on tiles of kTileRows rows x a batch block sized so
// that the block's converted activations (kTileActivationBytes) stay in L2 while the tile's
// weight rows stream past them once; a tile's rows stay in L1 across its activation rows.
constexpr int64_t kTileRows = 64;
constexpr int64_t kTileActivationBytes = int64_t{256} << 10;
constexpr int64_t kTileBatchMultiple = 4;  // the AVX2 micro kernels take 4 activation rows

void check_shapes(const Tensor& w, const Tensor& x, const Tensor& y) {
  const bool ok = w.ndim() == 2 && x.ndim() == 2 && y.ndim() == 2 && x.dtype() == DType::F32 &&
                  y.dtype() == DType::F32 && x.dim(1) == w.dim(1) && y.dim(0) == x.dim(0) &&
                  y.dim(1) == w.dim(0) && x.stride_bytes(1) == 4 && y.stride_bytes(1) == 4;
  if (!ok) {
    throw Error("matmul: shapes do not agree: W " + w.describe() + ", x " + x.describe() +
                ", y " + y.describe() + " (expected W [rows, cols], x f32 [batch, cols], y f32 "
                "[batch, rows] with contiguous rows)");
  }
  if (w.dim(1) % dtype_traits(w.dtype()).block_size != 0) {
    throw Error("matmul: W row length " + std::to_string(w.dim(1)) + " is not whole " +
                std::string(dtype_name(w.dtype())) + " blocks");
  }
}

}  // namespace

void matmul(const Tensor& w, const Tensor& x, const Tensor& y, ThreadPool& pool, Arena& scratch) {
  check_shapes(w, x, y);
  const KernelTable& k = kernels();
  const DType weight_type = w.dtype();
  const DType act_type = dtype_traits(weight_type).vec_dot_type;
  const VecDotFn dot = k.vec_dot[static_cast<int>(weight_type)];
  if (dot == nullptr) {
    throw Error("matmul: no dot product for weight type " + std::string(dtype_name(weight_type)));
  }
  const int64_t rows = w.dim(0);
  const int64_t cols = w.dim(1);
  const int64_t batch = x.dim(0);
  if (rows == 0 || batch == 0) return;

  // f32 weights with a real batch: OpenBLAS (gemm.h), y = x · Wᵀ.
  if (weight_type == DType::F32 && batch >= kBlasMinBatch && w.stride_bytes(0) % 4 == 0 &&
      x.stride_bytes(0) % 4 == 0 && y.stride_bytes(0) % 4 == 0) {
    gemm_f32(Transpose::No, Transpose::Yes, batch, rows, cols, 1.0f,
             static_cast<const float*>(x.data()), x.stride_bytes(0) / 4,
             static_cast<const float*>(w.data()), w.stride_bytes(0) / 4, 0.0f,
             static_cast<float*>(y.data()), y.stride_bytes(0) / 4);
    return;
  }

  // Convert activations once: one row per batch entry, in the dot product's activation type.
  const int64_t act_row_bytes = row_bytes(act_type, cols);
  FromFloatFn convert = k.quantize_row[static_cast<int>(act_type)];
  if (convert == nullptr) convert = dtype_traits(act_type).from_float;
  uint8_t* acts = static_cast<uint8_t*>(scratch.allocate_bytes(act_row_bytes * batch));
  const auto* x_base = static_cast<const uint8_t*>(x.data());
  const int64_t x_stride = x.stride_bytes(0);
  pool.parallel_for(batch, [&](int64_t begin, int64_t end, int) {
    for (int64_t b = begin; b < end; ++b) {
      convert(reinterpret_cast<const float*>(x_base + b * x_stride), acts + b * act_row_bytes,
              cols);
    }
  });
  if (weight_type == DType::F16) {
    // f16 weights meet f16-rounded activations, as in GGUF runners (llama.cpp converts the f32
    // side of an f16 product to f16), so logits agree with theirs.
    uint16_t* halves = scratch.allocate<uint16_t>(static_cast<size_t>(cols));
    const FromFloatFn to_half = k.quantize_row[slot(DType::F16)];
    const ToFloatFn from_half = k.dequantize_row[slot(DType::F16)];
    for (int64_t b = 0; b < batch; ++b) {
      float* row = reinterpret_cast<float*>(acts + b * act_row_bytes);
      to_half(row, halves, cols);
      from_half(halves, row, cols);
    }
  }

  const uint8_t* w_base = static_cast<const uint8_t*>(w.data());
  const int64_t w_stride = w.stride_bytes(0);
  uint8_t* y_base = static_cast<uint8_t*>(y.data());
  const int64_t y_stride = y.stride_bytes(0);
  const GemmTileFn tile = k.gemm_tile[static_cast<int>(weight_type)];
  if (batch > 1 && tile != nullptr && y_stride % 4 == 0) {
    // Tasks run batch block by batch block (both threads share one block in cache); within a
    // block each task takes kTileRows rows. Batch blocks are equal (rounded up to whole micro
    // tiles) and none is over the L2 budget.
    const int64_t max_block = std::max<int64_t>(1, kTileActivationBytes / act_row_bytes);
    const int64_t even_parts = (batch + max_block - 1) / max_block;
    const int64_t even_block = (batch + even_parts - 1) / even_parts;
    const int64_t batch_block = std::min(
        batch, (even_block + kTileBatchMultiple - 1) / kTileBatchMultiple * kTileBatchMultiple);
    const int64_t batch_blocks = (batch + batch_block - 1) / batch_block;
    const int64_t row_blocks = (rows + kTileRows - 1) / kTileRows;
    const int64_t y_stride_floats = y_stride / 4;
    pool.parallel_for(row_blocks * batch_blocks, [&](int64_t begin, int64_t end, int) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t r0 = task % row_blocks * kTileRows;
        const int64_t b0 = task / row_blocks * batch_block;
        tile(cols, w_base + r0 * w_stride, w_stride, std::min(kTileRows, rows - r0),
             acts + b0 * act_row_bytes, act_row_bytes, std::min(batch_block, batch - b0),
             reinterpret_cast<float*>(y_base + b0 * y_stride) + r0, y_stride_floats);
      }
    });
    return;
  }
  pool.parallel_for(
      rows,
      [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
          const uint8_t* w_row = w_base + r * w_stride;
          for (int64_t b = 0; b < batch; ++b) {
            reinterpret_cast<float*>(y_base + b * y_stride)[r] =
                dot(cols, w_row, acts + b * act_row_bytes);
          }
        }
      },
      kRowGrain);
}

void matmul_reference(const Tensor& w, const Tensor& x, const Tensor& y) {
  check_shapes(w, x, y);
  const int64_t rows = w.dim(0), cols = w.dim(1), batch = x.dim(0);
  std::vector<float> w_row(static_cast<size_t>(cols));
  const ToFloatFn to_float = dtype_traits(w.dtype()).to_float;
  for (int64_t r = 0; r < rows; ++r) {
    to_float(w.at({r}), w_row.data(), cols);
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = reinterpret_cast<const float*>(x.at({b}));
      double acc = 0;
      for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(w_row[c]) * xb[c];
      reinterpret_cast<float*>(y.at({b}))[r] = static_cast<float>(acc);
    }
  }
}

}  // namespace parley::kernels
