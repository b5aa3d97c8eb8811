// Sound files: round trips through WAV/FLAC encodings, mixdown, and errors on missing, garbage
// and truncated files (messages must name the file). Also reads the shared espeak sample.
#include "audio/sound_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "audio/error.h"
#include "tests/common/file_size_limit.h"

namespace parley::audio {
namespace {

namespace fs = std::filesystem;

class SoundFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("parley_sound_file_test_" +
                  std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }

  fs::path directory_;
};

// Stereo: a 440 Hz tone on the left, a 1 kHz tone on the right, amplitude 0.5.
SoundBuffer make_stereo_tones(int sample_rate_hz, size_t frames) {
  SoundBuffer sound;
  sound.sample_rate_hz = sample_rate_hz;
  sound.channel_count = 2;
  sound.samples.resize(frames * 2);
  for (size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / sample_rate_hz;
    sound.samples[2 * i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440 * t));
    sound.samples[2 * i + 1] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 1000 * t));
  }
  return sound;
}

float max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

void write_bytes(const std::string& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<char> read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

struct EncodingCase {
  FileEncoding encoding;
  const char* extension;
  float tolerance;  // quantization step of the encoding, with margin
};

TEST_F(SoundFileTest, RoundTripEveryEncoding) {
  const SoundBuffer original = make_stereo_tones(44100, 4410);
  const EncodingCase cases[] = {
      {FileEncoding::kWavPcm16, "wav", 1.0f / 32768 + 1e-6f},
      {FileEncoding::kWavPcm24, "wav", 1.0f / 8388608 + 1e-7f},
      {FileEncoding::kWavFloat32, "wav", 0.0f},
      {FileEncoding::kFlacPcm16, "flac", 1.0f / 32768 + 1e-6f},
      {FileEncoding::kFlacPcm24, "flac", 1.0f / 8388608 + 1e-7f},
  };
  int index = 0;
  for (const EncodingCase& c : cases) {
    const std::string file = path("tones" + std::to_string(index++) + "." + c.extension);
    write_sound_file(file, original, c.encoding);
    EXPECT_FALSE(fs::exists(file + ".partial"));
    const SoundFileInfo info = probe_sound_file(file);
    EXPECT_EQ(info.sample_rate_hz, 44100);
    EXPECT_EQ(info.channel_count, 2);
    EXPECT_EQ(info.frame_count, 4410u);
    EXPECT_NE(info.format_name.find(c.extension[0] == 'w' ? "WAV" : "FLAC"), std::string::npos)
        << info.format_name;

    const SoundBuffer loaded = read_sound_file(file);
    EXPECT_EQ(loaded.sample_rate_hz, 44100);
    EXPECT_EQ(loaded.channel_count, 2);
    ASSERT_EQ(loaded.frame_count(), 4410u);
    EXPECT_LE(max_abs_difference(loaded.samples, original.samples), c.tolerance) << file;
  }
}

TEST_F(SoundFileTest, MixDownToMonoAveragesChannels) {
  const SoundBuffer original = make_stereo_tones(16000, 1600);
  const std::string file = path("stereo.wav");
  write_sound_file(file, original, FileEncoding::kWavFloat32);
  const SoundBuffer mono = read_sound_file(file, {.mix_to_mono = true});
  EXPECT_EQ(mono.channel_count, 1);
  ASSERT_EQ(mono.samples.size(), 1600u);
  for (size_t i = 0; i < 1600; ++i) {
    const float expected = 0.5f * (original.samples[2 * i] + original.samples[2 * i + 1]);
    ASSERT_NEAR(mono.samples[i], expected, 1e-6f) << i;
  }
  EXPECT_THROW(mix_down_to_mono(original.samples, 0), Error);
}

TEST_F(SoundFileTest, PcmWritesClipInsteadOfWrapping) {
  SoundBuffer loud{{1.5f, -1.5f, 0.25f}, 8000, 1};
  const std::string file = path("loud.wav");
  write_sound_file(file, loud, FileEncoding::kWavPcm16);
  const SoundBuffer loaded = read_sound_file(file);
  ASSERT_EQ(loaded.samples.size(), 3u);
  EXPECT_GT(loaded.samples[0], 0.99f);
  EXPECT_LT(loaded.samples[1], -0.99f);
  EXPECT_NEAR(loaded.samples[2], 0.25f, 1e-4f);
}

TEST_F(SoundFileTest, StreamingWriterAppendsBlocksAndIsAtomic) {
  const std::string file = path("stream.flac");
  {
    SoundFileWriter writer(file, 16000, 1, FileEncoding::kFlacPcm16);
    std::vector<float> block(160, 0.25f);
    for (int i = 0; i < 10; ++i) writer.write(block);
    EXPECT_EQ(writer.frames_written(), 1600u);
    EXPECT_FALSE(fs::exists(file));  // nothing at the final path until finish()
    EXPECT_TRUE(fs::exists(file + ".partial"));
    writer.finish();
    EXPECT_THROW(writer.write(block), Error);
  }
  EXPECT_EQ(read_sound_file(file).samples.size(), 1600u);

  const std::string abandoned = path("abandoned.wav");
  {
    SoundFileWriter writer(abandoned, 16000, 2, FileEncoding::kWavPcm16);
    std::vector<float> odd(3, 0.0f);
    EXPECT_THROW(writer.write(odd), Error);  // not whole stereo frames
  }
  EXPECT_FALSE(fs::exists(abandoned));
  EXPECT_FALSE(fs::exists(abandoned + ".partial"));
}

// A full disk (tests/common/file_size_limit.h): no partial file may look complete.
TEST_F(SoundFileTest, DiskFullLeavesNoFileThatLooksComplete) {
  const SoundBuffer tones = make_stereo_tones(16000, 16000);  // 64 KB as 16-bit stereo PCM
  for (FileEncoding encoding : {FileEncoding::kWavPcm16, FileEncoding::kFlacPcm24}) {
    SCOPED_TRACE(static_cast<int>(encoding));
    const std::string file = path(encoding == FileEncoding::kWavPcm16 ? "full.wav" : "full.flac");
    // Whole-buffer write.
    {
      parley::test::FileSizeLimit limit(8 * 1024);
      ASSERT_TRUE(limit.ok());
      try {
        write_sound_file(file, tones, encoding);
        ADD_FAILURE() << "write_sound_file succeeded past the file size limit";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      }
    }
    EXPECT_FALSE(fs::exists(file));
    EXPECT_FALSE(fs::exists(file + ".partial"));
    // Streaming writer: the block that hits the limit (or finish()) throws; nothing is left.
    {
      parley::test::FileSizeLimit limit(8 * 1024);
      ASSERT_TRUE(limit.ok());
      bool threw = false;
      try {
        SoundFileWriter writer(file, 16000, 2, encoding);
        const std::vector<float> block(tones.samples.begin(), tones.samples.begin() + 3200);
        for (int i = 0; i < 10; ++i) writer.write(block);
        writer.finish();
      } catch (const Error& e) {
        threw = true;
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      }
      EXPECT_TRUE(threw) << "the streaming writer did not report the full disk";
    }
    EXPECT_FALSE(fs::exists(file));
    EXPECT_FALSE(fs::exists(file + ".partial"));
  }
  // With room again the same path is written normally.
  write_sound_file(path("full.wav"), tones, FileEncoding::kWavPcm16);
  EXPECT_EQ(read_sound_file(path("full.wav")).samples.size(), tones.samples.size());
}

TEST_F(SoundFileTest, WriterRejectsBadParameters) {
  EXPECT_THROW(SoundFileWriter(path("a.wav"), 0, 1, FileEncoding::kWavPcm16), Error);
  EXPECT_THROW(SoundFileWriter(path("b.wav"), 16000, 0, FileEncoding::kWavPcm16), Error);
  EXPECT_THROW(SoundFileWriter(path("no_such_dir/c.wav"), 16000, 1, FileEncoding::kWavPcm16),
               Error);
}

void expect_error_naming(const std::string& file, const ReadOptions& options = {}) {
  try {
    read_sound_file(file, options);
    ADD_FAILURE() << "no error for " << file;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(file), std::string::npos) << error.what();
  }
}

