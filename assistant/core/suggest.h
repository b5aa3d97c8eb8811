// Did-you-mean suggestions for error messages: the closest of a set of known names to a
// misspelled one ("vad.treshold" -> "vad.threshold", "set_volumn" -> "set_volume").
//
//   std::string hint = did_you_mean("treshold", {"threshold", "min_silence_ms"});
//   // hint == " (did you mean \"threshold\"?)", or "" when nothing is close
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace parley::assistant {

// Levenshtein distance (insertions, deletions, substitutions; bytes).
size_t edit_distance(std::string_view a, std::string_view b);

// The known name closest to `name` if it is within max(2, size/3) edits, else "".
std::string closest_name(std::string_view name, std::span<const std::string> known);

// " (did you mean \"x\"?)" when closest_name finds one, else "".
std::string did_you_mean(std::string_view name, std::span<const std::string> known);

}  // namespace parley::assistant
