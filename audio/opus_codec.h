// Opus through libopus: packets for streaming, and Ogg Opus files (libopusenc to write, libopusfile
// to read).
//
// Packets (OpusPacketEncoder / OpusPacketDecoder)
//   * One packet per frame of OpusConfig::frame_ms (2.5, 5, 10, 20, 40 or 60 ms; default 20 ms) at
//     8, 12, 16, 24 or 48 kHz, mono or stereo, interleaved float samples nominally in [-1, 1].
//   * The encoder's output lags its input by lookahead_frames() (libopus' algorithmic delay): the
//     decoded stream equals the input delayed by that many frames, plus coding error.
//   * decode() throws parley::audio::Error for a packet libopus rejects (bad table-of-contents,
//     impossible frame lengths, more audio than one packet may hold). It never reads outside the
//     packet. decode_lost() runs libopus' packet-loss concealment for a missing packet.
//   * Encode and decode do not allocate after construction; they are for pipeline threads, not for
//     the device callback (they may throw).
//
// Ogg Opus files
//   * OpusFileWriter streams interleaved float at any rate (libopusenc resamples to 48 kHz
//     internally and records the input rate in the header). Like SoundFileWriter, data goes to
//     "<path>.partial" and finish() renames it over `path`; a writer destroyed unfinished removes
//     it.
//   * read_opus_file() decodes the whole file. libopusfile always decodes at 48 kHz; with
//     OpusReadOptions::resample_to_input_rate (default) the samples are resampled back to the rate
//     recorded in the header (e.g. 16 kHz), aligned with the original input.
//   * Every failure throws parley::audio::Error whose message starts with the path: not an Ogg Opus
//     file, a damaged page in the middle (lost data, OP_HOLE), an invalid packet. A file cut short
//     at the end is not detectable by the Ogg format; it returns the audio present.
//   * Not thread-safe per object.
//
// Usage
//   using namespace parley::audio;
//   OpusPacketEncoder encoder(OpusConfig{.sample_rate_hz = 16000, .bitrate_bps = 24000});
//   OpusPacketDecoder decoder(16000, 1);
//   std::vector<uint8_t> packet(OpusPacketEncoder::kMaxPacketBytes);
//   std::vector<float> frame(encoder.frame_samples());
//   size_t bytes = encoder.encode(pcm_320_samples, packet);           // 20 ms in, one packet out
//   size_t frames = decoder.decode({packet.data(), bytes}, frame);     // 320 samples back
//
//   write_opus_file("answer.opus", SoundBuffer{speech, 16000, 1}, 32000);
//   SoundBuffer back = read_opus_file("answer.opus");                 // 16 kHz again
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audio/sound_file.h"

namespace parley::audio {

enum class OpusApplication {
  kVoip,      // speech: favours intelligibility (OPUS_APPLICATION_VOIP)
  kAudio,     // music / general audio: favours fidelity (OPUS_APPLICATION_AUDIO)
  kLowDelay,  // CELT only, lowest delay (OPUS_APPLICATION_RESTRICTED_LOWDELAY)
};

struct OpusConfig {
  int sample_rate_hz = 16000;  // 8000, 12000, 16000, 24000 or 48000
  int channel_count = 1;       // 1 or 2
  int bitrate_bps = 24000;     // 6000 .. 510000
  double frame_ms = 20.0;      // 2.5, 5, 10, 20, 40 or 60
  int complexity = 5;          // 0 (cheapest) .. 10 (best)
  OpusApplication application = OpusApplication::kVoip;

  // Throws parley::audio::Error naming the first bad field.
  void validate() const;
  std::string to_string() const;
  size_t frame_frames() const;  // samples per channel in one packet
};

class OpusPacketEncoder {
 public:
  // The most bytes one packet can hold (RFC 6716: 1275 per frame, up to 3 frames per packet).
  static constexpr size_t kMaxPacketBytes = 4000;

