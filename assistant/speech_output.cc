#include "assistant/speech_output.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "audio/device.h"
#include "audio/opus_codec.h"
#include "audio/portaudio_device.h"
#include "audio/simulated_device.h"
#include "audio/sound_file.h"
#include "kernels/error.h"
#include "tts/text_shaping.h"

namespace parley::assistant {
namespace {

using Clock = std::chrono::steady_clock;

bool ends_with_lower(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  std::string tail = text.substr(text.size() - suffix.size());
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail == suffix;
}



class FileOutput final : public SpeechOutput {
 public:
  FileOutput(const std::string& command, const std::string& path, int rate_hz) : path_(path) {
    if (ends_with_lower(path, ".ogg") || ends_with_lower(path, ".opus")) {
      opus_ = std::make_unique<audio::OpusFileWriter>(path, rate_hz, 1, 32000);
    } else if (ends_with_lower(path, ".flac")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, 1,
                                                        audio::FileEncoding::kFlacPcm16);
    } else if (ends_with_lower(path, ".wav")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, 1,
                                                        audio::FileEncoding::kWavPcm16);
    } else {
      throw Error(command + ": " + path + ": unknown output type (use .wav, .flac, .ogg or .opus)");
    }
  }
  void write(std::span<const float> samples) override {
    if (opus_) {
      opus_->write(samples);
    } else {
      sound_->write(samples);
    }
  }
  void finish() override {
    if (opus_) {
      opus_->finish();
    } else {
      sound_->finish();
    }
  }
  std::string description() const override { return path_; }

 private:
  std::string path_;
  std::unique_ptr<audio::OpusFileWriter> opus_;
  std::unique_ptr<audio::SoundFileWriter> sound_;
};

class DeviceOutput final : public SpeechOutput {
 public:
  DeviceOutput(const std::string& command, int rate_hz, bool simulated,
               const std::string& simulated_output)
      : command_(command), rate_hz_(rate_hz), simulated_output_(simulated_output) {
    audio::StreamConfig config{.sample_rate_hz = rate_hz,
                               .capture_channels = 0,
                               .playback_channels = 1,
                               .frames_per_block = std::max(1, rate_hz / 50)};
    config.validate();
    block_samples_ = static_cast<size_t>(config.frames_per_block);
    if (simulated) {
      audio::SimulatedStreamOptions options;
      options.pacing = audio::Pacing::kRealTime;
      // Enough for a long reply; what is beyond it is played but not recorded.
      if (!simulated_output.empty()) {
        options.max_recorded_playback_frames = static_cast<size_t>(rate_hz) * 600;
      }
      auto stream = std::make_unique<audio::SimulatedStream>(config, std::move(options));
      simulated_stream_ = stream.get();
      stream_ = std::move(stream);
    } else {
      if (!simulated_output.empty()) throw Error(command + ": --simulated-output needs --simulated");
      bool has_output = false;
      for (const audio::SoundDeviceInfo& device : audio::list_sound_devices()) {
        has_output |= device.max_output_channels > 0;
      }
      if (!has_output) {
        throw Error(command +
                    ": no sound output device found; write a file with -o out.wav (or use "
                    "--simulated)");
      }
      stream_ = std::make_unique<audio::PortAudioStream>(config);
    }
  }

  void write(std::span<const float> samples) override {
    while (!samples.empty()) {
      const size_t written = stream_->playback().try_write(samples);
      samples = samples.subspan(written);
      written_ += written;
      if (!started_) {
        // Started after the first audio is queued, so the device does not begin on silence.
        stream_->start();
        started_ = true;
      }
      if (!samples.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void finish() override {
    // Silence completes the last device block, so the end is not counted as an underrun.
    const size_t tail = (block_samples_ - written_ % block_samples_) % block_samples_;
    if (tail > 0) write(std::vector<float>(tail, 0.0f));
    if (!started_) {
      stream_->start();
      started_ = true;
    }
    uint64_t last_played = 0;
    auto last_progress = Clock::now();
    while (stream_->counters().played_samples < written_) {
      const uint64_t played = stream_->counters().played_samples;
      if (played != last_played) {
        last_played = played;
        last_progress = Clock::now();
      } else if (Clock::now() - last_progress > std::chrono::seconds(3)) {
        stream_->stop();
        throw Error(command_ + ": " + stream_->description() + " stopped taking samples");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 * block_samples_ / rate_hz_ + 20));
    stream_->stop();
    if (simulated_stream_ != nullptr && !simulated_output_.empty()) {
      audio::write_sound_file(simulated_output_,
                              {simulated_stream_->recorded_playback(), rate_hz_, 1},
                              audio::FileEncoding::kWavFloat32);
    }
  }

  std::string description() const override { return stream_->description(); }

 private:
  std::string command_;
  int rate_hz_;
  std::string simulated_output_;
  size_t block_samples_ = 1;
  uint64_t written_ = 0;
  bool started_ = false;
  std::unique_ptr<audio::AudioStream> stream_;
  audio::SimulatedStream* simulated_stream_ = nullptr;
};

}  // namespace

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

bool use_simulated_device(bool flag) {
  const char* env = std::getenv("PARLEY_AUDIO_DEVICE");
  return flag || (env != nullptr && std::string(env) == "simulated");
}

std::unique_ptr<SpeechOutput> open_file_output(const std::string& command, const std::string& path,
                                               int rate_hz) {
  return std::make_unique<FileOutput>(command, path, rate_hz);
}

std::unique_ptr<SpeechOutput> open_device_output(const std::string& command, int rate_hz,
                                                 bool simulated, const std::string& simulated_output) {
  return std::make_unique<DeviceOutput>(command, rate_hz, simulated, simulated_output);
}

Speaker::Speaker(tts::Voice& voice, SpeechOutput& output, bool verbose)
    : voice_(voice), output_(output), verbose_(verbose), start_(Clock::now()) {}

namespace {
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

bool Speaker::speak(const std::string& raw_text) {
  const std::string text = tts::shape_text_for_speech(raw_text);
  if (is_blank(text)) return false;
  ++chunks_;
  const auto chunk_start = Clock::now();
  bool first = true;
  size_t chunk_samples = 0;
  voice_.synthesize(text, [&](std::span<const float> samples) {
    if (first && verbose_) {
      std::fprintf(stderr, "speak: chunk %d first audio at %.3f s (%.1f ms after its text)\n",
                   chunks_, seconds_since(start_),
                   1000.0 * seconds_since(chunk_start));
    }
    first = false;
    chunk_samples += samples.size();
    output_.write(samples);
    return true;
  });
  total_samples_ += chunk_samples;
  if (verbose_) {
    std::fprintf(stderr, "speak: chunk %d done at %.3f s: %.2f s of audio: %s\n", chunks_,
                 seconds_since(start_),
                 static_cast<double>(chunk_samples) / voice_.sample_rate_hz(), text.c_str());
  }
  return true;
}

double Speaker::audio_seconds() const {
  return static_cast<double>(total_samples_) / voice_.sample_rate_hz();
}

}  // namespace parley::assistant
