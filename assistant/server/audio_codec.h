// Audio bytes in and out of the HTTP and Wyoming servers: decoding an uploaded file held in
// memory, and encoding synthesized speech as WAV (streamable), raw PCM, FLAC or Ogg Opus.
//
// Decoding
//   decode_audio_bytes() accepts anything audio/ reads: Ogg Opus (audio/opus_codec.h, sniffed by
//   its "OggS"+"OpusHead" start) and every format libsndfile reads (WAV, FLAC, Ogg Vorbis, AIFF,
//   ...). The bytes go through a private temporary file (mkstemp in $TMPDIR or /tmp, removed
//   before returning) so the readers' own validation applies unchanged. Stereo is mixed to mono.
//   Errors throw AudioDecodeError whose message names `upload_name` and says what is wrong
//   (empty, not a sound file, truncated, damaged, too long) — never the temporary path.
//
// Encoding
//   * wav_stream_header(): a 44-byte PCM16 WAV header whose RIFF and data sizes are 0xFFFFFFFF
//     ("unknown length", what streaming WAV writers use), followed by pcm16_bytes() chunks.
//   * wav_bytes(): a complete PCM16 WAV with exact sizes.
//   * encode_flac_bytes() / encode_opus_bytes(): whole files (FLAC 16-bit; Ogg Opus 32 kb/s),
//     through a temporary file like decoding.
//   All PCM is little-endian signed 16-bit; samples are clipped to [-1, 1] and scaled by 32767.
//
// Thread safety: every function is reentrant.
//
// Usage
//   audio::SoundBuffer sound = decode_audio_bytes(part.content, part.filename,
//                                                 {.max_seconds = 600});
//   std::string body = wav_stream_header(22050, 1);
//   body += pcm16_bytes(samples);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant::server {

class AudioDecodeError : public Error {
 public:
  using Error::Error;
};

struct DecodeLimits {
  double max_seconds = 3600;  // longer audio is refused
};

// Mono samples at the file's own rate (see the header comment).
audio::SoundBuffer decode_audio_bytes(std::string_view bytes, std::string_view upload_name,
                                      const DecodeLimits& limits = {});

// True when `bytes` start like an Ogg Opus stream.
bool looks_like_ogg_opus(std::string_view bytes);

std::string pcm16_bytes(std::span<const float> samples);
std::string wav_stream_header(int sample_rate_hz, int channel_count);
std::string wav_bytes(std::span<const float> samples, int sample_rate_hz, int channel_count = 1);
std::string encode_flac_bytes(std::span<const float> samples, int sample_rate_hz);
std::string encode_opus_bytes(std::span<const float> samples, int sample_rate_hz);

// 16-bit little-endian PCM (interleaved, `channel_count` channels) to mono float in [-1, 1).
// Throws Error when the byte count is not a whole number of frames.
std::vector<float> pcm16_to_mono(std::string_view bytes, int channel_count);

}  // namespace parley::assistant::server
