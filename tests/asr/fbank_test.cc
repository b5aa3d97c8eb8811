// Filterbank: golden frames from torchaudio.compliance.kaldi.fbank (tests/asr/golden, made by
// tests/asr/make_fbank_golden.py) within 1e-3; streaming in chunks of 1, 160, 511 and 3200
// samples is bit-identical to the whole-signal path; frame counts follow Kaldi's snip_edges rules;
// other rates go through the resampler; bad configs and misuse throw errors naming the field.
#include "asr/fbank.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "audio/resampler.h"
#include "kernels/error.h"

namespace parley::asr {
namespace {

const std::string kGoldenDir = std::string(PARLEY_SOURCE_DIR) + "/tests/asr/golden/";

struct GoldenCase {
  std::string name;
  std::vector<float> samples;   // int16 / 32768
  std::vector<float> features;  // frames x bins
  size_t frame_count = 0;
  size_t bin_count = 0;
};

template <typename T>
std::vector<T> read_raw(const std::string& path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<T> values(count);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(T)));
  EXPECT_EQ(static_cast<size_t>(in.gcount()), count * sizeof(T)) << path;
  return values;
}

std::vector<GoldenCase> load_goldens() {
  std::ifstream manifest(kGoldenDir + "manifest.txt");
  EXPECT_TRUE(manifest.good()) << kGoldenDir << "manifest.txt";
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    GoldenCase golden;
    size_t sample_count = 0;
    fields >> golden.name >> sample_count >> golden.frame_count >> golden.bin_count;
    for (int16_t v : read_raw<int16_t>(kGoldenDir + golden.name + ".i16", sample_count)) {
      golden.samples.push_back(static_cast<float>(v) / 32768.0f);
    }
    golden.features = read_raw<float>(kGoldenDir + golden.name + ".fbank.f32",
                                      golden.frame_count * golden.bin_count);
    cases.push_back(std::move(golden));
  }
  return cases;
}

std::vector<float> stream_fbank(const std::vector<float>& samples, size_t chunk, int rate_hz,
                                bool discard_as_we_go) {
  OnlineFbank fbank;
  std::vector<float> out;
  size_t next_frame = 0;
  auto collect = [&] {
    for (; next_frame < fbank.frames_ready(); ++next_frame) {
      auto frame = fbank.frame(next_frame);
      out.insert(out.end(), frame.begin(), frame.end());
    }
    if (discard_as_we_go) fbank.discard_frames_before(next_frame);
  };
  for (size_t pos = 0; pos < samples.size(); pos += chunk) {
    const size_t n = std::min(chunk, samples.size() - pos);
    fbank.accept_waveform(std::span<const float>(samples).subspan(pos, n), rate_hz);
    collect();
  }
  fbank.input_finished();
  collect();
  return out;
}

TEST(Fbank, MatchesTorchaudioKaldiGoldens) {
  const auto cases = load_goldens();
  ASSERT_EQ(cases.size(), 3u);
  for (const GoldenCase& golden : cases) {
    ASSERT_EQ(golden.bin_count, 80u);
    const std::vector<float> features = compute_fbank(golden.samples, 16000);
    ASSERT_EQ(features.size(), golden.features.size()) << golden.name;
    double max_error = 0;
    size_t worst = 0;
    for (size_t i = 0; i < features.size(); ++i) {
      const double error = std::fabs(features[i] - golden.features[i]);
      if (error > max_error) max_error = error, worst = i;
    }
    std::printf("%-10s %3zu frames: max |ours - torchaudio| = %.3g (frame %zu bin %zu)\n",
                golden.name.c_str(), golden.frame_count, max_error, worst / 80, worst % 80);
    EXPECT_LE(max_error, 1e-3) << golden.name;
  }
}

TEST(Fbank, StreamingInAnyChunkSizeEqualsOneShot) {
  const auto cases = load_goldens();
  for (const GoldenCase& golden : cases) {
    const std::vector<float> one_shot = compute_fbank(golden.samples, 16000);
    for (size_t chunk : {1u, 160u, 511u, 3200u, 100000u}) {
      for (bool discard : {false, true}) {
        const std::vector<float> streamed = stream_fbank(golden.samples, chunk, 16000, discard);
        ASSERT_EQ(streamed.size(), one_shot.size()) << golden.name << " chunk " << chunk;
        // Bit-identical: the same per-frame code sees the same window samples.
        EXPECT_EQ(streamed, one_shot) << golden.name << " chunk " << chunk;
      }
    }
  }
}

TEST(Fbank, FramesWaitForTheirWholeWindowUntilInputFinished) {
  OnlineFbank fbank;
  std::vector<float> samples(1000, 0.01f);
  // Frame f needs samples up to 160 f + 280: 280 samples release frame 0, 440 frame 1.
  fbank.accept_waveform(std::span<const float>(samples).first(279), 16000);
  EXPECT_EQ(fbank.frames_ready(), 0u);
  fbank.accept_waveform(std::span<const float>(samples).subspan(279, 1), 16000);
  EXPECT_EQ(fbank.frames_ready(), 1u);
  fbank.accept_waveform(std::span<const float>(samples).subspan(280, 720), 16000);
  EXPECT_EQ(fbank.frames_ready(), 5u);  // 160 * 4 + 280 = 920 <= 1000 < 1080
  fbank.input_finished();
  EXPECT_EQ(fbank.frames_ready(), 6u);  // (1000 + 80) / 160
  EXPECT_TRUE(fbank.is_finished());
  EXPECT_THROW(fbank.accept_waveform(samples, 16000), Error);
  fbank.reset();
  EXPECT_EQ(fbank.frames_ready(), 0u);
  fbank.accept_waveform(samples, 16000);
  EXPECT_EQ(fbank.frames_ready(), 5u);
}

