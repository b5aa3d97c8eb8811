#include "assistant/simulated_input.h"

#include <exception>

#include "audio/resampler.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant {

std::vector<float> read_clip(const std::string& path, int rate) {
  audio::SoundBuffer sound = audio::read_sound_file(path, {.mix_to_mono = true});
  if (sound.sample_rate_hz != rate) return audio::resample(sound.samples, sound.sample_rate_hz, rate, 1);
  return sound.samples;
}

std::pair<double, double> parse_outage(const std::string& text, const std::string& command) {
  const size_t colon = text.find(':');
  try {
    if (colon != std::string::npos) {
      size_t used_at = 0, used_for = 0;
      const double at = std::stod(text.substr(0, colon), &used_at);
      const double seconds = std::stod(text.substr(colon + 1), &used_for);
      if (used_at == colon && used_for == text.size() - colon - 1 && at >= 0 && seconds > 0)
        return {at, seconds};
    }
  } catch (const std::exception&) {
  }
  throw Error(command + ": --simulated-outage '" + text +
              "': expected AT:SECONDS (e.g. 2.5:1), AT >= 0, SECONDS > 0");
}

}  // namespace parley::assistant
