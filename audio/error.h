// parley::audio::Error — the exception audio/ throws for bad input or unavailable devices: an
// unreadable or corrupt sound file, an unsupported rate, no sound hardware. Messages name the file
// or device and what is wrong. audio/ stands alone (it does not depend on kernels/), so this type
// derives from std::runtime_error directly; callers that handle any library error catch
// std::runtime_error (parley::Error also derives from it). Real-time paths never throw.
//
//   try {
//     auto sound = parley::audio::read_sound_file("in.wav");
//   } catch (const parley::audio::Error& error) {
//     std::fprintf(stderr, "%s\n", error.what());   // "in.wav: not a sound file (...)"
//   }
#pragma once

#include <stdexcept>
#include <string>

namespace parley::audio {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace parley::audio
