// Owners of memory that tensor views point into.
//
//   AlignedBuffer  — heap block aligned to 64 bytes (a cache line, an AVX-512 register).
//   MappedFile     — a whole file mapped read-only; region(offset, bytes) hands out checked spans.
//                    Guarded against the file being rewritten in place while mapped (below).
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

#include <atomic>
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

// A file truncated or rewritten in place while mapped (`cp new.gguf model.gguf` beside a running
// server) would turn the next read of a vanished page into SIGBUS. MappedFile therefore takes a
// Linux read lease on the file (fcntl F_SETLEASE): another process that opens it for writing or
// truncates it is held by the kernel until the lease is released, and this process is told by a
// real-time signal (lease_signal()). The handler copies the mapping into anonymous memory and
// swaps it in at the same address (mremap), then releases the lease: readers never see a gap,
// tensors keep their addresses, the writer proceeds, and the model in memory stays the one that
// was validated at load. A file replaced by rename needs none of this (the old inode stays
// mapped). Where no lease can be taken (file owned by another user without CAP_LEASE, a file
// system without leases, another handler already on the signal) the mapping is unguarded, as
// every mmap-based runtime's is; lease_held() says which.
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

  // The mapping is guarded by a lease (see above).
  bool lease_held() const { return lease_slot_ >= 0 && !detached(); }
  // A writer came and the contents were copied into memory: the file on disk may differ now.
  bool detached() const { return detached_.load(std::memory_order_acquire); }
  // The real-time signal the leases use (SIGRTMIN + 6).
  static int lease_signal();

 private:
  friend struct LeaseRegistry;
  void detach_from_disk() noexcept;  // in the signal handler

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;           // kept open while a lease is held
  int lease_slot_ = -1;   // index in the lease registry, -1 = unguarded
  std::atomic<bool> detached_{false};  // set by the signal handler
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
