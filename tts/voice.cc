#include "tts/voice.h"

namespace parley::tts {

std::vector<float> synthesize_to_vector(Voice& voice, std::string_view text) {
  std::vector<float> all;
  voice.synthesize(text, [&](std::span<const float> samples) {
    all.insert(all.end(), samples.begin(), samples.end());
    return true;
  });
  return all;
}

}  // namespace parley::tts