TEST_F(SoundFileTest, MissingAndGarbageFilesNameTheFile) {
  expect_error_naming(path("missing.wav"));
  EXPECT_THROW(probe_sound_file(path("missing.wav")), Error);

  std::vector<char> garbage(4096);
  uint32_t state = 12345;
  for (char& c : garbage) c = static_cast<char>((state = state * 1664525u + 1013904223u) >> 24);
  write_bytes(path("garbage.wav"), garbage);
  expect_error_naming(path("garbage.wav"));

  write_bytes(path("empty.flac"), {});
  expect_error_naming(path("empty.flac"));
}

TEST_F(SoundFileTest, TruncatedFilesAreReported) {
  const SoundBuffer original = make_stereo_tones(16000, 16000);
  for (const char* name : {"full.wav", "full.flac"}) {
    const std::string full = path(name);
    write_sound_file(full, original,
                     name[5] == 'w' ? FileEncoding::kWavPcm16 : FileEncoding::kFlacPcm16);
    const std::vector<char> bytes = read_bytes(full);
    // Cut in the middle of the sample data, and inside the header.
    for (size_t keep : {bytes.size() / 2, size_t{30}}) {
      const std::string cut = path(std::string("cut_") + std::to_string(keep) + "_" + name);
      write_bytes(cut, std::vector<char>(bytes.begin(), bytes.begin() + keep));
      expect_error_naming(cut);
      if (keep > 100) {
        // Allowed explicitly: the frames present come back, a prefix of the original.
        const SoundBuffer partial = read_sound_file(cut, {.allow_truncated = true});
        EXPECT_GT(partial.frame_count(), 1000u) << cut;
        EXPECT_LT(partial.frame_count(), 16000u) << cut;
        const size_t n = std::min<size_t>(partial.samples.size(), 2000);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_NEAR(partial.samples[i], original.samples[i], 1.0f / 16384) << cut << " " << i;
        }
      }
    }
  }
}

