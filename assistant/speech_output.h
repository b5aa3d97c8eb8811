// Spoken output shared by `parley speak` and `parley pipe --speak`: where synthesized audio goes
// (a file chosen by its extension, or a playback stream on the sound device or the simulated
// device) and a Speaker that shapes text, synthesizes it and writes the audio as it arrives.
//
// Errors name the command that asked (`command` below: "speak", "pipe"), e.g.
//   "pipe: out.mp3: unknown output type (use .wav, .flac, .ogg or .opus)".
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "tts/voice.h"

namespace parley::audio {
class AudioStream;
class SimulatedStream;
}  // namespace parley::audio

namespace parley::assistant {

bool is_blank(const std::string& text);

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

// .wav / .flac (16-bit PCM) or .ogg / .opus (Ogg Opus), written as the audio arrives.
std::unique_ptr<SpeechOutput> open_file_output(const std::string& command, const std::string& path,
                                               int rate_hz);
// The default output device (PortAudio) or, with `simulated`, the simulated device whose playback
// is saved to `simulated_output` when that is not empty.
std::unique_ptr<SpeechOutput> open_device_output(const std::string& command, int rate_hz,
                                                 bool simulated, const std::string& simulated_output);
// --simulated, or PARLEY_AUDIO_DEVICE=simulated in the environment.
bool use_simulated_device(bool flag);

// Speaks chunks into one output and keeps the verbose log and totals.
class Speaker {
 public:
  using Clock = std::chrono::steady_clock;
  Speaker(tts::Voice& voice, SpeechOutput& output, bool verbose);
  // Shapes and speaks one piece of text; returns false when nothing in it was speakable.
  bool speak(const std::string& raw_text);
  int chunks() const { return chunks_; }
  double audio_seconds() const;

 private:
  tts::Voice& voice_;
  SpeechOutput& output_;
  bool verbose_;
  Clock::time_point start_;
  int chunks_ = 0;
  size_t total_samples_ = 0;
};

}  // namespace parley::assistant
