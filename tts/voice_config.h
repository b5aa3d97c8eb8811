// VoiceConfig — a Piper voice description (`voice.onnx.json`): sample rate, espeak-ng voice,
// inference scales, phoneme → id map, phoneme substitutions and speakers.
//
// Contracts
//   * load_voice_config() validates every field it uses and throws parley::Error naming the file
//     and the field ("en_US-x.onnx.json: phoneme_id_map['a']: expected an array of integers").
//   * Phonemes are single Unicode code points, as in Piper; the id map must contain Piper's
//     pad '_', beginning '^' and end '$' symbols.
//   * Immutable after loading; safe to share between threads.
//
// Usage
//   parley::tts::VoiceConfig config =
//   parley::tts::load_voice_config("en_US-lessac-medium.onnx.json"); int rate_hz =
//   config.sample_rate_hz;              // 22050 const auto* ids = config.find_phoneme_ids(U'ə');
//   // nullptr when the voice lacks it
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::tts {

struct VoiceConfig {
  std::string source_name;     // file name (or label) used in error messages
  int sample_rate_hz = 22050;  // audio.sample_rate
  std::string espeak_voice;    // espeak.voice, e.g. "en-us"
  std::string phoneme_type = "espeak";
  // inference.*: Piper's defaults where the file has none.
  float noise_scale = 0.667f;
  float length_scale = 1.0f;
  float noise_w = 0.8f;
  // Silence appended after each sentence by the synthesizer (Piper's --sentence_silence).
  float sentence_silence_seconds = 0.2f;
  int num_symbols = 0;  // 0 when absent
  int num_speakers = 1;
  std::map<std::string, int> speaker_id_map;  // name -> speaker id (multi-speaker voices)
  std::unordered_map<char32_t, std::vector<int64_t>> phoneme_id_map;
  std::unordered_map<char32_t, std::u32string> phoneme_map;  // substitutions before id lookup

  // Ids of one phoneme, or nullptr when the map lacks it.
  const std::vector<int64_t>* find_phoneme_ids(char32_t phoneme) const;
  // Speaker id for a name or decimal number; throws parley::Error for an unknown speaker.
  int speaker_id(std::string_view speaker) const;
};

// Piper's special symbols.
inline constexpr char32_t kPiperPad = U'_';
inline constexpr char32_t kPiperBos = U'^';
inline constexpr char32_t kPiperEos = U'$';

// Parses a Piper voice config from JSON text; `source_name` labels errors.
VoiceConfig parse_voice_config(std::string_view json_text, std::string_view source_name);
// Reads and parses a file; throws parley::Error if it cannot be read or is malformed.
VoiceConfig load_voice_config(const std::string& path);

}  // namespace parley::tts
