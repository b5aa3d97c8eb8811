// parley devices | record | play: the sound tools. They move audio through the same AudioStream
// rings the assistant uses, on PortAudio hardware or, with --simulated (or the environment variable
// PARLEY_AUDIO_DEVICE=simulated), on the simulated file/null device:
//   record --simulated-input FILE   the "microphone" plays FILE (silence without it), losslessly
//                                   and as fast as possible;
//   play   --simulated-output FILE  writes what the "speaker" played (paced in real time, as
//                                   hardware would) to a 32-bit float WAV.
// Files: .wav / .flac / .opus (Ogg Opus) are written by extension; play reads anything libsndfile
// reads, and Ogg Opus.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "assistant/commands.h"
#include "audio/device.h"
#include "audio/error.h"
#include "audio/opus_codec.h"
#include "audio/portaudio_device.h"
#include "audio/resampler.h"
#include "audio/simulated_device.h"
#include "audio/sound_file.h"

namespace parley::assistant {
namespace {

using audio::Error;

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
}

bool use_simulated(bool flag) {
  const char* env = std::getenv("PARLEY_AUDIO_DEVICE");
  return flag || (env != nullptr && std::string(env) == "simulated");
}

bool ends_with(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  std::string tail = text.substr(text.size() - suffix.size());
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return tail == suffix;
}

// Any sound file or Ogg Opus file, as interleaved float at its own rate.
audio::SoundBuffer read_any_sound(const std::string& path) {
  if (audio::is_opus_file(path)) return audio::read_opus_file(path);
  return audio::read_sound_file(path);
}

// Converts to `channels` (mono mixdown or mono duplication) and `rate_hz`.
std::vector<float> convert(const audio::SoundBuffer& sound, int channels, int rate_hz) {
  std::vector<float> samples = sound.samples;
  if (sound.channel_count != channels) {
    std::vector<float> mono = audio::mix_down_to_mono(sound.samples, sound.channel_count);
    samples.clear();
    for (float x : mono) samples.insert(samples.end(), static_cast<size_t>(channels), x);
  }
  if (sound.sample_rate_hz != rate_hz) {
    samples = audio::resample(samples, sound.sample_rate_hz, rate_hz, channels);
  }
  return samples;
}

// A writer chosen by the file's extension.
class AnyWriter {
 public:
  AnyWriter(const std::string& path, int rate_hz, int channels) {
    if (ends_with(path, ".opus") || ends_with(path, ".ogg")) {
      opus_ = std::make_unique<audio::OpusFileWriter>(path, rate_hz, channels, 32000);
    } else if (ends_with(path, ".flac")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, channels,
                                                        audio::FileEncoding::kFlacPcm16);
    } else if (ends_with(path, ".wav")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, channels,
                                                        audio::FileEncoding::kWavPcm16);
    } else {
      throw Error(path + ": unknown output type (use .wav, .flac or .opus)");
    }
  }
  void write(std::span<const float> samples) {
    if (opus_)
      opus_->write(samples);
    else
      sound_->write(samples);
  }
  void finish() {
    if (opus_)
      opus_->finish();
    else
      sound_->finish();
  }

 private:
  std::unique_ptr<audio::OpusFileWriter> opus_;
  std::unique_ptr<audio::SoundFileWriter> sound_;
};

void list_devices(bool simulated) {
  if (simulated) {
    std::printf(
        "simulated  file/null device: record --simulated-input FILE, play --simulated-output "
        "FILE\n");
    return;
  }
  const std::vector<audio::SoundDeviceInfo> devices = audio::list_sound_devices();
  if (devices.empty()) {
    std::printf(
        "no sound hardware found: PortAudio sees no input or output device.\n"
        "Use --simulated (or PARLEY_AUDIO_DEVICE=simulated) for the file/null device.\n");
    return;
  }
  std::printf("%-5s %-8s %-4s %-4s %-9s %s\n", "index", "api", "in", "out", "rate_hz", "name");
  for (const audio::SoundDeviceInfo& device : devices) {
    std::printf("%-5d %-8s %-4d %-4d %-9.0f %s%s%s\n", device.index, device.host_api.c_str(),
                device.max_input_channels, device.max_output_channels,
                device.default_sample_rate_hz, device.name.c_str(),
                device.is_default_input ? " [default input]" : "",
                device.is_default_output ? " [default output]" : "");
  }
}

