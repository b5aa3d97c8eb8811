// Replays every committed fuzz finding, tests/fuzz/regressions/<target>/<input>, through the
// entry point of fuzz_<target>.cc (compiled into this executable), so fixed crashes, hangs and
// sanitizer reports stay fixed in the normal suite and, under ASan/UBSan, in CI's sanitizer stage.
// One test per target; an entry point that crashes or throws an undocumented exception fails it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzRegression : public testing::TestWithParam<std::string> {};

TEST_P(FuzzRegression, ReplaysEveryCommittedInput) {
  const std::string& target = GetParam();
  const parley::fuzz::Entry entry = parley::fuzz::registered_targets().at(target);
  const fs::path dir = fs::path(PARLEY_FUZZ_REGRESSIONS_DIR) / target;
  int replayed = 0;
  if (fs::is_directory(dir)) {
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().filename() == "README.md") continue;
      const std::vector<uint8_t> bytes = read_bytes(e.path());
      SCOPED_TRACE(e.path().string());
      const auto start = std::chrono::steady_clock::now();
      EXPECT_NO_THROW(entry(bytes.data(), bytes.size()));
      // A finding that was a hang must stay fast (generous for sanitizer builds).
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
      ++replayed;
    }
  }
  // Every target also survives the empty input and a few bytes of each kind.
  for (const std::vector<uint8_t>& bytes :
       {std::vector<uint8_t>{}, std::vector<uint8_t>{0}, std::vector<uint8_t>{0xff, 0xff},
        std::vector<uint8_t>(64, 0x7b)}) {
    EXPECT_NO_THROW(entry(bytes.data(), bytes.size()));
  }
  RecordProperty("replayed", replayed);
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : parley::fuzz::registered_targets()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression, testing::ValuesIn(target_names()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

// A folder of regressions for a target that does not exist would silently replay nothing.
TEST(FuzzRegressions, EveryFolderNamesATarget) {
  const fs::path root(PARLEY_FUZZ_REGRESSIONS_DIR);
  ASSERT_TRUE(fs::is_directory(root)) << root;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    EXPECT_TRUE(parley::fuzz::registered_targets().contains(e.path().filename().string()))
        << e.path() << " has no fuzz_" << e.path().filename().string() << ".cc";
  }
}

}  // namespace
