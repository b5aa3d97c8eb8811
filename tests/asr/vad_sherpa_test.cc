// Speech segments of SileroVad + SpeechSegmenter against sherpa-onnx's own Vad (sherpa-onnx-node
// 1.13.x at PARLEY_REFS_DIR, run through tests/asr/sherpa_vad.js; a reference only, never linked)
// on silero_test.wav (60 s) and espeak_en_16k.wav, models v4, v5 and v6.2, with the same
// threshold (0.5), minimum speech (0.25 s), minimum silence (0.5 s) and maximum speech (20 s):
// the same number of segments, each start and end within 40 ms (measured: <= 14 ms). Skips with
// a message when node or the package is absent. A scripted test checks sherpa_onnx_rules alone.
//
// How sherpa-onnx segments (voice-activity-detector.cc, silero-vad-model.cc) and what that needs:
//   * Counting: it confirms a segment after min_speech of CONSECUTIVE windows with P > threshold,
//     measured from the END of the first one, and ends it on a window with P < threshold - 0.15
//     once min_silence has passed since the END of the first silent window (Silero's
//     get_speech_timestamps counts silence the same way). Our default rules measure both from the
//     window starts and tolerate gaps before confirmation, i.e. they decide one window earlier;
//     on silero_test.wav that splits two pauses of 512-544 ms that sherpa keeps inside a segment.
//     SegmenterConfig::sherpa_onnx_rules switches to sherpa's counting (`parley vad
//     --sherpa-rules`); the hysteresis (release 0.35 = 0.5 - 0.15) was already the same.
//   * Positions: sherpa starts a segment 2 windows + min_speech before the audio seen at
//     confirmation (26 ms before the first speech window for v4, 38 ms for v5, with 0.25 s) and
//     ends it at (audio seen - min_silence): 44 ms after the silence began for 0.5 s. The test
//     uses speech_pad_seconds = 0.04 as the matching padding.
//   * Windows: for v5/v6 sherpa feeds 576 samples advancing by 512, so its windows (context
//     included) are ours shifted 64 samples later, and it reports times in window shifts. The
//     test skips our first 64 samples so both see the same windows; without that, pauses within
//     one window of min_silence can fall either way (one more split on silero_test.wav with v5).
//   * max_speech: sherpa does not cut; past max_speech it raises the threshold to 0.9 and lowers
//     min_silence to 0.1 s. Ours cuts at max_speech. No segment here reaches 20 s.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "asr/silero_vad.h"
#include "asr/speech_segmenter.h"
#include "audio/sound_file.h"
#include "tests/asr/scripted_vad.h"

namespace parley::asr {
namespace {

struct Seconds {
  double start = 0, end = 0;
};

constexpr double kToleranceSeconds = 0.040;

bool node_available() {
  return std::system("node --version > /dev/null 2>&1") == 0;
}

// Runs the sherpa script; fills `out` and returns "" or a reason to skip.
std::string sherpa_segments(const std::string& model, const std::string& wav,
                            const SegmenterConfig& c, std::vector<Seconds>& out) {
  const std::string refs = PARLEY_REFS_DIR;
  if (!node_available()) return "node is not installed";
  if (!std::filesystem::exists(refs + "/sherpa-onnx-node")) {
    return "sherpa-onnx-node is not installed at " + refs + " (scripts/reference_tools.sh)";
  }
  std::ostringstream command;
  command << "node " << PARLEY_SOURCE_DIR << "/tests/asr/sherpa_vad.js " << refs << " " << model
          << " " << wav << " " << c.threshold << " " << c.min_speech_seconds << " "
          << c.min_silence_seconds << " " << c.max_speech_seconds;
  FILE* pipe = popen(command.str().c_str(), "r");
  if (pipe == nullptr) return "cannot run node";
  char line[256];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    Seconds s;
    if (std::sscanf(line, "%lf %lf", &s.start, &s.end) == 2) out.push_back(s);
  }
  const int status = pclose(pipe);
  if (status != 0) {
    ADD_FAILURE() << "sherpa_vad.js failed (status " << status << "): " << command.str();
  }
  return "";
}

std::vector<Seconds> our_segments(const std::string& model, const std::vector<float>& samples,
                                  const SegmenterConfig& c) {
  SileroVad vad(SileroVadModel::load(model));
  // sherpa-onnx's v5 windows are ours shifted 64 samples later (see the header): skip 64 samples
  // so both runtimes see the same windows. sherpa counts time in window shifts, so its times are
  // those of the shifted stream — no correction back.
  std::span<const float> aligned = std::span(samples).subspan(vad.context_samples());
  std::vector<Seconds> out;
  for (const SpeechSegment& s : segment_speech(vad, aligned, c)) {
    out.push_back({s.start_sample / 16000.0, s.end_sample / 16000.0});
  }
  return out;
}

// A detector that reads its probability from the window's first sample.
using ScriptedVad = testing::ScriptedVad<512>;  // Silero v5 window
constexpr auto script = testing::script<512>;

TEST(SherpaRules, CountsOneWindowMoreThanDefault) {
  ScriptedVad vad;
  SegmenterConfig config;  // min speech 0.25 s = 7.8 windows, min silence 0.5 s = 15.6 windows
  config.speech_pad_seconds = 0;
  SegmenterConfig sherpa = config;
  sherpa.sherpa_onnx_rules = true;
  // 8 speech windows: a segment for the default rules (8 x 512 >= 4000), not for sherpa's
  // (7 x 512 < 4000 measured from the end of the first window).
  const std::vector<float> short_speech = script({{0, 20}, {0.9f, 8}, {0, 40}});
  EXPECT_EQ(segment_speech(vad, short_speech, config).size(), 1u);
  EXPECT_TRUE(segment_speech(vad, short_speech, sherpa).empty());
  // Speech, a pause of 16 windows (512 ms), speech: the default rules split (16 x 512 >= 8000),
  // sherpa's need a 17th silent window (16 x 512 from the end of the first) and keep one segment.
  const std::vector<float> pause = script({{0.9f, 20}, {0, 16}, {0.9f, 20}, {0, 40}});
  EXPECT_EQ(segment_speech(vad, pause, config).size(), 2u);
  const auto one = segment_speech(vad, pause, sherpa);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].start_sample, 0);
  EXPECT_EQ(one[0].end_sample, 56 * 512);
  // A gap before confirmation: the default rules bridge it, sherpa's start over.
  const std::vector<float> gappy = script({{0.9f, 5}, {0, 1}, {0.9f, 5}, {0, 40}});
  EXPECT_EQ(segment_speech(vad, gappy, config).size(), 1u);
  EXPECT_TRUE(segment_speech(vad, gappy, sherpa).empty());
  // Windows between release (0.35) and threshold (0.5) neither end nor reset the silence run.
  const std::vector<float> murmur = script({{0.9f, 20}, {0, 8}, {0.4f, 4}, {0, 5}, {0.9f, 10}});
  EXPECT_EQ(segment_speech(vad, murmur, sherpa).size(), 2u);
}

