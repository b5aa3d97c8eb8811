#include "kernels/tensor.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

TEST(Tensor, ContiguousStridesAreRowMajorBytes) {
  std::vector<float> data(2 * 3 * 4);
  Tensor t = Tensor::contiguous(data.data(), DType::F32, {2, 3, 4});
  EXPECT_EQ(t.ndim(), 3);
  EXPECT_EQ(t.stride_bytes(2), 4);
  EXPECT_EQ(t.stride_bytes(1), 16);
  EXPECT_EQ(t.stride_bytes(0), 48);
  EXPECT_EQ(t.element_count(), 24);
  EXPECT_EQ(t.row_count(), 6);
  EXPECT_EQ(t.byte_size(), 96);
  EXPECT_TRUE(t.is_contiguous());
}

TEST(Tensor, SliceTransposePermuteShareMemory) {
  std::vector<float> data(3 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i);
  Tensor m = Tensor::contiguous(data.data(), DType::F32, {3, 4});
  Tensor cols = m.slice(1, 1, 3);
  EXPECT_EQ(cols.dim(1), 2);
  EXPECT_FALSE(cols.is_contiguous());
  EXPECT_EQ(*reinterpret_cast<float*>(cols.at({2, 1})), 10.0f);  // row 2, col 2
  Tensor mt = m.transpose(0, 1);
  EXPECT_EQ(mt.dim(0), 4);
  EXPECT_EQ(*reinterpret_cast<float*>(mt.at({3, 2})), 11.0f);
  EXPECT_EQ(mt.data(), m.data());
  std::vector<float> cube(2 * 3 * 4);
  for (size_t i = 0; i < cube.size(); ++i) cube[i] = static_cast<float>(i);
  Tensor c = Tensor::contiguous(cube.data(), DType::F32, {2, 3, 4});
  Tensor p = c.permute({2, 0, 1});  // [4, 2, 3]
  EXPECT_EQ(p.dim(0), 4);
  EXPECT_EQ(p.dim(1), 2);
  EXPECT_EQ(p.dim(2), 3);
  // p[k][i][j] == c[i][j][k]
  EXPECT_EQ(*reinterpret_cast<float*>(p.at({3, 1, 2})), cube[1 * 12 + 2 * 4 + 3]);
  EXPECT_THROW(c.permute({0, 0, 1}), std::invalid_argument);
  EXPECT_THROW(m.slice(0, 2, 4), std::out_of_range);
}

TEST(Tensor, ReshapeInfersAndRejects) {
  std::vector<float> data(24);
  Tensor t = Tensor::contiguous(data.data(), DType::F32, {2, 3, 4});
  Tensor r = t.reshape({6, -1});
  EXPECT_EQ(r.dim(0), 6);
  EXPECT_EQ(r.dim(1), 4);
  EXPECT_THROW(t.reshape({5, -1}), std::invalid_argument);
  EXPECT_THROW(t.reshape({-1, -1}), std::invalid_argument);
  EXPECT_THROW(t.transpose(0, 2).reshape({24}), std::invalid_argument);
}

TEST(Tensor, QuantizedRowsAreWholeBlocks) {
  std::vector<BlockQ4_0> blocks(4 * 2);  // 4 rows of 64 values
  Tensor q = Tensor::contiguous(blocks.data(), DType::Q4_0, {4, 64});
  EXPECT_EQ(q.stride_bytes(0), 2 * 18);
  EXPECT_EQ(q.byte_size(), 4 * 2 * 18);
  EXPECT_TRUE(q.is_contiguous());
  Tensor second_block = q.slice(1, 32, 64);
  EXPECT_EQ(static_cast<uint8_t*>(second_block.data()) - static_cast<uint8_t*>(q.data()), 18);
  EXPECT_THROW(q.slice(1, 1, 32), std::invalid_argument);
  EXPECT_THROW(q.transpose(0, 1), std::invalid_argument);
  EXPECT_EQ(q.at({2}), static_cast<uint8_t*>(q.data()) + 2 * 36);
  EXPECT_EQ(q.at({2, 32}), static_cast<uint8_t*>(q.data()) + 2 * 36 + 18);
}

}  // namespace
}  // namespace parley::kernels
