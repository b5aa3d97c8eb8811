#include "audio/sound_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "audio/error.h"

namespace parley::audio {
namespace {

SNDFILE* as_sndfile(void* handle) {
  return static_cast<SNDFILE*>(handle);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

// Owns an SNDFILE* opened for reading. The handle is a member that closes itself, so a header
// check that throws from the constructor still closes it (found by fuzz_sound_file: a WAV header
// with 257 channels, rejected below, leaked libsndfile's whole SF_PRIVATE, ~32 KB).
class SndReader {
 public:
  explicit SndReader(const std::string& path) : path_(path) {
    file_.reset(sf_open(path.c_str(), SFM_READ, &info_));
    if (!file_) fail(path, std::string("cannot open sound file (") + sf_strerror(nullptr) + ")");
    if (info_.samplerate <= 0)
      fail(path, "invalid sample rate " + std::to_string(info_.samplerate));
    if (info_.channels <= 0 || info_.channels > 256) {
      fail(path, "invalid channel count " + std::to_string(info_.channels));
    }
    if (info_.frames < 0) fail(path, "invalid frame count");
  }
  SndReader(const SndReader&) = delete;
  SndReader& operator=(const SndReader&) = delete;

  SNDFILE* file() const { return file_.get(); }
  const SF_INFO& info() const { return info_; }

  std::string format_name() const {
    SF_FORMAT_INFO major{}, minor{};
    major.format = info_.format & SF_FORMAT_TYPEMASK;
    minor.format = info_.format & SF_FORMAT_SUBMASK;
    std::string name;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0 && major.name) {
      name = major.name;
    }
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &minor, sizeof(minor)) == 0 && minor.name) {
      name += std::string(" / ") + minor.name;
    }
    return name;
  }

  // libsndfile shrinks a WAV/AIFF data chunk that runs past the end of the file and notes it in
  // its log as "data : <declared> (should be <present>)". Streaming writers leave 0 or 0xFFFFFFFF
  // in that field on purpose; those are not truncation.
  bool header_claims_more_data() const {
    char log[8192] = {};
    sf_command(file_.get(), SFC_GET_LOG_INFO, log, sizeof(log));
    std::string_view text(log);
    for (size_t line_start = 0; line_start < text.size();) {
      size_t line_end = text.find('\n', line_start);
      if (line_end == std::string_view::npos) line_end = text.size();
      std::string_view line = text.substr(line_start, line_end - line_start);
      line_start = line_end + 1;
      if (!line.starts_with("data") && !line.starts_with("SSND")) continue;
      unsigned long long declared = 0, present = 0;
      std::string copy(line);
      const char* colon = std::strchr(copy.c_str(), ':');
      if (colon == nullptr) continue;
      if (std::sscanf(colon + 1, " %llu (should be %llu)", &declared, &present) == 2 &&
          present < declared && declared != 0xFFFFFFFFull && declared != 0x7FFFFFFFull) {
        return true;
      }
    }
    return false;
  }

 private:
  std::string path_;
  struct Closer {
    void operator()(SNDFILE* file) const { sf_close(file); }
  };
  SF_INFO info_{};
  std::unique_ptr<SNDFILE, Closer> file_;
};

int sndfile_format(FileEncoding encoding) {
  switch (encoding) {
    case FileEncoding::kWavPcm16:
      return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    case FileEncoding::kWavPcm24:
      return SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    case FileEncoding::kWavFloat32:
      return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    case FileEncoding::kFlacPcm16:
      return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case FileEncoding::kFlacPcm24:
      return SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
  }
  return 0;
}

}  // namespace

SoundFileInfo probe_sound_file(const std::string& path) {
  SndReader reader(path);
  SoundFileInfo info;
  info.sample_rate_hz = reader.info().samplerate;
  info.channel_count = reader.info().channels;
  info.frame_count = static_cast<uint64_t>(reader.info().frames);
  info.format_name = reader.format_name();
  return info;
}

std::vector<float> mix_down_to_mono(std::span<const float> interleaved, int channel_count) {
  if (channel_count <= 0) throw Error("mix_down_to_mono: channel_count must be positive");
  const size_t channels = static_cast<size_t>(channel_count);
  std::vector<float> mono(interleaved.size() / channels);
  const float scale = 1.0f / static_cast<float>(channel_count);
  for (size_t frame = 0; frame < mono.size(); ++frame) {
    float sum = 0.0f;
    for (size_t channel = 0; channel < channels; ++channel) {
      sum += interleaved[frame * channels + channel];
    }
    mono[frame] = sum * scale;
  }
  return mono;
}

