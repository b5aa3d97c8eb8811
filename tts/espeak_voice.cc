#include "tts/espeak_voice.h"

#include <espeak-ng/speak_lib.h>

#include <memory>
#include <optional>

#include "audio/resampler.h"
#include "kernels/error.h"
#include "tts/espeak_library.h"

namespace parley::tts {
namespace {

void check_range(int value, int min_value, int max_value, const char* field) {
  if (value < min_value || value > max_value) {
    throw Error("espeak voice options: " + std::string(field) + " = " + std::to_string(value) +
                " outside [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]");
  }
}

// Per-call state reached from espeak's C callback through espeak_EVENT::user_data.
struct SynthesisState {
  const AudioSink* sink = nullptr;
  audio::Resampler* resampler = nullptr;  // null at the native rate
  std::vector<float> native;              // int16 -> float conversion buffer
  std::vector<float> resampled;
  bool cancelled = false;
};

bool deliver(SynthesisState& state, std::span<const float> samples) {
  if (samples.empty()) return true;
  if (!(*state.sink)(samples)) state.cancelled = true;
  return !state.cancelled;
}

bool deliver_resampled(SynthesisState& state, std::span<const float> input) {
  while (!input.empty()) {
    const size_t need = state.resampler->max_output_frames(input.size());
    if (state.resampled.size() < need) state.resampled.resize(need);
    const auto progress = state.resampler->process(input, state.resampled);
    if (!deliver(state,
                 std::span<const float>(state.resampled.data(), progress.output_frames_produced)))
      return false;
    input = input.subspan(progress.input_frames_consumed);
    if (progress.input_frames_consumed == 0 && progress.output_frames_produced == 0) break;
  }
  return true;
}

int on_espeak_samples(short* samples, int sample_count, espeak_EVENT* events) {
  if (events == nullptr || events->user_data == nullptr) return 1;
  auto& state = *static_cast<SynthesisState*>(events->user_data);
  if (state.cancelled) return 1;
  if (samples == nullptr || sample_count <= 0) return 0;  // end of synthesis or an event-only call
  state.native.resize(static_cast<size_t>(sample_count));
  for (int i = 0; i < sample_count; ++i)
    state.native[i] = static_cast<float>(samples[i]) * (1.0f / 32768.0f);
  const bool keep_going = state.resampler == nullptr ? deliver(state, state.native)
                                                     : deliver_resampled(state, state.native);
  return keep_going ? 0 : 1;
}

}  // namespace

void EspeakVoiceOptions::validate() const {
  if (voice_name.empty()) throw Error("espeak voice options: voice_name is empty");
  check_range(rate_words_per_minute, espeakRATE_MINIMUM, espeakRATE_MAXIMUM,
              "rate_words_per_minute");
  check_range(pitch, 0, 100, "pitch");
  check_range(pitch_range, 0, 100, "pitch_range");
  if (output_rate_hz != 0) check_range(output_rate_hz, 8000, 192000, "output_rate_hz");
}

EspeakVoice::EspeakVoice(EspeakVoiceOptions options) : options_(std::move(options)) {
  options_.validate();
  EspeakSession session;
  session.select_voice(options_.voice_name);
  if (session.sample_rate_hz() != kNativeRateHz) {
    throw Error("espeak-ng: unexpected native rate " + std::to_string(session.sample_rate_hz()) +
                " Hz");
  }
}

int EspeakVoice::sample_rate_hz() const {
  return options_.output_rate_hz != 0 ? options_.output_rate_hz : kNativeRateHz;
}

bool EspeakVoice::synthesize(std::string_view text, const AudioSink& sink) {
  std::optional<audio::Resampler> resampler;
  if (options_.output_rate_hz != 0 && options_.output_rate_hz != kNativeRateHz) {
    resampler.emplace(kNativeRateHz, options_.output_rate_hz, 1);
  }
  SynthesisState state;
  state.sink = &sink;
  state.resampler = resampler ? &*resampler : nullptr;

  const std::string input(text);  // espeak reads a NUL-terminated buffer
  {
    EspeakSession session;
    session.select_voice(options_.voice_name);
    espeak_SetParameter(espeakRATE, options_.rate_words_per_minute, 0);
    espeak_SetParameter(espeakPITCH, options_.pitch, 0);
    espeak_SetParameter(espeakRANGE, options_.pitch_range, 0);
    espeak_SetSynthCallback(on_espeak_samples);
    const unsigned int flags = espeakCHARS_UTF8 | (options_.end_pause ? espeakENDPAUSE : 0);
    const espeak_ERROR result =
        espeak_Synth(input.c_str(), input.size() + 1, 0, POS_CHARACTER, 0, flags, nullptr, &state);
    if (result != EE_OK && !state.cancelled) {
      throw Error("espeak-ng: synthesis failed (error " + std::to_string(static_cast<int>(result)) +
                  ")");
    }
  }
  if (state.cancelled) return false;
  if (resampler) {
    std::vector<float> tail(4096);
    while (const size_t frames = resampler->drain(tail)) {
      if (!deliver(state, std::span<const float>(tail.data(), frames))) return false;
    }
  }
  return true;
}

}  // namespace parley::tts