struct RecordOptions {
  std::string output_path;
  double seconds = 5.0;
  int rate_hz = 16000;
  int channels = 1;
  std::string device;
  bool simulated = false;
  std::string simulated_input;
};

void record(const RecordOptions& options) {
  if (!(options.seconds > 0 && options.seconds <= 24 * 3600)) {
    throw Error("record: --seconds must be in (0, 86400], got " + std::to_string(options.seconds));
  }
  audio::StreamConfig config{.sample_rate_hz = options.rate_hz,
                             .capture_channels = options.channels,
                             .playback_channels = 0,
                             .frames_per_block = std::max(1, options.rate_hz / 50),
                             .capture_device = options.device};
  config.validate();
  std::unique_ptr<audio::AudioStream> stream;
  if (use_simulated(options.simulated)) {
    audio::SimulatedStreamOptions simulated;
    if (!options.simulated_input.empty()) {
      simulated.capture_input =
          convert(read_any_sound(options.simulated_input), options.channels, options.rate_hz);
    }
    simulated.pacing = audio::Pacing::kAsFastAsPossible;
    stream = std::make_unique<audio::SimulatedStream>(config, std::move(simulated));
  } else {
    stream = std::make_unique<audio::PortAudioStream>(config);
  }
  const uint64_t wanted_frames = static_cast<uint64_t>(options.seconds * options.rate_hz + 0.5);
  AnyWriter writer(options.output_path, options.rate_hz, options.channels);
  std::vector<float> block(static_cast<size_t>(config.frames_per_block) * options.channels);
  g_interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_interrupt);
  stream->start();
  uint64_t frames = 0;
  while (frames < wanted_frames && !g_interrupted.load()) {
    const size_t room = static_cast<size_t>(std::min<uint64_t>(
        block.size(), (wanted_frames - frames) * static_cast<uint64_t>(options.channels)));
    const size_t got = stream->capture().try_read(std::span(block).first(room));
    if (got == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    writer.write(std::span(block).first(got));
    frames += got / static_cast<size_t>(options.channels);
  }
  stream->stop();
  std::signal(SIGINT, previous_handler);
  writer.finish();
  const audio::StreamCounters counters = stream->counters();
  std::printf("recorded %.2f s at %d Hz x%d from %s to %s (%llu samples dropped)\n",
              double(frames) / options.rate_hz, options.rate_hz, options.channels,
              stream->description().c_str(), options.output_path.c_str(),
              static_cast<unsigned long long>(counters.capture_overflow_samples));
}

struct PlayOptions {
  std::string input_path;
  int rate_hz = 0;  // 0 = the file's rate
  std::string device;
  bool simulated = false;
  std::string simulated_output;
};