class VadSherpa : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(VadSherpa, SegmentsWithin40ms) {
  const auto& [model_name, wav_name] = GetParam();
  const std::string data = PARLEY_SHARED_TESTDATA;
  const std::string model = data + "/vad/" + model_name + ".onnx";
  const std::string wav = std::string(wav_name) == "silero_test"
                              ? data + "/vad/silero_test.wav"
                              : data + "/audio/" + wav_name + ".wav";
  if (!std::filesystem::exists(model) || !std::filesystem::exists(wav)) {
    GTEST_SKIP() << "no shared test data (" << model << ", " << wav << ")";
  }
  SegmenterConfig config;  // threshold 0.5, release 0.35, min speech 0.25 s, min silence 0.5 s
  config.max_speech_seconds = 20.0f;
  config.sherpa_onnx_rules = true;
  config.speech_pad_seconds = 0.04f;  // sherpa-onnx's implicit padding, see the header
  std::vector<Seconds> theirs;
  const std::string skip = sherpa_segments(model, wav, config, theirs);
  if (!skip.empty()) GTEST_SKIP() << skip;

  const audio::SoundBuffer sound = audio::read_sound_file(wav, {.mix_to_mono = true});
  ASSERT_EQ(sound.sample_rate_hz, 16000);
  const std::vector<Seconds> ours = our_segments(model, sound.samples, config);

  std::printf("%s on %s: %zu segments (sherpa-onnx %zu)\n", model_name, wav_name, ours.size(),
              theirs.size());
  double worst = 0;
  for (size_t i = 0; i < std::max(ours.size(), theirs.size()); ++i) {
    const Seconds o = i < ours.size() ? ours[i] : Seconds{-1, -1};
    const Seconds t = i < theirs.size() ? theirs[i] : Seconds{-1, -1};
    const double ds = o.start - t.start, de = o.end - t.end;
    std::printf("  ours [%7.3f, %7.3f]  sherpa [%7.3f, %7.3f]  diff %+5.0f / %+5.0f ms\n", o.start,
                o.end, t.start, t.end, 1000 * ds, 1000 * de);
    if (i < ours.size() && i < theirs.size()) {
      worst = std::max({worst, std::abs(ds), std::abs(de)});
    }
  }
  std::printf("  worst difference %.1f ms\n", 1000 * worst);
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_LE(worst, kToleranceSeconds);
}

INSTANTIATE_TEST_SUITE_P(Models, VadSherpa,
                         ::testing::Combine(::testing::Values("silero_vad_v4", "silero_vad_v5",
                                                              "silero_vad_v6.2"),
                                            ::testing::Values("silero_test", "espeak_en_16k")),
                         [](const auto& info) {
                           std::string name =
                               std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                           for (char& ch : name)
                             if (ch == '.') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace parley::asr
