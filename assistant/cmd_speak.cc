// parley speak [TEXT | -] — text to speech on the default sound device or into a file.
//   * TEXT is shaped for speech (markdown, numbers, units, URLs; tts/text_shaping.h) and spoken
//     by the voice: espeak-ng (`--voice espeak:VOICE`, default espeak:en-us) or a Piper voice
//     (`--voice FILE.onnx`, config FILE.onnx.json or --voice-config). Piper voices speak
//     sentence by sentence, so audio starts after the first sentence.
//   * `-` reads stdin as a stream: text goes through the clause chunker (tts/clause_chunker.h)
//     and each chunk is shaped and spoken as soon as the chunker emits it, before stdin ends —
//     `llm | parley speak -` starts talking on the first clause.
//   * -o out.wav | out.flac (16-bit PCM) | out.ogg / out.opus (Ogg Opus) writes a file as the
//     audio arrives; without -o the audio plays on the default output device (PortAudio), or on
//     the simulated device with --simulated (PARLEY_AUDIO_DEVICE=simulated), whose playback
//     --simulated-output FILE saves.
//   * -v prints one line per spoken chunk to stderr: when its audio was ready and how long it is.
// Errors (one line, exit 1): empty text, a missing voice or voice config, an option the voice
// does not have, no output device.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "assistant/commands.h"
#include "audio/device.h"
#include "audio/opus_codec.h"
#include "audio/portaudio_device.h"
#include "audio/simulated_device.h"
#include "audio/sound_file.h"
#include "kernels/error.h"
#include "tts/clause_chunker.h"
#include "tts/text_shaping.h"
#include "tts/voice_factory.h"

