// Test helper: reads a WAV/FLAC/Ogg file written by the parley binary through audio/ (libsndfile),
// for CLI tests that check what a subcommand wrote. An unreadable file gives an empty Wav, so a
// test asserts on its contents instead of crashing.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "audio/sound_file.h"

namespace parley::test {

struct Wav {
  uint32_t rate_hz = 0;
  uint16_t channels = 0;
  std::vector<float> samples;  // interleaved, in [-1, 1] (PCM16 scaled by 1/32768)
  double seconds() const { return rate_hz ? double(samples.size()) / channels / rate_hz : 0; }
};

inline Wav read_wav(const std::string& path) {
  try {
    audio::SoundBuffer sound = audio::read_sound_file(path);
    Wav wav;
    wav.rate_hz = static_cast<uint32_t>(sound.sample_rate_hz);
    wav.channels = static_cast<uint16_t>(sound.channel_count);
    wav.samples = std::move(sound.samples);
    return wav;
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace parley::test
