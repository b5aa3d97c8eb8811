// Test helper: a full disk without root or a mount. While a FileSizeLimit lives, this process
// cannot grow a file past `bytes` (RLIMIT_FSIZE): write() fails with EFBIG, as it would with
// ENOSPC on a full disk, and SIGXFSZ (which would kill the process) is ignored. Both are restored
// by the destructor. ctest runs every test in its own process, so nothing leaks into other tests.
#pragma once

#include <signal.h>
#include <sys/resource.h>

namespace parley::test {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    ok_ = setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
  bool ok_ = false;
};

}  // namespace parley::test
