#include "kernels/storage.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/error.h"

namespace parley::kernels {

static size_t round_up(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

void AlignedBuffer::Free::operator()(uint8_t* p) const noexcept { std::free(p); }

AlignedBuffer::AlignedBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  void* p = std::aligned_alloc(kAlignment, round_up(bytes, kAlignment));
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<uint8_t*>(p));
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error(path + ": cannot map: " + std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

const uint8_t* MappedFile::region(uint64_t offset, uint64_t bytes, std::string_view what) const {
  if (offset > size_ || bytes > size_ - offset) {
    throw Error(path_ + ": " + std::string(what) + " lies outside the file (offset " +
                std::to_string(offset) + ", " + std::to_string(bytes) + " bytes, file is " +
                std::to_string(size_) + " bytes)");
  }
  return data_ + offset;
}

Arena::Arena(size_t initial_bytes) {
  if (initial_bytes > 0) chunks_.emplace_back(round_up(initial_bytes, kAlignment));
}

void* Arena::allocate_bytes(size_t bytes) {
  const size_t need = round_up(bytes == 0 ? 1 : bytes, kAlignment);
  if (chunks_.empty() || offset_ + need > chunks_.back().size()) {
    const size_t last = chunks_.empty() ? 0 : chunks_.back().size();
    chunks_.emplace_back(std::max(need, std::max<size_t>(last * 2, 64 * 1024)));
    offset_ = 0;
  }
  void* p = chunks_.back().data() + offset_;
  offset_ += need;
  used_ += need;
  return p;
}

void Arena::reset() {
  peak_ = std::max(peak_, used_);
  if (chunks_.size() > 1) {
    // Merge: one chunk large enough for the peak, so steady state never allocates.
    chunks_.clear();
    chunks_.emplace_back(round_up(peak_, kAlignment));
  }
  offset_ = 0;
  used_ = 0;
}

size_t Arena::capacity() const {
  size_t total = 0;
  for (const auto& c : chunks_) total += c.size();
  return total;
}

}  // namespace parley::kernels
