#include "kernels/storage.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "kernels/error.h"

namespace parley::kernels {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + std::to_string(::getpid()) + "_parley_storage_" + name;
}

TEST(AlignedBuffer, IsAlignedAndSized) {
  for (size_t bytes : {1u, 7u, 64u, 65u, 4097u}) {
    AlignedBuffer b(bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % kAlignment, 0u);
    EXPECT_EQ(b.size(), bytes);
    b.data()[bytes - 1] = 42;  // writable to the end (ASan checks)
  }
  AlignedBuffer empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.data(), nullptr);
}

TEST(MappedFile, MapsContentsAndChecksRegions) {
  const std::string path = temp_path("map.bin");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 100; ++i) out.put(static_cast<char>(i));
  }
  MappedFile file(path);
  ASSERT_EQ(file.size(), 100u);
  EXPECT_EQ(file.data()[42], 42);
  EXPECT_EQ(file.region(10, 90, "tail")[0], 10);
  EXPECT_NO_THROW(file.region(100, 0, "empty end"));
  EXPECT_THROW(file.region(10, 91, "too long"), Error);
  EXPECT_THROW(file.region(101, 0, "past end"), Error);
  EXPECT_THROW(file.region(UINT64_MAX - 4, 10, "overflowing"), Error);
  try {
    file.region(50, 60, "tensor blk.0.weight");
    FAIL() << "expected parley::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("tensor blk.0.weight"), std::string::npos) << message;
  }
  std::remove(path.c_str());
}

TEST(MappedFile, MissingFileAndDirectoryGiveErrorsNamingThePath) {
  try {
    MappedFile missing("/nonexistent/parley/model.gguf");
    FAIL() << "expected parley::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/parley/model.gguf"), std::string::npos);
  }
  EXPECT_THROW(MappedFile("/tmp"), Error);
}

TEST(MappedFile, EmptyFileMapsToNothing) {
  const std::string path = temp_path("empty.bin");
  { std::ofstream out(path, std::ios::binary); }
  MappedFile file(path);
  EXPECT_EQ(file.size(), 0u);
  EXPECT_THROW(file.region(0, 1, "header"), Error);
  std::remove(path.c_str());
}

TEST(Arena, AllocationsAreAlignedDisjointAndResetReuses) {
  Arena arena(256);
  auto* a = arena.allocate<float>(10);
  auto* b = arena.allocate<float>(10);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kAlignment, 0u);
  EXPECT_GE(reinterpret_cast<uint8_t*>(b) - reinterpret_cast<uint8_t*>(a), 40);
  // Growing past the first chunk keeps earlier pointers valid.
  a[9] = 1.5f;
  auto* big = arena.allocate<float>(100000);
  big[99999] = 2.0f;
  EXPECT_EQ(a[9], 1.5f);
  const size_t used = arena.used();
  EXPECT_GE(used, 100000 * sizeof(float));
  arena.reset();
  EXPECT_EQ(arena.used(), 0u);
  // After reset one chunk holds the peak, so the same pattern needs no new chunk.
  const size_t capacity = arena.capacity();
  EXPECT_GE(capacity, used);
  arena.allocate<float>(10);
  arena.allocate<float>(10);
  arena.allocate<float>(100000);
  EXPECT_EQ(arena.capacity(), capacity);
}

}  // namespace
}  // namespace parley::kernels
