// Ogg Opus files through the libopusfile wrapper: is_opus_file, then read_opus_file with its
// defaults (resampled back to the header's input rate) as `parley transcribe` and the HTTP server
// call it. Seeds: Ogg Opus files written by scripts/fuzz_seeds.py with our own writer.
#include <string>

#include "audio/error.h"
#include "audio/opus_codec.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(ogg_opus) {
  const std::string path = parley::fuzz::write_scratch_file("ogg_opus/input.opus", data, size);
  (void)parley::audio::is_opus_file(path);
  try {
    const parley::audio::SoundBuffer sound = parley::audio::read_opus_file(path);
    if (sound.channel_count <= 0 || sound.samples.size() % sound.channel_count != 0)
      __builtin_trap();
  } catch (const parley::audio::Error&) {
  }
  return 0;
}
