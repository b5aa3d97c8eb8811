#include "kernels/storage.h"

#include <fcntl.h>
#include <signal.h>
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

// Which MappedFile holds the lease on which descriptor, readable from the signal handler: fixed
// slots, no locks or allocation. state: 0 free, 1 registered, 2 in use (being filled, detached
// or emptied); the handler and the destructor claim a slot by 1 -> 2.
struct LeaseRegistry {
  static constexpr int kSlots = 256;
  struct Slot {
    std::atomic<int> state{0};
    std::atomic<int> fd{-1};
    std::atomic<MappedFile*> file{nullptr};
  };
  static Slot* slots() {
    static Slot table[kSlots];
    return table;
  }

  static void on_signal(int, siginfo_t* info, void*) {
    const int saved_errno = errno;
    for (int i = 0; i < kSlots; ++i) {
      Slot& slot = slots()[i];
      if (slot.fd.load() != info->si_fd) continue;
      int expected = 1;
      if (!slot.state.compare_exchange_strong(expected, 2)) continue;
      if (slot.fd.load() == info->si_fd) slot.file.load()->detach_from_disk();
      slot.state.store(1);
    }
    errno = saved_errno;
  }

  // Installs the handler once; false when someone else already handles the signal.
  static bool handler_ready() {
    static const bool ready = [] {
      struct sigaction old {};
      if (::sigaction(MappedFile::lease_signal(), nullptr, &old) != 0) return false;
      if ((old.sa_flags & SA_SIGINFO) != 0 || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
        return false;
      struct sigaction action {};
      action.sa_sigaction = on_signal;
      action.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset(&action.sa_mask);
      return ::sigaction(MappedFile::lease_signal(), &action, nullptr) == 0;
    }();
    return ready;
  }

  // Registers `file` (its fd_ open read-only) and takes the lease; the slot index, or -1.
  static int acquire(MappedFile* file) {
    if (!handler_ready()) return -1;
    for (int i = 0; i < kSlots; ++i) {
      Slot& slot = slots()[i];
      int expected = 0;
      if (!slot.state.compare_exchange_strong(expected, 2)) continue;
      slot.file.store(file);
      slot.fd.store(file->fd_);
      if (::fcntl(file->fd_, F_SETSIG, MappedFile::lease_signal()) != 0 ||
          ::fcntl(file->fd_, F_SETLEASE, F_RDLCK) != 0) {
        slot.fd.store(-1);
        slot.file.store(nullptr);
        slot.state.store(0);
        return -1;
      }
      slot.state.store(1);
      return i;
    }
    return -1;
  }

  static void release(int index, int fd) {
    Slot& slot = slots()[index];
    for (;;) {  // waits while a handler on another thread is detaching this file
      int expected = 1;
      if (slot.state.compare_exchange_weak(expected, 2)) break;
    }
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
    slot.fd.store(-1);
    slot.file.store(nullptr);
    slot.state.store(0);
  }
};

int MappedFile::lease_signal() { return SIGRTMIN + 6; }

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
  if (size_ == 0) {
    ::close(fd);
    return;
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    ::close(fd);
    throw Error(path + ": cannot map: " + std::strerror(err));
  }
  data_ = static_cast<const uint8_t*>(p);
  fd_ = fd;
  lease_slot_ = LeaseRegistry::acquire(this);
  // A writer may have truncated the file between fstat and the lease: then the lease is useless
  // (the pages are already gone) and the mapping must not be handed out.
  if (lease_slot_ >= 0 && (::fstat(fd_, &st) != 0 || static_cast<size_t>(st.st_size) < size_)) {
    LeaseRegistry::release(lease_slot_, fd_);
    ::munmap(p, size_);
    ::close(fd_);
    throw Error(path + ": the file shrank while it was being opened (rewritten in place?)");
  }
  if (lease_slot_ < 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

MappedFile::~MappedFile() {
  if (lease_slot_ >= 0) LeaseRegistry::release(lease_slot_, fd_);
  if (fd_ >= 0) ::close(fd_);
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

// Runs in the lease-break signal handler while the writer is held by the kernel: only system
// calls and memcpy. On failure (no memory for the copy) the lease is still released — the kernel
// would break it after /proc/sys/fs/lease-break-time anyway — and the mapping stays on the file.
void MappedFile::detach_from_disk() noexcept {
  if (!detached_.load(std::memory_order_relaxed)) {
    void* copy = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy != MAP_FAILED) {
      std::memcpy(copy, data_, size_);
      ::mprotect(copy, size_, PROT_READ);
      if (::mremap(copy, size_, size_, MREMAP_MAYMOVE | MREMAP_FIXED,
                   const_cast<uint8_t*>(data_)) != MAP_FAILED) {
        detached_.store(true, std::memory_order_release);
      } else {
        ::munmap(copy, size_);
      }
    }
  }
  ::fcntl(fd_, F_SETLEASE, F_UNLCK);
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
