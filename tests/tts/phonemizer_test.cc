// Phonemizer: espeak-ng IPA with Piper's clause terminators and sentences, and Piper's id layout,
// checked against the shared golden ids and against espeak-ng's own clause output.
#include "tts/phonemizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "kernels/error.h"
#include "tests/tts/golden_files.h"
#include "tts/utf8.h"

namespace parley::tts {
namespace {

const std::string kVoices = std::string(PARLEY_SHARED_TESTDATA) + "/tts/voices";
const std::string kLessacConfig = kVoices + "/en_US-lessac-medium.onnx.json";
const std::string kSentencePath = std::string(PARLEY_SHARED_TESTDATA) + "/tts/tts_sentence.txt";
const std::string kGoldenIdsPath =
    std::string(PARLEY_SHARED_TESTDATA) + "/tts/tts_sentence_lessac.ids.i64";

using testing::read_ids;
using testing::read_text;

std::string ipa(std::u32string_view phonemes) {
  return utf8_encode(phonemes);
}

class PhonemizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kLessacConfig)) GTEST_SKIP() << "missing " << kLessacConfig;
    config_ = load_voice_config(kLessacConfig);
  }
  VoiceConfig config_;
};

TEST_F(PhonemizerTest, SharedSentenceGivesGoldenIds) {
  if (!std::filesystem::exists(kGoldenIdsPath) || !std::filesystem::exists(kSentencePath)) {
    GTEST_SKIP() << "missing " << kGoldenIdsPath;
  }
  const std::vector<int64_t> golden = read_ids(kGoldenIdsPath);
  ASSERT_EQ(golden.size(), 233u);
  Phonemizer phonemizer(config_.espeak_voice);
  std::map<char32_t, int> missing;
  const std::vector<int64_t> ids = phoneme_ids(
      phonemizer.phonemize_as_one_utterance(read_text(kSentencePath)), config_, &missing);
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(ids, golden);
}

TEST_F(PhonemizerTest, SharedSentenceSplitsIntoPiperSentences) {
  if (!std::filesystem::exists(kSentencePath)) GTEST_SKIP() << "missing " << kSentencePath;
  Phonemizer phonemizer(config_.espeak_voice);
  const auto sentences = phonemizer.phonemize(read_text(kSentencePath));
  ASSERT_EQ(sentences.size(), 2u);
  EXPECT_EQ(ipa(sentences[0]), "həlˈoʊ, ðɪs ɪz ɐ tˈɛst ʌvðɪ ˈɔflaɪn vˈɔɪs ɐsˈɪstənt.");
  EXPECT_EQ(ipa(sentences[1]), "tˈɜːn ɔnðə kˈɪtʃən lˈaɪts ænd sˈɛt ɐ tˈaɪmɚ fɔːɹ tˈɛn mˈɪnɪts.");
  const std::vector<int64_t> ids = phoneme_ids(sentences[0], config_);
  ASSERT_GE(ids.size(), 5u);
  EXPECT_EQ(ids[0], 1);                // ^
  EXPECT_EQ(ids[1], 0);                // _
  EXPECT_EQ(ids[ids.size() - 3], 10);  // .
  EXPECT_EQ(ids[ids.size() - 2], 0);   // _
  EXPECT_EQ(ids.back(), 2);            // $
}