TEST_F(SoundFileTest, HostileFrameCountIsRefused) {
  const std::string file = path("long.wav");
  write_sound_file(file, make_stereo_tones(16000, 1000), FileEncoding::kWavPcm16);
  expect_error_naming(file, {.max_frames = 999});
  EXPECT_EQ(read_sound_file(file, {.max_frames = 1000}).frame_count(), 1000u);
}

// A header libsndfile accepts but we refuse (257 channels): a clear error naming the file and the
// field, for probing and reading alike; the fuzz regression of the same file checks, under ASan,
// that the refused handle is closed.
TEST_F(SoundFileTest, TooManyChannelsIsRefusedWithTheCount) {
  std::vector<char> wav = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
                           16, 0, 0, 0, 1, 0, 1, 1,  // PCM, 257 channels
                           0x40, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 'd', 'a', 't', 'a', 0, 0, 0, 0};
  const uint32_t byte_rate = 8000u * 257 * 2;
  const uint16_t block_align = 257 * 2;
  std::memcpy(&wav[28], &byte_rate, 4);
  std::memcpy(&wav[32], &block_align, 2);
  wav.resize(wav.size() + 257 * 2 * 4, 0);  // four frames
  const uint32_t data_bytes = 257 * 2 * 4, riff_bytes = static_cast<uint32_t>(wav.size() - 8);
  std::memcpy(&wav[40], &data_bytes, 4);
  std::memcpy(&wav[4], &riff_bytes, 4);
  const std::string file = path("257_channels.wav");
  write_bytes(file, wav);
  for (int probe = 0; probe < 2; ++probe) {
    try {
      if (probe) {
        (void)probe_sound_file(file);
      } else {
        (void)read_sound_file(file);
      }
      ADD_FAILURE() << "a 257-channel file was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file), std::string::npos) << what;
      EXPECT_NE(what.find("channel count 257"), std::string::npos) << what;
    }
  }
}

TEST(SharedSpeech, ReadsEspeakSample) {
  const std::string file = std::string(PARLEY_SHARED_TESTDATA) + "/audio/espeak_en_16k.wav";
  if (!fs::exists(file)) GTEST_SKIP() << "shared test data absent: " << file;
  const SoundBuffer speech = read_sound_file(file, {.mix_to_mono = true});
  EXPECT_EQ(speech.sample_rate_hz, 16000);
  EXPECT_EQ(speech.channel_count, 1);
  EXPECT_GT(speech.duration_seconds(), 0.5);
  EXPECT_LT(speech.duration_seconds(), 60.0);
  double energy = 0;
  float peak = 0;
  for (float s : speech.samples) {
    energy += double(s) * s;
    peak = std::max(peak, std::abs(s));
  }
  const double rms = std::sqrt(energy / speech.samples.size());
  EXPECT_GT(rms, 0.005) << "speech should not be silent";
  EXPECT_LE(peak, 1.0f);
}

}  // namespace
}  // namespace parley::audio
