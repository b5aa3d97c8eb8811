#include "assistant/server/audio_codec.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "audio/opus_codec.h"

namespace parley::assistant::server {
namespace {

// A private temporary file, removed when this object goes away.
class TempFile {
 public:
  explicit TempFile(std::string_view suffix) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") +
                          "/parley-audio-XXXXXX" + std::string(suffix);
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    fd_ = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
    if (fd_ < 0)
      throw Error(std::string("cannot create a temporary file: ") + std::strerror(errno));
    path_ = name.data();
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write_all(std::string_view bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(std::string("cannot write a temporary file: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    ::close(fd_);
    fd_ = -1;
  }
  std::string read_all() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// The readers' messages start with the path; callers must see the upload's name instead.
std::string rename_path(std::string message, const std::string& path, std::string_view name) {
  for (size_t at = message.find(path); at != std::string::npos; at = message.find(path, at)) {
    message.replace(at, path.size(), name);
    at += name.size();
  }
  return message;
}

void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string wav_header(int rate, int channels, uint32_t data_bytes, uint32_t riff_bytes) {
  std::string h;
  h.reserve(44);
  h += "RIFF";
  put_u32(h, riff_bytes);
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, 1);  // PCM
  put_u16(h, static_cast<uint16_t>(channels));
  put_u32(h, static_cast<uint32_t>(rate));
  put_u32(h, static_cast<uint32_t>(rate * channels * 2));
  put_u16(h, static_cast<uint16_t>(channels * 2));
  put_u16(h, 16);
  h += "data";
  put_u32(h, data_bytes);
  return h;
}

void check_format(int rate, int channels) {
  if (rate <= 0 || rate > 768000) throw Error("invalid sample rate " + std::to_string(rate));
  if (channels <= 0 || channels > 16)
    throw Error("invalid channel count " + std::to_string(channels));
}

}  // namespace

bool looks_like_ogg_opus(std::string_view bytes) {
  return bytes.size() >= 36 && bytes.substr(0, 4) == "OggS" && bytes.substr(28, 8) == "OpusHead";
}

audio::SoundBuffer decode_audio_bytes(std::string_view bytes, std::string_view upload_name,
                                      const DecodeLimits& limits) {
  const std::string name = upload_name.empty() ? "upload" : std::string(upload_name);
  if (bytes.empty()) throw AudioDecodeError(name + ": the audio file is empty");
  const bool opus = looks_like_ogg_opus(bytes);
  TempFile file(opus ? ".opus" : ".audio");
  file.write_all(bytes);
  audio::SoundBuffer sound;
  try {
    if (opus) {
      sound = audio::read_opus_file(file.path());
    } else {
      const audio::SoundFileInfo info = audio::probe_sound_file(file.path());
      if (info.sample_rate_hz > 0 &&
          static_cast<double>(info.frame_count) / info.sample_rate_hz > limits.max_seconds) {
        throw AudioDecodeError(name + ": audio is longer than " +
                               std::to_string(static_cast<int>(limits.max_seconds)) + " s");
      }
      sound = audio::read_sound_file(file.path(), {.mix_to_mono = true});
    }
  } catch (const AudioDecodeError&) {
    throw;
  } catch (const std::exception& e) {
    throw AudioDecodeError(rename_path(e.what(), file.path(), name));
  }
  if (sound.channel_count > 1) {
    sound.samples = audio::mix_down_to_mono(sound.samples, sound.channel_count);
    sound.channel_count = 1;
  }
  if (sound.sample_rate_hz <= 0) throw AudioDecodeError(name + ": no sample rate");
  if (sound.duration_seconds() > limits.max_seconds) {
    throw AudioDecodeError(name + ": audio is longer than " +
                           std::to_string(static_cast<int>(limits.max_seconds)) + " s");
  }
  return sound;
}

std::string pcm16_bytes(std::span<const float> samples) {
  std::string out;
  out.resize(samples.size() * 2);
  for (size_t i = 0; i < samples.size(); ++i) {
    const float clipped = std::clamp(std::isfinite(samples[i]) ? samples[i] : 0.0f, -1.0f, 1.0f);
    const auto v = static_cast<int16_t>(std::lrint(clipped * 32767.0f));
    const auto u = static_cast<uint16_t>(v);
    out[2 * i] = static_cast<char>(u & 0xFF);
    out[2 * i + 1] = static_cast<char>(u >> 8);
  }
  return out;
}

std::string wav_stream_header(int sample_rate_hz, int channel_count) {
  check_format(sample_rate_hz, channel_count);
  return wav_header(sample_rate_hz, channel_count, 0xFFFFFFFFu, 0xFFFFFFFFu);
}

std::string wav_bytes(std::span<const float> samples, int sample_rate_hz, int channel_count) {
  check_format(sample_rate_hz, channel_count);
  const uint64_t data = samples.size() * 2;
  if (data > 0xFFFFFFFFull - 36) throw Error("wav_bytes: audio too long for a WAV file");
  std::string out = wav_header(sample_rate_hz, channel_count, static_cast<uint32_t>(data),
                               static_cast<uint32_t>(data + 36));
  out += pcm16_bytes(samples);
  return out;
}

std::string encode_flac_bytes(std::span<const float> samples, int sample_rate_hz) {
  check_format(sample_rate_hz, 1);
  TempFile file(".flac");
  audio::SoundBuffer sound{{samples.begin(), samples.end()}, sample_rate_hz, 1};
  audio::write_sound_file(file.path(), sound, audio::FileEncoding::kFlacPcm16);
  return file.read_all();
}

std::string encode_opus_bytes(std::span<const float> samples, int sample_rate_hz) {
  check_format(sample_rate_hz, 1);
  TempFile file(".opus");
  audio::SoundBuffer sound{{samples.begin(), samples.end()}, sample_rate_hz, 1};
  audio::write_opus_file(file.path(), sound, 32000);
  return file.read_all();
}

std::vector<float> pcm16_to_mono(std::string_view bytes, int channel_count) {
  if (channel_count <= 0)
    throw Error("pcm16: invalid channel count " + std::to_string(channel_count));
  const size_t frame_bytes = static_cast<size_t>(channel_count) * 2;
  if (bytes.size() % frame_bytes != 0) {
    throw Error("pcm16: " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                std::to_string(channel_count) + "-channel 16-bit frames");
  }
  const size_t frames = bytes.size() / frame_bytes;
  std::vector<float> out(frames);
  for (size_t f = 0; f < frames; ++f) {
    float sum = 0;
    for (int c = 0; c < channel_count; ++c) {
      const size_t at = f * frame_bytes + static_cast<size_t>(c) * 2;
      const auto lo = static_cast<uint8_t>(bytes[at]);
      const auto hi = static_cast<uint8_t>(bytes[at + 1]);
      const auto v = static_cast<int16_t>(static_cast<uint16_t>(lo | (hi << 8)));
      sum += static_cast<float>(v) / 32768.0f;
    }
    out[f] = sum / static_cast<float>(channel_count);
  }
  return out;
}

}  // namespace parley::assistant::server
