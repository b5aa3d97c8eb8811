#include "audio/opus_codec.h"

#include <opus/opus.h>
#include <opus/opusenc.h>
#include <opus/opusfile.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "audio/error.h"
#include "audio/resampler.h"

namespace parley::audio {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw Error(where + ": " + what);
}

bool is_opus_rate(int rate_hz) {
  return rate_hz == 8000 || rate_hz == 12000 || rate_hz == 16000 || rate_hz == 24000 ||
         rate_hz == 48000;
}

int to_opus_application(OpusApplication application) {
  switch (application) {
    case OpusApplication::kVoip:
      return OPUS_APPLICATION_VOIP;
    case OpusApplication::kAudio:
      return OPUS_APPLICATION_AUDIO;
    case OpusApplication::kLowDelay:
      return OPUS_APPLICATION_RESTRICTED_LOWDELAY;
  }
  return OPUS_APPLICATION_VOIP;
}

const char* application_name(OpusApplication application) {
  switch (application) {
    case OpusApplication::kVoip:
      return "voip";
    case OpusApplication::kAudio:
      return "audio";
    case OpusApplication::kLowDelay:
      return "low-delay";
  }
  return "?";
}

std::string opusfile_error_name(int code) {
  switch (code) {
    case OP_FALSE:
      return "no data (OP_FALSE)";
    case OP_EOF:
      return "unexpected end of file (OP_EOF)";
    case OP_HOLE:
      return "damaged or missing data in the middle of the stream (OP_HOLE)";
    case OP_EREAD:
      return "read error (OP_EREAD)";
    case OP_EFAULT:
      return "internal fault or out of memory (OP_EFAULT)";
    case OP_EIMPL:
      return "unsupported stream feature (OP_EIMPL)";
    case OP_EINVAL:
      return "invalid argument (OP_EINVAL)";
    case OP_ENOTFORMAT:
      return "not an Ogg Opus file (OP_ENOTFORMAT)";
    case OP_EBADHEADER:
      return "corrupt Opus header (OP_EBADHEADER)";
    case OP_EVERSION:
      return "unsupported Ogg Opus version (OP_EVERSION)";
    case OP_ENOTAUDIO:
      return "not an audio stream (OP_ENOTAUDIO)";
    case OP_EBADPACKET:
      return "invalid audio packet (OP_EBADPACKET)";
    case OP_EBADLINK:
      return "corrupt stream link (OP_EBADLINK)";
    case OP_ENOSEEK:
      return "stream not seekable (OP_ENOSEEK)";
    case OP_EBADTIMESTAMP:
      return "corrupt granule position (OP_EBADTIMESTAMP)";
    default:
      return "opusfile error " + std::to_string(code);
  }
}

}  // namespace

// ---- OpusConfig -----------------------------------------------------------------------------

void OpusConfig::validate() const {
  const std::string where = "OpusConfig";
  if (!is_opus_rate(sample_rate_hz)) {
    fail(where, "sample_rate_hz = " + std::to_string(sample_rate_hz) +
                    " (Opus supports 8000, 12000, 16000, 24000, 48000)");
  }
  if (channel_count != 1 && channel_count != 2) {
    fail(where, "channel_count = " + std::to_string(channel_count) + " (must be 1 or 2)");
  }
  if (bitrate_bps < 6000 || bitrate_bps > 510000) {
    fail(where, "bitrate_bps = " + std::to_string(bitrate_bps) + " (must be 6000 .. 510000)");
  }
  const double allowed_ms[] = {2.5, 5, 10, 20, 40, 60};
  bool frame_ok = false;
  for (double ms : allowed_ms) frame_ok = frame_ok || frame_ms == ms;
  if (!frame_ok) {
    fail(where, "frame_ms = " + std::to_string(frame_ms) + " (must be 2.5, 5, 10, 20, 40 or 60)");
  }
  if (complexity < 0 || complexity > 10) {
    fail(where, "complexity = " + std::to_string(complexity) + " (must be 0 .. 10)");
  }
}

std::string OpusConfig::to_string() const {
  char text[160];
  std::snprintf(text, sizeof text,
                "opus %d Hz x%d, %d bps, %.1f ms frames, complexity %d, application %s",
                sample_rate_hz, channel_count, bitrate_bps, frame_ms, complexity,
                application_name(application));
  return text;
}

