// What the simulated-device options of `converse`, `listen` and `serve --listen` share: reading
// an audio file as mono samples at the device rate, and the fault option --simulated-outage.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace parley::assistant {

// Any file audio::read_sound_file reads, mixed to mono and resampled to `rate`; throws
// parley::audio::Error naming the file.
std::vector<float> read_clip(const std::string& path, int rate);

// "AT:SECONDS" -> {AT, SECONDS} (AT >= 0, SECONDS > 0): the simulated device vanishes AT seconds
// after start for SECONDS. Throws parley::Error naming `command` and the text.
std::pair<double, double> parse_outage(const std::string& text, const std::string& command);

}  // namespace parley::assistant
