// Piper voice config (<voice>.onnx.json): audio, espeak, inference and phoneme_id_map fields.
// Seeds: ../shared/testdata/tts/voices/*.onnx.json.
#include <string>

#include "kernels/error.h"
#include "tests/fuzz/fuzz_target.h"
#include "tts/voice_config.h"

PARLEY_FUZZ_TARGET(voice_config) {
  try {
    (void)parley::tts::parse_voice_config(parley::fuzz::as_text(data, size), "fuzz.onnx.json");
  } catch (const parley::Error&) {
  }
  return 0;
}
