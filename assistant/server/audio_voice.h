// open_request_voice — the tts::Voice one request speaks with: the resolved spec (see
// resolve_voice() in audio_routes.h), the request's speed and the configuration's voice settings.
//
//   espeak-ng   rate_words_per_minute = round(175 x speed), clamped to espeak-ng's 80..450;
//               the configuration's Piper-only settings are not applied.
//   Piper       speaker, noise_scale, noise_w from the configuration; length_scale =
//               configuration length_scale / speed.
// Errors: ApiError 400 "unknown_voice" when the voice cannot be opened (an espeak-ng voice that
// does not exist, a Piper file that is missing or broken), naming the voice.
// Each call opens a new voice: voices carry per-call state, so requests never share one.
#pragma once

#include <memory>
#include <string>

#include "assistant/core/config.h"
#include "tts/voice.h"

namespace parley::assistant::server {

std::shared_ptr<tts::Voice> open_request_voice(const std::string& spec, double speed,
                                               const VoiceOptions& config);

}  // namespace parley::assistant::server