TEST(Fbank, FrameCountsFollowKaldi) {
  FbankConfig config;
  EXPECT_EQ(fbank_frame_count(0, config, true), 0);
  EXPECT_EQ(fbank_frame_count(79, config, true), 0);
  EXPECT_EQ(fbank_frame_count(80, config, true), 1);
  EXPECT_EQ(fbank_frame_count(32000, config, true), 200);
  EXPECT_EQ(fbank_frame_count(32000, config, false), 199);  // frame 199 ends at 32120
  EXPECT_EQ(fbank_first_sample(0, config), -120);
  EXPECT_EQ(fbank_first_sample(2, config), 200);
  config.snip_edges = true;
  EXPECT_EQ(fbank_frame_count(399, config, true), 0);
  EXPECT_EQ(fbank_frame_count(400, config, true), 1);
  EXPECT_EQ(fbank_frame_count(32000, config, true), 198);
  EXPECT_EQ(fbank_first_sample(2, config), 320);
}

TEST(Fbank, SnipEdgesFirstFrameIsTheFirst400Samples) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  std::vector<float> samples(1000);
  for (float& v : samples) v = noise(rng);
  FbankConfig config;
  config.snip_edges = true;
  const std::vector<float> features = compute_fbank(samples, 16000, config);
  ASSERT_EQ(features.size(), 4u * 80u);  // 1 + (1000 - 400) / 160
  FbankComputer computer(config);
  std::vector<double> work(computer.work_size());
  std::vector<float> frame(80);
  computer.compute(std::span<const float>(samples).subspan(160, 400), work, frame);
  EXPECT_EQ(std::vector<float>(features.begin() + 80, features.begin() + 160), frame);
}

TEST(Fbank, SilenceGivesTheLogEpsilonFloor) {
  const std::vector<float> silence(1600, 0.0f);
  for (float v : compute_fbank(silence, 16000)) EXPECT_FLOAT_EQ(v, std::log(1.1920929e-7f));
}

TEST(Fbank, OtherRatesAreResampled) {
  const auto cases = load_goldens();
  const GoldenCase& speech = cases[0];
  const std::vector<float> at_48k = audio::resample(speech.samples, 16000, 48000, 1);
  const std::vector<float> one_shot = compute_fbank(at_48k, 48000);
  const std::vector<float> streamed = stream_fbank(at_48k, 480, 48000, true);
  ASSERT_EQ(one_shot.size(), speech.features.size());
  ASSERT_EQ(streamed.size(), one_shot.size());
  double max_stream_diff = 0, sum_diff = 0;
  size_t counted = 0;
  for (size_t i = 0; i < one_shot.size(); ++i) {
    max_stream_diff = std::max<double>(max_stream_diff, std::fabs(streamed[i] - one_shot[i]));
    // Round trip 16k -> 48k -> 16k keeps everything below 7.6 kHz; compare where there is energy.
    if (speech.features[i] > -8.0f) {
      sum_diff += std::fabs(one_shot[i] - speech.features[i]);
      ++counted;
    }
  }
  EXPECT_LE(max_stream_diff, 1e-4);
  ASSERT_GT(counted, 1000u);
  EXPECT_LE(sum_diff / counted, 0.02) << "mean |48k path - 16k golden| over " << counted;
}

TEST(Fbank, RejectsBadConfigAndMisuseNamingTheField) {
  auto expect_field = [](FbankConfig config, const char* field) {
    try {
      config.validate();
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
    }
  };
  expect_field({.sample_rate_hz = 0}, "sample_rate_hz");
  expect_field({.mel_bin_count = 0}, "mel_bin_count");
  expect_field({.frame_length_ms = -1}, "frame_length_ms");
  expect_field({.frame_shift_ms = 0.01f}, "frame_shift_ms");
  expect_field({.low_freq_hz = 9000}, "low_freq_hz");
  expect_field({.high_freq_hz = 9000}, "high_freq_hz");
  expect_field({.high_freq_hz = -7990}, "high_freq_hz");
  expect_field({.preemphasis = 1.5f}, "preemphasis");
  EXPECT_THROW(FbankComputer({.mel_bin_count = 500}), Error);  // empty triangles
  EXPECT_NE(FbankConfig{}.to_string().find("mel_bin_count=80"), std::string::npos);
  EXPECT_NE(FbankConfig{}.to_string().find("window=povey"), std::string::npos);

  OnlineFbank fbank;
  const std::vector<float> samples(100, 0.0f);
  EXPECT_THROW(fbank.accept_waveform(samples, 0), Error);
  fbank.accept_waveform(samples, 16000);
  EXPECT_THROW(fbank.accept_waveform(samples, 8000), Error);
  EXPECT_THROW(compute_fbank(samples, -1), Error);
}

}  // namespace
}  // namespace parley::asr
