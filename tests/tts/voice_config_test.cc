// VoiceConfig: the real Piper configs parse with the values they hold; malformed configs fail
// with a message that names the file and the field.
#include "tts/voice_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "kernels/error.h"

namespace parley::tts {
namespace {

const std::string kVoices = std::string(PARLEY_SHARED_TESTDATA) + "/tts/voices";

TEST(VoiceConfig, LoadsLessacMedium) {
  const std::string path = kVoices + "/en_US-lessac-medium.onnx.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  const VoiceConfig config = load_voice_config(path);
  EXPECT_EQ(config.sample_rate_hz, 22050);
  EXPECT_EQ(config.espeak_voice, "en-us");
  EXPECT_FLOAT_EQ(config.noise_scale, 0.667f);
  EXPECT_FLOAT_EQ(config.length_scale, 1.0f);
  EXPECT_FLOAT_EQ(config.noise_w, 0.8f);
  EXPECT_EQ(config.num_speakers, 1);
  EXPECT_EQ(config.num_symbols, 256);
  EXPECT_EQ(config.phoneme_id_map.size(), 154u);
  ASSERT_NE(config.find_phoneme_ids(U'ə'), nullptr);
  EXPECT_EQ(*config.find_phoneme_ids(U'ə'), std::vector<int64_t>{59});
  EXPECT_EQ(*config.find_phoneme_ids(U'^'), std::vector<int64_t>{1});
  EXPECT_EQ(config.find_phoneme_ids(U'\u2603'), nullptr);
}

TEST(VoiceConfig, LoadsLowQualityVoicesAtTheirRate) {
  for (const char* name : {"en_US-lessac-low", "en_US-amy-low"}) {
    const std::string path = kVoices + "/" + name + ".onnx.json";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
    EXPECT_EQ(load_voice_config(path).sample_rate_hz, 16000) << name;
  }
}

constexpr const char* kMinimal = R"({
  "audio": {"sample_rate": 16000},
  "espeak": {"voice": "en-us"},
  "inference": {"noise_scale": 0.5, "length_scale": 1.2, "noise_w": 0.7},
  "num_speakers": 3,
  "speaker_id_map": {"alice": 0, "bob": 2},
  "phoneme_map": {"c": ["k"]},
  "phoneme_id_map": {"_": [0], "^": [1], "$": [2], "a": [3, 4]}
})";

TEST(VoiceConfig, ParsesSpeakersScalesAndSubstitutions) {
  const VoiceConfig config = parse_voice_config(kMinimal, "multi.onnx.json");
  EXPECT_EQ(config.sample_rate_hz, 16000);
  EXPECT_FLOAT_EQ(config.length_scale, 1.2f);
  EXPECT_EQ(config.speaker_id("bob"), 2);
  EXPECT_EQ(config.speaker_id("1"), 1);
  EXPECT_THROW(config.speaker_id("carol"), parley::Error);
  EXPECT_THROW(config.speaker_id("3"), parley::Error);
  EXPECT_EQ(*config.find_phoneme_ids(U'a'), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(config.phoneme_map.at(U'c'), U"k");
}

struct MalformedCase {
  const char* json;
  const char* field;  // must appear in the message, with the file name
};

class VoiceConfigMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(VoiceConfigMalformed, NamesFileAndField) {
  try {
    parse_voice_config(GetParam().json, "bad_voice.onnx.json");
    FAIL() << "accepted: " << GetParam().json;
  } catch (const parley::Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("bad_voice.onnx.json"), std::string::npos) << message;
    EXPECT_NE(message.find(GetParam().field), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VoiceConfigMalformed,
    ::testing::Values(
        MalformedCase{"{not json", "not valid JSON"}, MalformedCase{"[1, 2]", "(document)"},
        MalformedCase{R"({"espeak": {"voice": "en-us"}, "phoneme_id_map": {}})", "audio"},
        MalformedCase{R"({"audio": {}, "espeak": {"voice": "en-us"}})", "audio.sample_rate"},
        MalformedCase{R"({"audio": {"sample_rate": "fast"}, "espeak": {"voice": "en-us"}})",
                      "audio.sample_rate"},
        MalformedCase{R"({"audio": {"sample_rate": -5}, "espeak": {"voice": "en-us"}})",
                      "audio.sample_rate"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "phoneme_id_map": {}})", "espeak"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": 3}})",
                      "espeak.voice"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}})",
                      "phoneme_id_map"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "phoneme_id_map": {"_": [0], "^": [1]}})",
                      "'$'"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "phoneme_id_map": {"_": [0], "^": [1], "$": [2], "ab": [3]}})",
                      "phoneme_id_map['ab']"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "phoneme_id_map": {"_": [0], "^": [1], "$": [2], "a": "3"}})",
                      "phoneme_id_map['a']"},
        MalformedCase{
            R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "num_symbols": 3,
                          "phoneme_id_map": {"_": [0], "^": [1], "$": [2], "a": [7]}})",
            "phoneme_id_map['a']"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "inference": {"length_scale": "slow"}, )"
                      "\"phoneme_id_map\": {\"_\": [0], \"^\": [1], \"$\": [2]}}",
                      "inference.length_scale"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "inference": {"noise_scale": -1}, )"
                      "\"phoneme_id_map\": {\"_\": [0], \"^\": [1], \"$\": [2]}}",
                      "inference.noise_scale"},
        MalformedCase{
            R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "num_speakers": 2,
                          "speaker_id_map": {"x": 5}, )"
            "\"phoneme_id_map\": {\"_\": [0], \"^\": [1], \"$\": [2]}}",
            "speaker_id_map['x']"},
        MalformedCase{R"({"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"},
                          "phoneme_map": {"c": "k"}, )"
                      "\"phoneme_id_map\": {\"_\": [0], \"^\": [1], \"$\": [2]}}",
                      "phoneme_map['c']"},
        MalformedCase{
            R"({"audio": {"sample_rate": 22050}, "phoneme_type": "klingon", "espeak": {"voice": "en-us"}})",
            "phoneme_type"}));

TEST(VoiceConfig, MissingFileNamesThePath) {
  try {
    load_voice_config("/nonexistent/dir/voice.onnx.json");
    FAIL();
  } catch (const parley::Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/dir/voice.onnx.json"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace parley::tts
