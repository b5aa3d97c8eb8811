// `parley devices | record | play` on the simulated device, run as a child process: what goes in
// through the simulated microphone comes out in the recorded file, and what `play` sends to the
// simulated speaker is the file's samples, in order, with nothing lost. The WAV files are written
// and parsed here (PCM16 and float32) so the check does not reuse the code under test.
#include <gtest/gtest.h>

#include "tests/assistant/test_wav.h"
#include "tests/common/run_command.h"
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Result = parley::test::CommandResult;

Result run(const std::string& args, const std::string& environment = "") {
  const std::string command = environment + " " + std::string(PARLEY_BINARY) + " " + args + " 2>&1";
  return parley::test::run_command(command);
}

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "parley_audio_cli_" + name;
}

void put_u32(std::ofstream& out, uint32_t v) {
  out.write(reinterpret_cast<const char*>(&v), 4);
}
void put_u16(std::ofstream& out, uint16_t v) {
  out.write(reinterpret_cast<const char*>(&v), 2);
}

// Mono 16-bit PCM WAV.
void write_wav16(const std::string& path, const std::vector<int16_t>& samples, uint32_t rate_hz) {
  std::ofstream out(path, std::ios::binary);
  const uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 2);
  out.write("RIFF", 4);
  put_u32(out, 36 + data_bytes);
  out.write("WAVEfmt ", 8);
  put_u32(out, 16);
  put_u16(out, 1);  // PCM
  put_u16(out, 1);  // mono
  put_u32(out, rate_hz);
  put_u32(out, rate_hz * 2);
  put_u16(out, 2);
  put_u16(out, 16);
  out.write("data", 4);
  put_u32(out, data_bytes);
  out.write(reinterpret_cast<const char*>(samples.data()), data_bytes);
}

using parley::test::read_wav;
using parley::test::Wav;

// A 16 kHz test signal: a chirp, so any dropped, repeated or reordered block shows.
std::vector<int16_t> chirp(size_t frames) {
  std::vector<int16_t> samples(frames);
  for (size_t i = 0; i < frames; ++i) {
    const double t = i / 16000.0;
    samples[i] =
        static_cast<int16_t>(12000 * std::sin(2 * 3.14159265358979 * (200 * t + 400 * t * t)));
  }
  return samples;
}

TEST(AudioCli, DevicesListsOrSaysThereIsNoHardware) {
  Result r = run("devices");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.output.find("no sound hardware") != std::string::npos ||
              r.output.find("name") != std::string::npos)
      << r.output;
  r = run("devices --simulated");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("simulated"), std::string::npos) << r.output;
}

TEST(AudioCli, RecordCapturesExactlyWhatTheSimulatedMicrophoneHears) {
  const std::vector<int16_t> source = chirp(16000);  // 1 s
  const std::string input = temp("mic.wav"), output = temp("recorded.wav");
  write_wav16(input, source, 16000);
  std::filesystem::remove(output);
  const Result r =
      run("record -o " + output + " --seconds 0.5 --rate 16000 --simulated-input " + input,
          "PARLEY_AUDIO_DEVICE=simulated");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("recorded 0.50 s"), std::string::npos) << r.output;
  const Wav wav = read_wav(output);
  ASSERT_EQ(wav.rate_hz, 16000u);
  ASSERT_EQ(wav.channels, 1);
  ASSERT_EQ(wav.samples.size(), 8000u);
  for (size_t i = 0; i < wav.samples.size(); ++i) {
    ASSERT_NEAR(wav.samples[i], source[i] / 32768.0f, 1.0 / 32768) << "sample " << i;
  }
}

TEST(AudioCli, RecordResamplesToTheRequestedRateAndWritesOpus) {
  const std::vector<int16_t> source = chirp(16000);
  const std::string input = temp("mic2.wav"), wav_out = temp("rec48k.wav"),
                    opus_out = temp("rec.opus");
  write_wav16(input, source, 16000);
  Result r = run("record --simulated -o " + wav_out +
                 " --seconds 0.25 --rate 48000 --simulated-input " + input);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Wav wav = read_wav(wav_out);
  EXPECT_EQ(wav.rate_hz, 48000u);
  EXPECT_EQ(wav.samples.size(), 12000u);
  // The 16 kHz chirp upsampled: every third 48 kHz sample lands on an original sample.
  double error = 0, signal = 0;
  for (size_t i = 1000; i < 4000; ++i) {
    const double d = wav.samples[3 * i] - source[i] / 32768.0;
    error += d * d;
    signal += (source[i] / 32768.0) * (source[i] / 32768.0);
  }
  EXPECT_GT(10 * std::log10(signal / error), 40.0);

  r = run("record --simulated -o " + opus_out + " --seconds 1 --simulated-input " + input);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Play the Opus file back on the simulated speaker: 1 s of audio at the file's 16 kHz.
  const std::string played = temp("played_opus.wav");
  r = run("play --simulated " + opus_out + " --simulated-output " + played);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Wav back = read_wav(played);
  EXPECT_EQ(back.rate_hz, 16000u);
  ASSERT_GE(back.samples.size(), 16000u);
  double opus_error = 0, opus_signal = 0;
  for (size_t i = 1600; i < 14400; ++i) {
    const double d = back.samples[i] - source[i] / 32768.0;
    opus_error += d * d;
    opus_signal += (source[i] / 32768.0) * (source[i] / 32768.0);
  }
  EXPECT_GT(10 * std::log10(opus_signal / opus_error), 10.0);
}

TEST(AudioCli, PlaySendsTheFileToTheSpeakerInOrder) {
  const std::vector<int16_t> source = chirp(12000);  // 0.75 s
  const std::string input = temp("speech.wav"), output = temp("speaker.wav");
  write_wav16(input, source, 16000);
  std::filesystem::remove(output);
  const Result r = run("play " + input + " --simulated --simulated-output " + output);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("played 0.75 s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 underruns"), std::string::npos) << r.output;
  const Wav wav = read_wav(output);
  ASSERT_EQ(wav.rate_hz, 16000u);
  ASSERT_GE(wav.samples.size(), source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    ASSERT_NEAR(wav.samples[i], source[i] / 32768.0f, 1e-6) << "sample " << i;
  }
  for (size_t i = source.size(); i < wav.samples.size(); ++i) ASSERT_EQ(wav.samples[i], 0.0f);
}

TEST(AudioCli, BadInputsFailWithOneClearLine) {
  Result r = run("play --simulated /nonexistent/sound.wav");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/sound.wav"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  r = run("record --simulated -o " + temp("x.mp3") + " --seconds 0.1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown output type"), std::string::npos) << r.output;
  EXPECT_NE(run("record --simulated --seconds 1").exit_code, 0);  // -o is required
  EXPECT_NE(run("record --simulated -o " + temp("y.wav") + " --seconds -1").exit_code, 0);
}

}  // namespace
