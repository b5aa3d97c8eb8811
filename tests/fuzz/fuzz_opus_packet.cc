// Opus packets through OpusPacketDecoder: a selector byte picks the decoder's rate and channel
// count, then packets follow, each as a length byte and that many bytes; length 0 asks for
// packet-loss concealment of the next byte * 2.5 ms instead. Seeds: packets from our encoder.
#include <vector>

#include "audio/error.h"
#include "audio/opus_codec.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(opus_packet) {
  if (size < 1) return 0;
  static constexpr int kRates[] = {8000, 12000, 16000, 24000, 48000};
  const int rate = kRates[(data[0] & 0x7f) % 5];
  const int channels = (data[0] & 0x80) ? 2 : 1;
  parley::audio::OpusPacketDecoder decoder(rate, channels);
  std::vector<float> pcm(decoder.max_packet_frames() * channels);
  size_t i = 1;
  while (i < size) {
    const size_t length = data[i++];
    try {
      if (length == 0) {
        const size_t quarter_ms = i < size ? data[i++] : 8;
        const size_t frames = static_cast<size_t>(rate) / 400 * quarter_ms;
        (void)decoder.decode_lost(frames, pcm);
        continue;
      }
      const size_t take = std::min(length, size - i);
      const size_t frames = decoder.decode({data + i, take}, pcm);
      if (frames > decoder.max_packet_frames()) __builtin_trap();
      i += take;
    } catch (const parley::audio::Error&) {
      if (length != 0) i += std::min(length, size - i);
    }
  }
  return 0;
}