size_t OpusConfig::frame_frames() const {
  return static_cast<size_t>(std::lround(sample_rate_hz * frame_ms / 1000.0));
}

// ---- packets --------------------------------------------------------------------------------

OpusPacketEncoder::OpusPacketEncoder(const OpusConfig& config) : config_(config) {
  config_.validate();
  int error = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(config_.sample_rate_hz, config_.channel_count,
                                             to_opus_application(config_.application), &error);
  if (encoder == nullptr || error != OPUS_OK) {
    fail("opus encoder", std::string("cannot create (") + opus_strerror(error) + ")");
  }
  encoder_ = encoder;
  opus_encoder_ctl(encoder, OPUS_SET_BITRATE(config_.bitrate_bps));
  opus_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(config_.complexity));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(&lookahead));
  lookahead_frames_ = static_cast<size_t>(lookahead);
}

OpusPacketEncoder::~OpusPacketEncoder() {
  opus_encoder_destroy(static_cast<OpusEncoder*>(encoder_));
}

size_t OpusPacketEncoder::encode(std::span<const float> frame, std::span<uint8_t> packet) {
  if (frame.size() != frame_samples()) {
    fail("opus encoder", "frame has " + std::to_string(frame.size()) + " samples, expected " +
                             std::to_string(frame_samples()) + " (" + config_.to_string() + ")");
  }
  if (packet.empty()) fail("opus encoder", "packet buffer is empty");
  const opus_int32 bytes = opus_encode_float(
      static_cast<OpusEncoder*>(encoder_), frame.data(), static_cast<int>(config_.frame_frames()),
      packet.data(), static_cast<opus_int32>(std::min(packet.size(), kMaxPacketBytes)));
  if (bytes < 0) fail("opus encoder", std::string("encode failed (") + opus_strerror(bytes) + ")");
  return static_cast<size_t>(bytes);
}

std::vector<uint8_t> OpusPacketEncoder::encode(std::span<const float> frame) {
  std::vector<uint8_t> packet(kMaxPacketBytes);
  packet.resize(encode(frame, std::span<uint8_t>(packet)));
  return packet;
}

OpusPacketDecoder::OpusPacketDecoder(int sample_rate_hz, int channel_count)
    : sample_rate_hz_(sample_rate_hz), channel_count_(channel_count) {
  if (!is_opus_rate(sample_rate_hz)) {
    fail("opus decoder", "sample_rate_hz = " + std::to_string(sample_rate_hz) +
                             " (Opus supports 8000, 12000, 16000, 24000, 48000)");
  }
  if (channel_count != 1 && channel_count != 2) {
    fail("opus decoder", "channel_count = " + std::to_string(channel_count) + " (must be 1 or 2)");
  }
  int error = OPUS_OK;
  OpusDecoder* decoder = opus_decoder_create(sample_rate_hz, channel_count, &error);
  if (decoder == nullptr || error != OPUS_OK) {
    fail("opus decoder", std::string("cannot create (") + opus_strerror(error) + ")");
  }
  decoder_ = decoder;
}

OpusPacketDecoder::~OpusPacketDecoder() {
  opus_decoder_destroy(static_cast<OpusDecoder*>(decoder_));
}

size_t OpusPacketDecoder::decode(std::span<const uint8_t> packet, std::span<float> pcm) {
  if (packet.empty()) fail("opus decoder", "empty packet (use decode_lost for a missing packet)");
  if (packet.size() > static_cast<size_t>(INT32_MAX)) fail("opus decoder", "packet too large");
  const size_t capacity_frames = pcm.size() / static_cast<size_t>(channel_count_);
  // libopus validates the packet framing before writing anything; it also refuses packets whose
  // audio would not fit in capacity_frames (OPUS_BUFFER_TOO_SMALL).
  const int frames = opus_decode_float(
      static_cast<OpusDecoder*>(decoder_), packet.data(), static_cast<opus_int32>(packet.size()),
      pcm.data(), static_cast<int>(std::min(capacity_frames, size_t{INT32_MAX})), 0);
  if (frames < 0) {
    fail("opus decoder", "bad packet of " + std::to_string(packet.size()) + " bytes (" +
                             opus_strerror(frames) + ")");
  }
  return static_cast<size_t>(frames);
}