void play(const PlayOptions& options) {
  const audio::SoundBuffer sound = read_any_sound(options.input_path);
  const int channels = std::min(sound.channel_count, 2);
  const int rate_hz = options.rate_hz > 0 ? options.rate_hz : sound.sample_rate_hz;
  std::vector<float> samples = convert(sound, channels, rate_hz);
  const double duration_seconds = double(samples.size()) / channels / rate_hz;
  audio::StreamConfig config{.sample_rate_hz = rate_hz,
                             .capture_channels = 0,
                             .playback_channels = channels,
                             .frames_per_block = std::max(1, rate_hz / 50),
                             .playback_device = options.device};
  config.validate();
  // Silence completes the last device block, so the end of the sound is not an underrun.
  const size_t block_samples = static_cast<size_t>(config.frames_per_block) * channels;
  samples.resize((samples.size() + block_samples - 1) / block_samples * block_samples, 0.0f);
  const bool simulated = use_simulated(options.simulated);
  std::unique_ptr<audio::AudioStream> stream;
  audio::SimulatedStream* simulated_stream = nullptr;
  if (simulated) {
    audio::SimulatedStreamOptions simulated_options;
    simulated_options.pacing = audio::Pacing::kRealTime;
    if (!options.simulated_output.empty()) {
      // The sound plus one second of slack for the trailing blocks before stop().
      simulated_options.max_recorded_playback_frames =
          samples.size() / static_cast<size_t>(channels) + static_cast<size_t>(rate_hz);
    }
    auto owned = std::make_unique<audio::SimulatedStream>(config, std::move(simulated_options));
    simulated_stream = owned.get();
    stream = std::move(owned);
  } else {
    if (!options.simulated_output.empty()) {
      throw Error("play: --simulated-output needs --simulated");
    }
    stream = std::make_unique<audio::PortAudioStream>(config);
  }
  // Prefill before start so the device begins with the sound, then keep the ring topped up.
  size_t queued = stream->playback().try_write(samples);
  g_interrupted.store(false);
  auto previous_handler = std::signal(SIGINT, on_interrupt);
  stream->start();
  using Clock = std::chrono::steady_clock;
  uint64_t last_played = 0;
  auto last_progress = Clock::now();
  while (!g_interrupted.load()) {
    queued += stream->playback().try_write(std::span(samples).subspan(queued));
    const uint64_t played = stream->counters().played_samples;
    if (played >= samples.size()) break;
    if (played != last_played) {
      last_played = played;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(3)) {
      stream->stop();
      throw Error("play: " + stream->description() + " stopped taking samples after " +
                  std::to_string(played) + " of " + std::to_string(samples.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Let the last block leave the device.
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1000 * config.frames_per_block / rate_hz + 20));
  stream->stop();
  std::signal(SIGINT, previous_handler);
  const audio::StreamCounters counters = stream->counters();
  std::printf("played %.2f s of %s at %d Hz x%d on %s (%llu underruns)\n", duration_seconds,
              options.input_path.c_str(), rate_hz, channels, stream->description().c_str(),
              static_cast<unsigned long long>(counters.playback_underruns));
  if (simulated_stream != nullptr && !options.simulated_output.empty()) {
    audio::write_sound_file(options.simulated_output,
                            {simulated_stream->recorded_playback(), rate_hz, channels},
                            audio::FileEncoding::kWavFloat32);
  }
}

}  // namespace

void add_audio_commands(CLI::App& app) {
  const char* simulated_help =
      "Use the simulated file/null device instead of sound hardware (also: "
      "PARLEY_AUDIO_DEVICE=simulated)";

  CLI::App* devices = app.add_subcommand("devices", "List sound devices (or say there are none)");
  auto devices_simulated = std::make_shared<bool>(false);
  devices->add_flag("--simulated", *devices_simulated, simulated_help);
  devices->callback([devices_simulated] { list_devices(use_simulated(*devices_simulated)); });

  auto record_options = std::make_shared<RecordOptions>();
  CLI::App* record_cmd =
      app.add_subcommand("record", "Record the microphone to a .wav/.flac/.opus file");
  record_cmd->add_option("-o,--output", record_options->output_path, "Output file")->required();
  record_cmd->add_option("--seconds", record_options->seconds, "How long to record")
      ->capture_default_str();
  record_cmd->add_option("--rate", record_options->rate_hz, "Sample rate in Hz")
      ->capture_default_str()
      ->check(CLI::Range(8000, 192000));
  record_cmd->add_option("--channels", record_options->channels, "Channel count")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  record_cmd->add_option("--device", record_options->device, "Input device name (substring)");
  record_cmd->add_flag("--simulated", record_options->simulated, simulated_help);
  record_cmd->add_option("--simulated-input", record_options->simulated_input,
                         "Sound file the simulated microphone hears (default: silence)");
  record_cmd->callback([record_options] { record(*record_options); });

  auto play_options = std::make_shared<PlayOptions>();
  CLI::App* play_cmd = app.add_subcommand("play", "Play a sound file (.wav, .flac, .opus, ...)");
  play_cmd->add_option("file", play_options->input_path, "Sound file")->required();
  play_cmd->add_option("--rate", play_options->rate_hz, "Device rate in Hz (default: the file's)")
      ->check(CLI::Range(0, 192000));
  play_cmd->add_option("--device", play_options->device, "Output device name (substring)");
  play_cmd->add_flag("--simulated", play_options->simulated, simulated_help);
  play_cmd->add_option("--simulated-output", play_options->simulated_output,
                       "With --simulated: write what the device played to this WAV file");
  play_cmd->callback([play_options] { play(*play_options); });
}

}  // namespace parley::assistant
