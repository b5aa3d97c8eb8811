// Shared plumbing of the fuzz targets in tests/fuzz/.
//
// Each fuzz_<target>.cc defines its entry point with PARLEY_FUZZ_TARGET(<target>) { ... } over
// `data` / `size`. The same file is compiled two ways:
//   * as a libFuzzer executable (PARLEY_FUZZ_STANDALONE defined; CMake option
//     PARLEY_BUILD_FUZZERS, clang): the macro also defines LLVMFuzzerTestOneInput;
//   * into tests/fuzz/regressions_test.cc's executable in the normal suite: the macro registers
//     the entry point by name, and the test replays every file under
//     tests/fuzz/regressions/<target>/ through it.
// An entry point catches only the errors its parser documents (parley::Error,
// parley::audio::Error). Anything else escaping — another exception type, a crash, a sanitizer
// report, a leak, a timeout — is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace parley::fuzz {

using Entry = int (*)(const uint8_t* data, size_t size);

inline std::map<std::string, Entry>& registered_targets() {
  static std::map<std::string, Entry> targets;
  return targets;
}
inline bool register_target(const char* name, Entry entry) {
  registered_targets()[name] = entry;
  return true;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A per-process scratch folder for parsers that only take paths: /dev/shm when it exists (no
// disk traffic per execution), else the system temp folder. Removed at exit.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      std::error_code ec;
      std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                       ? std::filesystem::path("/dev/shm")
                                       : std::filesystem::temp_directory_path();
      path = base / ("parley-fuzz-" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static Dir dir;
  return dir.path;
}

// Writes the bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::filesystem::path path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();  // the harness itself is broken, not the parser
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path.string();
}

// Splits fuzz input into a few fields: the first `count - 1` fields end at a '\xff' separator
// byte (absent separators leave later fields empty).
inline std::string_view take_field(std::string_view& rest) {
  const size_t cut = rest.find('\xff');
  std::string_view field = rest.substr(0, cut);
  rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  return field;
}

}  // namespace parley::fuzz

#ifdef PARLEY_FUZZ_STANDALONE
#define PARLEY_FUZZ_TARGET(name)                                                          \
  static int parley_fuzz_##name(const uint8_t* data, size_t size);                       \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {              \
    return parley_fuzz_##name(data, size);                                                \
  }                                                                                       \
  static int parley_fuzz_##name(const uint8_t* data, size_t size)
#else
#define PARLEY_FUZZ_TARGET(name)                                                          \
  static int parley_fuzz_##name(const uint8_t* data, size_t size);                       \
  [[maybe_unused]] static const bool parley_fuzz_registered_##name =                      \
      ::parley::fuzz::register_target(#name, parley_fuzz_##name);                         \
  static int parley_fuzz_##name(const uint8_t* data, size_t size)
#endif
