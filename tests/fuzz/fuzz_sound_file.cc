// Sound files through the libsndfile wrapper (WAV, FLAC and whatever else libsndfile detects):
// probe, then read with the options the app uses (defaults) and with allow_truncated +
// mix_to_mono. Seeds: the WAVs of ../shared/testdata and a FLAC/WAV set written by
// scripts/fuzz_seeds.py.
#include <string>

#include "audio/error.h"
#include "audio/sound_file.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(sound_file) {
  const std::string path = parley::fuzz::write_scratch_file("sound_file/input", data, size);
  try {
    (void)parley::audio::probe_sound_file(path);
  } catch (const parley::audio::Error&) {
  }
  try {
    const parley::audio::SoundBuffer sound = parley::audio::read_sound_file(path);
    if (sound.channel_count <= 0 || sound.samples.size() % sound.channel_count != 0)
      __builtin_trap();
  } catch (const parley::audio::Error&) {
  }
  try {
    const parley::audio::SoundBuffer sound =
        parley::audio::read_sound_file(path, {.mix_to_mono = true, .allow_truncated = true});
    if (sound.channel_count != 1 && !sound.samples.empty()) __builtin_trap();
  } catch (const parley::audio::Error&) {
  }
  return 0;
}