  explicit OpusPacketEncoder(const OpusConfig& config);
  ~OpusPacketEncoder();
  OpusPacketEncoder(const OpusPacketEncoder&) = delete;
  OpusPacketEncoder& operator=(const OpusPacketEncoder&) = delete;

  // Encodes exactly one frame (frame_samples() interleaved samples) into `packet`; returns the
  // packet's length in bytes. Throws Error for a wrong frame size or a too-small packet buffer.
  size_t encode(std::span<const float> frame, std::span<uint8_t> packet);
  std::vector<uint8_t> encode(std::span<const float> frame);  // allocating convenience

  const OpusConfig& config() const { return config_; }
  size_t frame_samples() const { return config_.frame_frames() * config_.channel_count; }
  size_t lookahead_frames() const { return lookahead_frames_; }

 private:
  OpusConfig config_;
  void* encoder_ = nullptr;  // OpusEncoder*
  size_t lookahead_frames_ = 0;
};

class OpusPacketDecoder {
 public:
  // Throws Error for an unsupported rate or channel count.
  OpusPacketDecoder(int sample_rate_hz, int channel_count);
  ~OpusPacketDecoder();
  OpusPacketDecoder(const OpusPacketDecoder&) = delete;
  OpusPacketDecoder& operator=(const OpusPacketDecoder&) = delete;

  // Decodes one packet into `pcm` (interleaved); returns the frames (samples per channel) written.
  // Throws Error when the packet is empty or invalid, or holds more audio than `pcm` has room for
  // (size pcm with max_packet_frames() to accept any valid packet).
  size_t decode(std::span<const uint8_t> packet, std::span<float> pcm);
  // Packet-loss concealment: synthesizes `frames` frames (a multiple of 2.5 ms) in place of a lost
  // packet. Returns the frames written.
  size_t decode_lost(size_t frames, std::span<float> pcm);

  // 120 ms: the longest audio a single valid packet can carry.
  size_t max_packet_frames() const { return static_cast<size_t>(sample_rate_hz_) * 120 / 1000; }
  int sample_rate_hz() const { return sample_rate_hz_; }
  int channel_count() const { return channel_count_; }

 private:
  int sample_rate_hz_;
  int channel_count_;
  void* decoder_ = nullptr;  // OpusDecoder*
};

// ---- Ogg Opus files -------------------------------------------------------------------------

class OpusFileWriter {
 public:
  OpusFileWriter(const std::string& path, int sample_rate_hz, int channel_count,
                 int bitrate_bps = 32000);
  ~OpusFileWriter();
  OpusFileWriter(const OpusFileWriter&) = delete;
  OpusFileWriter& operator=(const OpusFileWriter&) = delete;

  // Appends whole frames (interleaved.size() a multiple of channel_count).
  void write(std::span<const float> interleaved);
  // Flushes the encoder, closes the file and moves it into place. Further writes throw.
  void finish();

  uint64_t frames_written() const { return frames_written_; }

 private:
  std::string path_;
  std::string partial_path_;
  void* encoder_ = nullptr;   // OggOpusEnc*
  void* comments_ = nullptr;  // OggOpusComments*
  int channel_count_ = 0;
  uint64_t frames_written_ = 0;
};

struct OpusReadOptions {
  bool resample_to_input_rate = true;       // false: return libopusfile's native 48 kHz
  uint64_t max_frames = uint64_t{1} << 32;  // refuse longer files (at 48 kHz)
};

// Writes a whole buffer as Ogg Opus (atomically, see above).
void write_opus_file(const std::string& path, const SoundBuffer& sound, int bitrate_bps = 32000);
SoundBuffer read_opus_file(const std::string& path, const OpusReadOptions& options = {});
// True when the file starts like an Ogg Opus stream ("OggS" page holding "OpusHead").
bool is_opus_file(const std::string& path);

}  // namespace parley::audio