SoundBuffer read_sound_file(const std::string& path, const ReadOptions& options) {
  SndReader reader(path);
  const SF_INFO& info = reader.info();
  const uint64_t declared_frames = static_cast<uint64_t>(info.frames);
  if (options.max_frames != 0 && declared_frames > options.max_frames) {
    fail(path, "declares " + std::to_string(declared_frames) + " frames, more than the limit of " +
                   std::to_string(options.max_frames));
  }
  if (!options.allow_truncated && reader.header_claims_more_data()) {
    fail(path, "truncated: the header declares more sample data than the file holds");
  }
  SoundBuffer sound;
  sound.sample_rate_hz = info.samplerate;
  sound.channel_count = info.channels;
  // Read in blocks instead of allocating what the header declares up front: a 200-byte FLAC can
  // declare 2^32 frames of 8 channels (128 GiB). Memory grows only with the samples present.
  const size_t channels = static_cast<size_t>(info.channels);
  constexpr uint64_t kBlockFrames = 1 << 16;
  uint64_t frames_read = 0;
  while (frames_read < declared_frames) {
    const uint64_t want = std::min(kBlockFrames, declared_frames - frames_read);
    sound.samples.resize((frames_read + want) * channels);
    float* block = sound.samples.data() + frames_read * channels;
    const sf_count_t got = sf_readf_float(reader.file(), block, static_cast<sf_count_t>(want));
    if (got < 0) fail(path, std::string("read error (") + sf_strerror(reader.file()) + ")");
    frames_read += static_cast<uint64_t>(got);
    if (static_cast<uint64_t>(got) < want) break;
  }
  sound.samples.resize(frames_read * channels);
  if (frames_read < declared_frames) {
    if (!options.allow_truncated) {
      const int code = sf_error(reader.file());
      fail(path, "truncated or corrupt: read " + std::to_string(frames_read) + " of " +
                     std::to_string(declared_frames) + " frames" +
                     (code != 0 ? std::string(" (") + sf_strerror(reader.file()) + ")" : ""));
    }
  }
  if (options.mix_to_mono && sound.channel_count > 1) {
    sound.samples = mix_down_to_mono(sound.samples, sound.channel_count);
    sound.channel_count = 1;
  }
  return sound;
}

SoundFileWriter::SoundFileWriter(const std::string& path, int sample_rate_hz, int channel_count,
                                 FileEncoding encoding)
    : path_(path), partial_path_(path + ".partial"), channel_count_(channel_count) {
  if (sample_rate_hz <= 0)
    fail(path, "sample rate must be positive, got " + std::to_string(sample_rate_hz));
  if (channel_count <= 0 || channel_count > 256) {
    fail(path, "channel count must be 1..256, got " + std::to_string(channel_count));
  }
  SF_INFO info{};
  info.samplerate = sample_rate_hz;
  info.channels = channel_count;
  info.format = sndfile_format(encoding);
  if (!sf_format_check(&info)) {
    fail(path, "this encoding cannot hold " + std::to_string(channel_count) + " channels at " +
                   std::to_string(sample_rate_hz) + " Hz");
  }
  SNDFILE* file = sf_open(partial_path_.c_str(), SFM_WRITE, &info);
  if (file == nullptr) {
    fail(path, std::string("cannot create ") + partial_path_ + " (" + sf_strerror(nullptr) + ")");
  }
  sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  handle_ = file;
}

SoundFileWriter::~SoundFileWriter() {
  if (handle_ != nullptr) {
    sf_close(as_sndfile(handle_));
    std::remove(partial_path_.c_str());
  }
}

void SoundFileWriter::write(std::span<const float> interleaved) {
  if (handle_ == nullptr) fail(path_, "write after finish()");
  const size_t channels = static_cast<size_t>(channel_count_);
  if (interleaved.size() % channels != 0) {
    fail(path_, "write of " + std::to_string(interleaved.size()) +
                    " samples is not a whole number of " + std::to_string(channels) +
                    "-channel frames");
  }
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / channels);
  const sf_count_t written = sf_writef_float(as_sndfile(handle_), interleaved.data(), frames);
  if (written != frames) {
    fail(path_, std::string("write failed (") + sf_strerror(as_sndfile(handle_)) + ")");
  }
  frames_written_ += static_cast<uint64_t>(frames);
}

void SoundFileWriter::finish() {
  if (handle_ == nullptr) fail(path_, "finish() called twice");
  const int close_status = sf_close(as_sndfile(handle_));
  handle_ = nullptr;
  if (close_status != 0) {
    std::remove(partial_path_.c_str());
    fail(path_, std::string("closing failed (") + sf_error_number(close_status) + ")");
  }
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(partial_path_.c_str());
    fail(path_, "cannot move " + partial_path_ + " into place (" + reason + ")");
  }
}

void write_sound_file(const std::string& path, const SoundBuffer& sound, FileEncoding encoding) {
  SoundFileWriter writer(path, sound.sample_rate_hz, sound.channel_count, encoding);
  writer.write(sound.samples);
  writer.finish();
}

}  // namespace parley::audio
