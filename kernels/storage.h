// Owners of memory that tensor views point into.
//
//   AlignedBuffer  — heap block aligned to 64 bytes (a cache line, an AVX-512 register).
//   MappedFile     — a whole file mapped read-only; region(offset, bytes) hands out checked spans.
//   Arena          — per-session bump allocator; reset() between uses, memory is kept.
//
// None of these are thread-safe for mutation; a MappedFile is safe to read from many threads.
//
//   MappedFile file("model.gguf");                      // throws parley::Error naming the file
//   const uint8_t* p = file.region(offset, bytes, "tensor blk.0.attn_q.weight");
//   Arena arena(1 << 20);
//   float* scratch = arena.allocate<float>(4096);        // 64-byte aligned, no free needed
//   arena.reset();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::kernels {

inline constexpr size_t kAlignment = 64;

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return bytes_; }
  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(data_.get());
  }
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data_.get());
  }

 private:
  struct Free {
    void operator()(uint8_t* p) const noexcept;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t bytes_ = 0;
};

class MappedFile {
 public:
  // Maps the whole file read-only. Throws parley::Error naming the path on failure.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // A checked view of [offset, offset + bytes). Throws parley::Error naming the file and `what`
  // when the region does not lie inside the file (overflow-safe).
  const uint8_t* region(uint64_t offset, uint64_t bytes, std::string_view what) const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class Arena {
 public:
  explicit Arena(size_t initial_bytes = 0);

  // Returns `bytes` of 64-byte-aligned memory valid until reset(). Grows by adding a chunk when
  // full (earlier pointers stay valid); after reset() the chunks are merged into one.
  void* allocate_bytes(size_t bytes);
  template <typename T>
  T* allocate(size_t count) {
    return static_cast<T*>(allocate_bytes(count * sizeof(T)));
  }
  void reset();
  size_t used() const { return used_; }
  size_t capacity() const;

 private:
  std::vector<AlignedBuffer> chunks_;
  size_t offset_ = 0;  // into chunks_.back()
  size_t used_ = 0;    // total bytes handed out since reset
  size_t peak_ = 0;
};

}  // namespace parley::kernels