size_t OpusPacketDecoder::decode_lost(size_t frames, std::span<float> pcm) {
  const size_t quantum = static_cast<size_t>(sample_rate_hz_) / 400;  // 2.5 ms
  if (frames == 0 || frames % quantum != 0 || frames > max_packet_frames()) {
    fail("opus decoder", "decode_lost: " + std::to_string(frames) +
                             " frames is not a multiple of 2.5 ms up to 120 ms");
  }
  if (pcm.size() < frames * static_cast<size_t>(channel_count_)) {
    fail("opus decoder",
         "decode_lost: output holds fewer than " + std::to_string(frames) + " frames");
  }
  const int written = opus_decode_float(static_cast<OpusDecoder*>(decoder_), nullptr, 0, pcm.data(),
                                        static_cast<int>(frames), 0);
  if (written < 0) {
    fail("opus decoder", std::string("concealment failed (") + opus_strerror(written) + ")");
  }
  return static_cast<size_t>(written);
}

// ---- Ogg Opus files -------------------------------------------------------------------------

OpusFileWriter::OpusFileWriter(const std::string& path, int sample_rate_hz, int channel_count,
                               int bitrate_bps)
    : path_(path), partial_path_(path + ".partial"), channel_count_(channel_count) {
  if (sample_rate_hz < 100 || sample_rate_hz > 768000) {
    fail(path, "cannot write Opus at sample_rate_hz = " + std::to_string(sample_rate_hz));
  }
  if (channel_count < 1 || channel_count > 2) {
    fail(path,
         "cannot write Opus with channel_count = " + std::to_string(channel_count) + " (1 or 2)");
  }
  if (bitrate_bps < 6000 || bitrate_bps > 510000) {
    fail(path, "bitrate_bps = " + std::to_string(bitrate_bps) + " (must be 6000 .. 510000)");
  }
  OggOpusComments* comments = ope_comments_create();
  if (comments == nullptr) fail(path, "cannot allocate Opus comments");
  comments_ = comments;
  ope_comments_add(comments, "ENCODER", "parley");
  int error = OPE_OK;
  OggOpusEnc* encoder = ope_encoder_create_file(partial_path_.c_str(), comments, sample_rate_hz,
                                                channel_count, /*family=*/0, &error);
  if (encoder == nullptr || error != OPE_OK) {
    ope_comments_destroy(comments);
    comments_ = nullptr;
    std::remove(partial_path_.c_str());
    fail(path, "cannot create " + partial_path_ + " (" + ope_strerror(error) + ")");
  }
  encoder_ = encoder;
  ope_encoder_ctl(encoder, OPUS_SET_BITRATE(bitrate_bps));
}

OpusFileWriter::~OpusFileWriter() {
  if (encoder_ != nullptr) {
    ope_encoder_destroy(static_cast<OggOpusEnc*>(encoder_));
    std::remove(partial_path_.c_str());
  }
  if (comments_ != nullptr) ope_comments_destroy(static_cast<OggOpusComments*>(comments_));
}

void OpusFileWriter::write(std::span<const float> interleaved) {
  if (encoder_ == nullptr) fail(path_, "write after finish()");
  if (interleaved.size() % static_cast<size_t>(channel_count_) != 0) {
    fail(path_, "write of " + std::to_string(interleaved.size()) +
                    " samples is not a whole number of " + std::to_string(channel_count_) +
                    "-channel frames");
  }
  const size_t frames = interleaved.size() / static_cast<size_t>(channel_count_);
  // libopusenc takes an int frame count: feed large buffers in pieces.
  constexpr size_t kPieceFrames = size_t{1} << 20;
  for (size_t done = 0; done < frames; done += kPieceFrames) {
    const size_t piece = std::min(kPieceFrames, frames - done);
    const int error = ope_encoder_write_float(static_cast<OggOpusEnc*>(encoder_),
                                              interleaved.data() + done * channel_count_,
                                              static_cast<int>(piece));
    if (error != OPE_OK)
      fail(path_, std::string("Opus encode failed (") + ope_strerror(error) + ")");
  }
  frames_written_ += frames;
}

