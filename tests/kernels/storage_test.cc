#include "kernels/storage.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

// --- Faults: the file changes on disk while it is mapped. ---

std::vector<uint8_t> pattern(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> data(bytes);
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<uint8_t>(i * 31 + seed + i / 4096);
  return data;
}

void write_file(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// Runs `child` in a forked process (another process, as a person's `cp` would be) and waits for
// it; false when it has not finished after `seconds` (the writer is still held by the lease).
// Leases are on unless an administrator turned them off (fs.leases-enable); files we create are
// ours, so taking one must then succeed.
bool leases_enabled() {
  std::ifstream in("/proc/sys/fs/leases-enable");
  int enabled = 1;
  in >> enabled;
  return enabled != 0;
}

bool run_in_child_process(void (*child)(const char*), const std::string& path, double seconds) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    child(path.c_str());
    ::_exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// `cp other.gguf model.gguf`: truncate to nothing, then write something shorter.
void rewrite_shorter(const char* path) {
  const int fd = ::open(path, O_WRONLY | O_TRUNC);
  if (fd < 0) ::_exit(2);
  if (::write(fd, "new", 3) != 3) ::_exit(3);
  ::close(fd);
}

void truncate_to_100(const char* path) {
  if (::truncate(path, 100) != 0) ::_exit(2);
}

TEST(MappedFile, RewrittenInPlaceWhileMappedKeepsTheValidatedContents) {
  const std::string path = temp_path("rewrite.bin");
  const std::vector<uint8_t> original = pattern(3 << 20, 7);
  write_file(path, original);
  MappedFile file(path);
  if (!leases_enabled()) GTEST_SKIP() << "fs.leases-enable is 0: mappings are unguarded here";
  ASSERT_TRUE(file.lease_held()) << path;
  const uint8_t* before = file.data();
  // The writer finishes (the lease was released once the copy was made) ...
  ASSERT_TRUE(run_in_child_process(rewrite_shorter, path, 10.0));
  EXPECT_TRUE(file.detached());
  EXPECT_FALSE(file.lease_held());
  // ... the file on disk is the new one ...
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  // ... and every byte of the mapping, past the new end of file included, is still the original
  // at the same address (without the copy these reads would be SIGBUS).
  EXPECT_EQ(file.data(), before);
  EXPECT_EQ(std::vector<uint8_t>(file.data(), file.data() + file.size()), original);
  MappedFile reopened(path);  // a new load sees the new file
  EXPECT_EQ(reopened.size(), 3u);
  std::remove(path.c_str());
}

TEST(MappedFile, TruncatedWhileReadByOtherThreadsNeverReadsPastTheEnd) {
  const std::string path = temp_path("truncate.bin");
  const std::vector<uint8_t> original = pattern(1 << 20, 3);
  write_file(path, original);
  MappedFile file(path);
  if (!leases_enabled()) GTEST_SKIP() << "fs.leases-enable is 0: mappings are unguarded here";
  ASSERT_TRUE(file.lease_held()) << path;
  uint64_t expected = 0;
  for (uint8_t b : original) expected += b;
  std::atomic<bool> stop{false};
  std::atomic<int> bad_sums{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        uint64_t sum = 0;
        for (size_t i = 0; i < file.size(); ++i) sum += file.data()[i];
        if (sum != expected) bad_sums.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool finished = run_in_child_process(truncate_to_100, path, 10.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop.store(true);
  for (std::thread& t : readers) t.join();
  ASSERT_TRUE(finished);
  EXPECT_TRUE(file.detached());
  EXPECT_EQ(bad_sums.load(), 0);
  std::remove(path.c_str());
}

TEST(MappedFile, RewrittenInPlaceByThisProcessToo) {
  const std::string path = temp_path("self.bin");
  const std::vector<uint8_t> original = pattern(1 << 20, 5);
  write_file(path, original);
  MappedFile file(path);
  if (!leases_enabled()) GTEST_SKIP() << "fs.leases-enable is 0";
  ASSERT_TRUE(file.lease_held()) << path;
  const auto start = std::chrono::steady_clock::now();
  write_file(path, pattern(10, 6));  // the lease breaks on our own open(O_TRUNC)
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(file.detached());
  EXPECT_EQ(std::vector<uint8_t>(file.data(), file.data() + file.size()), original);
  std::remove(path.c_str());
}

TEST(MappedFile, ReplacedByRenameKeepsTheOldFileMapped) {
  const std::string path = temp_path("rename.bin");
  const std::string next = temp_path("rename.next");
  const std::vector<uint8_t> original = pattern(100'000, 1);
  write_file(path, original);
  MappedFile file(path);
  write_file(next, pattern(5, 2));
  ASSERT_EQ(std::rename(next.c_str(), path.c_str()), 0);  // how `parley models` installs a file
  EXPECT_FALSE(file.detached());  // no writer touched the mapped inode: nothing to copy
  EXPECT_EQ(std::vector<uint8_t>(file.data(), file.data() + file.size()), original);
  MappedFile reopened(path);
  EXPECT_EQ(reopened.size(), 5u);
  std::remove(path.c_str());
}

TEST(MappedFile, ALeaseDoesNotOutliveItsMapping) {
  const std::string path = temp_path("release.bin");
  write_file(path, pattern(4096, 9));
  {
    MappedFile file(path);
    if (!leases_enabled()) GTEST_SKIP() << "fs.leases-enable is 0";
    ASSERT_TRUE(file.lease_held()) << path;
  }
  // A writer must not be held by a lease of a mapping that is gone.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NONBLOCK);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  if (fd >= 0) ::close(fd);
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
