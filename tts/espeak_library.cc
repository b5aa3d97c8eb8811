#include "tts/espeak_library.h"

#include <espeak-ng/speak_lib.h>

#include "kernels/error.h"

namespace parley::tts {
namespace {

std::mutex& espeak_mutex() {
  static std::mutex mutex;
  return mutex;
}

int espeak_rate_hz = 0;  // guarded by espeak_mutex(); 0 until initialized

}  // namespace

EspeakSession::EspeakSession() : lock_(espeak_mutex()) {
  if (espeak_rate_hz > 0) return;
  // buflength 0 = espeak's default buffer (200 ms) for the synchronous callback.
  const int rate_hz = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
  if (rate_hz <= 0) {
    throw Error(
        "espeak-ng: initialization failed (is espeak-ng-data installed? ESPEAK_DATA_PATH?)");
  }
  espeak_rate_hz = rate_hz;
}

void EspeakSession::select_voice(const std::string& voice_name) {
  if (espeak_SetVoiceByName(voice_name.c_str()) != EE_OK) {
    throw Error("espeak-ng: unknown voice '" + voice_name + "'");
  }
}

int EspeakSession::sample_rate_hz() const {
  return espeak_rate_hz;
}

}  // namespace parley::tts