void OpusFileWriter::finish() {
  if (encoder_ == nullptr) fail(path_, "finish() called twice");
  OggOpusEnc* encoder = static_cast<OggOpusEnc*>(encoder_);
  const int error = ope_encoder_drain(encoder);
  ope_encoder_destroy(encoder);
  encoder_ = nullptr;
  if (error != OPE_OK) {
    std::remove(partial_path_.c_str());
    fail(path_, std::string("Opus drain failed (") + ope_strerror(error) + ")");
  }
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(partial_path_.c_str());
    fail(path_, "cannot move " + partial_path_ + " into place (" + reason + ")");
  }
}

void write_opus_file(const std::string& path, const SoundBuffer& sound, int bitrate_bps) {
  OpusFileWriter writer(path, sound.sample_rate_hz, sound.channel_count, bitrate_bps);
  writer.write(sound.samples);
  writer.finish();
}

bool is_opus_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char head[64] = {};
  file.read(head, sizeof head);
  const std::streamsize got = file.gcount();
  if (got < 36 || std::memcmp(head, "OggS", 4) != 0) return false;
  // The first page's single packet starts after the 27-byte header and its segment table.
  const size_t body = 27 + static_cast<unsigned char>(head[26]);
  return static_cast<std::streamsize>(body + 8) <= got &&
         std::memcmp(head + body, "OpusHead", 8) == 0;
}

SoundBuffer read_opus_file(const std::string& path, const OpusReadOptions& options) {
  int error = 0;
  std::unique_ptr<OggOpusFile, void (*)(OggOpusFile*)> file(op_open_file(path.c_str(), &error),
                                                            op_free);
  if (file == nullptr) {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
    fail(path, opusfile_error_name(error));
  }
  const OpusHead* head = op_head(file.get(), -1);
  if (head == nullptr) fail(path, "no Opus header");
  const int channel_count = head->channel_count;
  if (channel_count < 1 || channel_count > 8) {
    fail(path, "channel_count = " + std::to_string(channel_count) + " in the Opus header");
  }
  const uint32_t input_rate_hz = head->input_sample_rate;

  SoundBuffer sound;
  sound.sample_rate_hz = 48000;
  sound.channel_count = channel_count;
  const ogg_int64_t total = op_pcm_total(file.get(), -1);  // frames at 48 kHz, or < 0
  if (total > 0) {
    if (static_cast<uint64_t>(total) > options.max_frames) {
      fail(path, "holds " + std::to_string(total) + " frames, more than the limit of " +
                     std::to_string(options.max_frames));
    }
    sound.samples.reserve(static_cast<size_t>(total) * channel_count);
  }
  std::vector<float> piece(static_cast<size_t>(5760) * channel_count);  // 120 ms at 48 kHz
  for (;;) {
    int link = -1;
    const int frames =
        op_read_float(file.get(), piece.data(), static_cast<int>(piece.size()), &link);
    if (frames == 0) break;
    if (frames < 0) {
      fail(path, opusfile_error_name(frames) + " after " + std::to_string(sound.frame_count()) +
                     " frames");
    }
    if (op_channel_count(file.get(), link) != channel_count) {
      fail(path, "channel count changes between chained streams");
    }
    sound.samples.insert(sound.samples.end(), piece.begin(),
                         piece.begin() + static_cast<std::ptrdiff_t>(frames) * channel_count);
    if (sound.frame_count() > options.max_frames) {
      fail(path, "holds more than the limit of " + std::to_string(options.max_frames) + " frames");
    }
  }
  // A damaged page whose loss libopusfile skips silently still leaves fewer samples than the last
  // granule position promises.
  if (total > 0 && sound.frame_count() + 960 < static_cast<uint64_t>(total)) {
    fail(path, "damaged: decoded " + std::to_string(sound.frame_count()) + " of the " +
                   std::to_string(total) + " frames its granule positions promise");
  }
  if (options.resample_to_input_rate && input_rate_hz != 0 && input_rate_hz != 48000 &&
      input_rate_hz >= 1000 && input_rate_hz <= 384000) {
    sound.samples = resample(sound.samples, 48000, input_rate_hz, channel_count);
    sound.sample_rate_hz = static_cast<int>(input_rate_hz);
  }
  return sound;
}

}  // namespace parley::audio
