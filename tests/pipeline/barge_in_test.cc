// heard_text(): what the history keeps after a barge-in, against hand-worked cases.
#include "assistant/core/barge_in.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::assistant {
namespace {

// Three clauses at 1000 samples each with a 200-sample pause after the first.
const std::vector<ClauseSpan> kReply = {
    {"It is ten past seven.", 0, 1000},              // 5 words
    {"Your first meeting is at nine,", 1200, 2200},  // 6 words
    {"and it is raining.", 2200, 3200},              // 4 words
};

struct Case {
  int64_t played;
  const char* heard;
};

TEST(BargeIn, HeardTextTable) {
  const Case cases[] = {
      {0, ""},
      {99, ""},                        // 0.099 * 5 = 0.495 words -> none
      {110, "It"},                     // 0.55 word: the larger part was heard
      {400, "It is"},                  // 2.0 words
      {999, "It is ten past seven."},  // 4.995 -> 5
      {1000, "It is ten past seven."},
      {1100, "It is ten past seven."},                     // in the pause
      {1200, "It is ten past seven."},                     // next clause not started
      {1700, "It is ten past seven. Your first meeting"},  // 0.5 * 6 = 3
      {2200, "It is ten past seven. Your first meeting is at nine,"},
      {2201, "It is ten past seven. Your first meeting is at nine,"},
      {2950, "It is ten past seven. Your first meeting is at nine, and it is"},  // 0.75 * 4 = 3
      {3200, "It is ten past seven. Your first meeting is at nine, and it is raining."},
      {1'000'000, "It is ten past seven. Your first meeting is at nine, and it is raining."},
      {-5, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(heard_text(kReply, c.played), c.heard) << "played " << c.played;
  }
}

TEST(BargeIn, OddSpansAndWhitespace) {
  const std::vector<ClauseSpan> odd = {
      {"  Hello,\tthere  ", 0, 100},
      {"", 100, 100},               // empty span, empty text
      {"silent clause", 100, 100},  // zero-length: heard once playback reaches it
      {"café au lait", 100, 400},   // UTF-8 words stay whole
  };
  EXPECT_EQ(heard_text(odd, 50), "Hello,");
  EXPECT_EQ(heard_text(odd, 100), "Hello, there silent clause");
  EXPECT_EQ(heard_text(odd, 160), "Hello, there silent clause café");  // 0.2 * 3 = 0.6 -> 1
  EXPECT_EQ(heard_text(odd, 400), "Hello, there silent clause café au lait");
  EXPECT_EQ(heard_text({}, 1000), "");
}

TEST(BargeIn, LedgerAccumulatesSpansWithGaps) {
  PlaybackLedger ledger;
  ledger.append("It is ten past seven.", 1000);
  ledger.append("Your first meeting is at nine,", 1000, 200);
  ledger.append("and it is raining.", 1000);
  const std::vector<ClauseSpan> spans = ledger.clauses();
  ASSERT_EQ(spans.size(), 3u);
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].begin_sample, kReply[i].begin_sample) << i;
    EXPECT_EQ(spans[i].end_sample, kReply[i].end_sample) << i;
  }
  EXPECT_EQ(ledger.total_samples(), 3200);
  EXPECT_EQ(ledger.heard_text(1700), "It is ten past seven. Your first meeting");
  EXPECT_EQ(ledger.full_text(),
            "It is ten past seven. Your first meeting is at nine, and it is raining.");
  ledger.clear();
  EXPECT_EQ(ledger.heard_text(5000), "");
  EXPECT_EQ(ledger.total_samples(), 0);
  ledger.append("Negative counts are clamped.", -10, -5);
  EXPECT_EQ(ledger.total_samples(), 0);
}

}  // namespace
}  // namespace parley::assistant