namespace parley::assistant {
namespace {

using Clock = std::chrono::steady_clock;

struct SpeakOptions {
  std::string text;
  std::string voice = "espeak:en-us";
  std::string voice_config;
  std::string output_path;
  std::optional<int> rate_words_per_minute;
  std::optional<int> pitch;
  std::string speaker;
  std::optional<float> length_scale;
  std::optional<float> noise_scale;
  std::optional<float> noise_w;
  int sample_rate_hz = 0;
  int threads = 1;
  bool simulated = false;
  std::string simulated_output;
  bool verbose = false;
};

bool ends_with_lower(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  std::string tail = text.substr(text.size() - suffix.size());
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail == suffix;
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

// Where the audio goes: a file chosen by extension, or a playback stream.
class SpeechOutput {
 public:
  virtual ~SpeechOutput() = default;
  // Takes mono samples at the voice rate; blocks while a device's ring is full.
  virtual void write(std::span<const float> samples) = 0;
  // Everything written has been stored / played.
  virtual void finish() = 0;
  virtual std::string description() const = 0;
};

class FileOutput final : public SpeechOutput {
 public:
  FileOutput(const std::string& path, int rate_hz) : path_(path) {
    if (ends_with_lower(path, ".ogg") || ends_with_lower(path, ".opus")) {
      opus_ = std::make_unique<audio::OpusFileWriter>(path, rate_hz, 1, 32000);
    } else if (ends_with_lower(path, ".flac")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, 1,
                                                        audio::FileEncoding::kFlacPcm16);
    } else if (ends_with_lower(path, ".wav")) {
      sound_ = std::make_unique<audio::SoundFileWriter>(path, rate_hz, 1,
                                                        audio::FileEncoding::kWavPcm16);
    } else {
      throw Error("speak: " + path + ": unknown output type (use .wav, .flac, .ogg or .opus)");
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
  DeviceOutput(int rate_hz, bool simulated, const std::string& simulated_output)
      : rate_hz_(rate_hz), simulated_output_(simulated_output) {
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
      if (!simulated_output.empty()) throw Error("speak: --simulated-output needs --simulated");
      bool has_output = false;
      for (const audio::SoundDeviceInfo& device : audio::list_sound_devices()) {
        has_output |= device.max_output_channels > 0;
      }
      if (!has_output) {
        throw Error(
            "speak: no sound output device found; write a file with -o out.wav (or use "
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
        throw Error("speak: " + stream_->description() + " stopped taking samples");
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
  int rate_hz_;
  std::string simulated_output_;
  size_t block_samples_ = 1;
  uint64_t written_ = 0;
  bool started_ = false;
  std::unique_ptr<audio::AudioStream> stream_;
  audio::SimulatedStream* simulated_stream_ = nullptr;
};

bool use_simulated_device(bool flag) {
  const char* env = std::getenv("PARLEY_AUDIO_DEVICE");
  return flag || (env != nullptr && std::string(env) == "simulated");
}

// Speaks chunks into one output and keeps the verbose log and totals.
class Speaker {
 public:
  Speaker(tts::Voice& voice, SpeechOutput& output, bool verbose)
      : voice_(voice), output_(output), verbose_(verbose), start_(Clock::now()) {}

  // Shapes and speaks one piece of text; returns false when nothing in it was speakable.
  bool speak(const std::string& raw_text) {
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

  int chunks() const { return chunks_; }
  double audio_seconds() const {
    return static_cast<double>(total_samples_) / voice_.sample_rate_hz();
  }

 private:
  static double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  tts::Voice& voice_;
  SpeechOutput& output_;
  bool verbose_;
  Clock::time_point start_;
  int chunks_ = 0;
  size_t total_samples_ = 0;
};

// Reads stdin as it arrives and speaks each chunk the chunker completes.
void speak_stdin(Speaker& speaker) {
  tts::ClauseChunker chunker;
  std::vector<std::string> chunks;
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error("speak: cannot read stdin");
    if (got == 0) break;
    chunker.push(std::string_view(buffer, static_cast<size_t>(got)), chunks);
    for (const std::string& chunk : chunks) speaker.speak(chunk);
    chunks.clear();
  }
  chunker.finish(chunks);
  for (const std::string& chunk : chunks) speaker.speak(chunk);
}

void speak(const SpeakOptions& o) {
  const bool from_stdin = o.text == "-";
  if (!from_stdin && is_blank(o.text)) {
    throw Error("speak: nothing to say: the text is empty (give TEXT, or - to read stdin)");
  }
  if (!from_stdin && is_blank(tts::shape_text_for_speech(o.text))) {
    throw Error("speak: nothing to say: the text has no speakable words after shaping");
  }
  tts::VoiceOpenOptions voice_options;
  voice_options.rate_words_per_minute = o.rate_words_per_minute;
  voice_options.output_rate_hz = o.sample_rate_hz;
  voice_options.pitch = o.pitch;
  voice_options.config_path = o.voice_config;
  voice_options.speaker = o.speaker;
  voice_options.length_scale = o.length_scale;
  voice_options.noise_scale = o.noise_scale;
  voice_options.noise_w = o.noise_w;
  voice_options.thread_count = o.threads;
  std::unique_ptr<tts::Voice> voice = tts::open_voice(o.voice, voice_options);

  std::unique_ptr<SpeechOutput> output;
  if (!o.output_path.empty()) {
    if (o.simulated || !o.simulated_output.empty()) {
      throw Error("speak: -o writes a file; --simulated/--simulated-output are for playback");
    }
    output = std::make_unique<FileOutput>(o.output_path, voice->sample_rate_hz());
  } else {
    output = std::make_unique<DeviceOutput>(voice->sample_rate_hz(),
                                            use_simulated_device(o.simulated), o.simulated_output);
  }
  Speaker speaker(*voice, *output, o.verbose);
  if (from_stdin) {
    speak_stdin(speaker);
    if (speaker.chunks() == 0) {
      throw Error("speak: nothing to say: stdin had no speakable text");
    }
  } else {
    speaker.speak(o.text);
  }
  output->finish();
  std::fprintf(stderr, "speak: %.2f s of audio at %d Hz to %s\n", speaker.audio_seconds(),
               voice->sample_rate_hz(), output->description().c_str());
}

}  // namespace

void add_speak_command(CLI::App& app) {
  auto o = std::make_shared<SpeakOptions>();
  CLI::App* cmd = app.add_subcommand(
      "speak", "Say TEXT (or stdin with -) on the sound device or into a .wav/.flac/.ogg file");
  cmd->add_option("text", o->text, "Text to say, or - to read stdin as a stream")->required();
  cmd->add_option("--voice", o->voice, "espeak:VOICE (espeak-ng) or a Piper FILE.onnx")
      ->capture_default_str();
  cmd->add_option("--voice-config", o->voice_config,
                  "Piper voice config (default: FILE.onnx.json)");
  cmd->add_option("-o,--output", o->output_path, "Write .wav/.flac/.ogg/.opus instead of playing");
  cmd->add_option("--rate", o->rate_words_per_minute,
                  "Speaking rate in words per minute (espeak-ng; for Piper 175 = the voice's own)")
      ->check(CLI::Range(80, 450));
  cmd->add_option("--pitch", o->pitch, "Base pitch 0..100 (espeak-ng)")->check(CLI::Range(0, 100));
  cmd->add_option("--speaker", o->speaker, "Speaker name or id (multi-speaker Piper voices)");
  cmd->add_option("--length-scale", o->length_scale, "Piper length scale (larger = slower)");
  cmd->add_option("--noise-scale", o->noise_scale, "Piper noise scale");
  cmd->add_option("--noise-w", o->noise_w, "Piper duration noise");
  cmd->add_option("--sample-rate", o->sample_rate_hz, "Output rate in Hz (default: the voice's)")
      ->check(CLI::Range(8000, 192000));
  cmd->add_option("--threads", o->threads, "Threads for a Piper voice")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--simulated", o->simulated,
                "Play on the simulated device (also: PARLEY_AUDIO_DEVICE=simulated)");
  cmd->add_option("--simulated-output", o->simulated_output,
                  "With --simulated: write what the device played to this WAV file");
  cmd->add_flag("-v,--verbose", o->verbose, "One line per spoken chunk on stderr");
  cmd->callback([o] { speak(*o); });
}

}  // namespace parley::assistant