// Expected phonemes: espeak-ng 1.51's `espeak-ng -q -v en-us --ipa` clause lines, with Piper's
// terminators attached by hand.
TEST_F(PhonemizerTest, KeepsEveryClauseTerminatorAsPiperDoes) {
  Phonemizer phonemizer("en-us");
  const auto clauses =
      phonemizer.phonemize_clauses("Is it raining? No! Take a coat: it's cold; very cold.");
  ASSERT_EQ(clauses.size(), 5u);
  const ClauseTerminator expected_terminators[] = {
      ClauseTerminator::kQuestion, ClauseTerminator::kExclamation, ClauseTerminator::kColon,
      ClauseTerminator::kSemicolon, ClauseTerminator::kPeriod};
  const bool expected_sentence_ends[] = {true, true, false, false, true};
  for (size_t i = 0; i < clauses.size(); ++i) {
    EXPECT_EQ(clauses[i].terminator, expected_terminators[i]) << "clause " << i;
    EXPECT_EQ(clauses[i].ends_sentence, expected_sentence_ends[i]) << "clause " << i;
  }
  const auto sentences =
      phonemizer.phonemize("Is it raining? No! Take a coat: it's cold; very cold.");
  ASSERT_EQ(sentences.size(), 3u);
  EXPECT_EQ(ipa(sentences[0]), "ɪz ɪt ɹˈeɪnɪŋ?");
  EXPECT_EQ(ipa(sentences[1]), "nˈoʊ!");
  EXPECT_EQ(ipa(sentences[2]), "tˈeɪk ɐ kˈoʊt: ɪts kˈoʊld; vˈɛɹi kˈoʊld.");
}

TEST_F(PhonemizerTest, TextWithoutFinalPunctuationIsOneSentenceWithoutTerminator) {
  Phonemizer phonemizer(config_.espeak_voice);
  const auto sentences = phonemizer.phonemize("The quick brown fox jumps over the lazy dog  ");
  ASSERT_EQ(sentences.size(), 1u);
  EXPECT_EQ(ipa(sentences[0]), "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ");
  std::map<char32_t, int> missing;
  const auto ids = phoneme_ids(sentences[0], config_, &missing);
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(ids.size(), 2 + 2 * sentences[0].size() + 1);
}

TEST_F(PhonemizerTest, EmptyTextGivesNoSentences) {
  Phonemizer phonemizer("en-us");
  EXPECT_TRUE(phonemizer.phonemize("").empty());
  EXPECT_TRUE(phonemizer.phonemize("   ").empty());
}

TEST_F(PhonemizerTest, MissingPhonemesAreSkippedAndCounted) {
  std::map<char32_t, int> missing;
  const auto ids = phoneme_ids(U"a\u2603a\u2603", config_, &missing);
  const std::vector<int64_t> expected = {1, 0, 14, 0, 14, 0, 2};
  EXPECT_EQ(ids, expected);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[U'\u2603'], 2);
}

TEST_F(PhonemizerTest, PhonemeMapSubstitutesBeforeLookup) {
  VoiceConfig config = config_;
  config.phoneme_map.insert_or_assign(U'c', std::u32string(1, U'k'));  // Piper's pt-br substitution
  const std::vector<int64_t> expected = {1, 0, 23, 0, 14, 0, 2};
  EXPECT_EQ(phoneme_ids(U"ca", config), expected);
}

TEST_F(PhonemizerTest, PhonemesAreDecomposedAsPiperDoes) {
  // "ç" must come out as 'c' + U+0327, both in the lessac map.
  Phonemizer phonemizer("de");
  bool found_decomposed = false;
  for (const auto& sentence : phonemizer.phonemize("Ich")) {
    EXPECT_EQ(sentence.find(U'\u00E7'), std::u32string::npos);
    found_decomposed |= sentence.find(U"c\u0327") != std::u32string::npos;
  }
  EXPECT_TRUE(found_decomposed);
}

TEST(PhonemizerErrors, UnknownVoiceThrows) {
  EXPECT_THROW(Phonemizer("no-such-voice-xx"), parley::Error);
}

TEST_F(PhonemizerTest, ConcurrentCallsAreSerialisedAndAgree) {
  Phonemizer english("en-us");
  Phonemizer german("de");
  const auto expected_english = english.phonemize("Turn on the kitchen lights.");
  const auto expected_german = german.phonemize("Guten Morgen.");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (t % 2 == 0 ? english.phonemize("Turn on the kitchen lights.") != expected_english
                       : german.phonemize("Guten Morgen.") != expected_german) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace parley::tts
