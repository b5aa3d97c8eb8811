#include "assistant/server/audio_voice.h"

#include <algorithm>
#include <cmath>

#include "assistant/server/api_error.h"
#include "tts/voice_factory.h"

namespace parley::assistant::server {

std::shared_ptr<tts::Voice> open_request_voice(const std::string& spec, double speed,
                                               const VoiceOptions& config) {
  tts::VoiceSpec parsed;
  try {
    parsed = tts::parse_voice_spec(spec);
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("unknown voice: ") + e.what(), "voice", "unknown_voice");
  }
  tts::VoiceOpenOptions options;
  if (parsed.kind == tts::VoiceKind::kEspeak) {
    if (speed != 1.0) {
      options.rate_words_per_minute =
          std::clamp(static_cast<int>(std::lround(175.0 * speed)), 80, 450);
    }
  } else {
    options.speaker = std::to_string(config.speaker);
    options.noise_scale = config.noise_scale;
    options.noise_w = config.noise_w;
    options.length_scale = static_cast<float>(config.length_scale / speed);
  }
  try {
    return std::shared_ptr<tts::Voice>(tts::open_voice(spec, options));
  } catch (const std::exception& e) {
    throw ApiError(400, "unknown voice '" + spec + "': " + e.what(), "voice", "unknown_voice");
  }
}

}  // namespace parley::assistant::server
