#include "assistant/core/wake_phrase.h"

#include <gtest/gtest.h>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

using Verdict = WakePhraseGate::Verdict;
constexpr int64_t kSecond = 1'000'000;

TEST(WakePhrase, NormalizesWords) {
  EXPECT_EQ(normalized_words("Hey, PARLEY! what's 2+2?"),
            (std::vector<std::string>{"hey", "parley", "what's", "2", "2"}));
  EXPECT_TRUE(normalized_words(" ,.!").empty());
}

TEST(WakePhrase, AnswersOnlyRequestsThatStartWithThePhrase) {
  WakePhraseGate gate("Hey Parley", 8.0);
  EXPECT_EQ(gate.admit("what time is it", 0).verdict, Verdict::kIgnore);
  EXPECT_EQ(gate.admit("I told parley hey", kSecond).verdict, Verdict::kIgnore);
  const WakePhraseGate::Decision d = gate.admit("HEY PARLEY, WHAT TIME IS IT", 2 * kSecond);
  EXPECT_EQ(d.verdict, Verdict::kAnswer);
  EXPECT_EQ(d.text, "WHAT TIME IS IT");
}

TEST(WakePhrase, FillerWordsAndOneEditAreTolerated) {
  WakePhraseGate gate("computer", 0.0);
  EXPECT_EQ(gate.admit("ok computer lights on", 0).text, "lights on");
  EXPECT_EQ(gate.admit("um uh computer stop", 0).text, "stop");
  EXPECT_EQ(gate.admit("compuder set a timer", 0).text, "set a timer");   // one substitution
  EXPECT_EQ(gate.admit("a b c computer stop", 0).verdict, Verdict::kIgnore);  // too late
  EXPECT_EQ(gate.admit("commuter set a timer", 0).verdict, Verdict::kAnswer);  // distance 1 too
  EXPECT_EQ(gate.admit("calculator set a timer", 0).verdict, Verdict::kIgnore);
  WakePhraseGate short_word("hi bo", 0.0);  // words under four letters must match exactly
  EXPECT_EQ(short_word.admit("hi bo go", 0).text, "go");
  EXPECT_EQ(short_word.admit("hi be go", 0).verdict, Verdict::kIgnore);
}

TEST(WakePhrase, PhraseAloneWakesAndTheWindowAllowsFollowUps) {
  WakePhraseGate gate("parley", 5.0);
  EXPECT_EQ(gate.admit("Parley.", 0).verdict, Verdict::kWakeOnly);
  EXPECT_TRUE(gate.awake(4 * kSecond));
  const WakePhraseGate::Decision d = gate.admit("what's the weather", 4 * kSecond);
  EXPECT_EQ(d.verdict, Verdict::kAnswer);
  EXPECT_EQ(d.text, "what's the weather");
  gate.turn_ended(10 * kSecond);  // the window runs from the end of the answered turn
  EXPECT_EQ(gate.admit("and tomorrow", 14 * kSecond).verdict, Verdict::kAnswer);
  EXPECT_FALSE(gate.awake(16 * kSecond));
  EXPECT_EQ(gate.admit("and tomorrow", 16 * kSecond).verdict, Verdict::kIgnore);
}

TEST(WakePhrase, EmptyPhraseIsAnError) {
  EXPECT_THROW(WakePhraseGate(" !? ", 8.0), Error);
  EXPECT_THROW(WakePhraseGate("parley", -1.0), Error);
}

// Anywhere in a transcript (Wyoming's wake detection), or within the first words (the gate).
TEST(WakePhrase, FindsThePhraseWordsAnywhereOrNearTheStart) {
  const std::vector<std::string> phrase = normalized_words("hey parley");
  EXPECT_EQ(find_phrase_words(normalized_words("HEY PARLEY WHAT IS"), phrase), 0u);
  EXPECT_EQ(find_phrase_words(normalized_words("so um well hey parly"), phrase), 3u);  // one edit
  EXPECT_EQ(find_phrase_words(normalized_words("so um well hey parley"), phrase, 2), std::nullopt);
  EXPECT_EQ(find_phrase_words(normalized_words("hay parley"), phrase), std::nullopt);  // short words exact
  EXPECT_EQ(find_phrase_words(normalized_words("hey"), phrase), std::nullopt);
  EXPECT_EQ(find_phrase_words(normalized_words("hey parley"), {}), std::nullopt);
}

}  // namespace
}  // namespace parley::assistant
