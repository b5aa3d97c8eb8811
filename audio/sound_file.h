// Sound files through libsndfile: read any format libsndfile supports (WAV, FLAC, Ogg Vorbis,
// AIFF, ...) into float samples at the file's native rate; write WAV or FLAC.
//
// Contracts
//   * Samples are interleaved floats, nominally in [-1, 1]; integer formats are scaled by
//     libsndfile (16-bit 32767 -> 0.99997). Nothing is resampled here (see resampler.h).
//   * Every failure throws parley::audio::Error whose message starts with the path.
//   * A file whose header promises more sample data than the file holds (truncated) throws unless
//     ReadOptions::allow_truncated is set, in which case the frames present are returned.
//   * Writing never leaves a partial file at `path`: data goes to "<path>.partial" and is renamed
//     over `path` by finish() (or by write_sound_file when it returns). A writer destroyed without
//     finish() removes its partial file.
//   * Not thread-safe per object; distinct objects may be used from different threads.
//
// Usage
//   using namespace parley::audio;
//   SoundBuffer speech = read_sound_file("question.flac", {.mix_to_mono = true});
//   // speech.sample_rate_hz == 44100, speech.channel_count == 1, speech.samples.size() frames
//   write_sound_file("copy.wav", speech, FileEncoding::kWavPcm16);
//
//   SoundFileWriter writer("rec.flac", 16000, 1, FileEncoding::kFlacPcm16);
//   writer.write(block);                   // any number of times
//   writer.finish();                       // renames rec.flac.partial -> rec.flac
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace parley::audio {

// Interleaved float samples plus their format.
struct SoundBuffer {
  std::vector<float> samples;  // frame_count() * channel_count values, interleaved
  int sample_rate_hz = 0;
  int channel_count = 0;

  size_t frame_count() const {
    return channel_count > 0 ? samples.size() / static_cast<size_t>(channel_count) : 0;
  }
  double duration_seconds() const {
    return sample_rate_hz > 0 ? static_cast<double>(frame_count()) / sample_rate_hz : 0.0;
  }
};

struct ReadOptions {
  bool mix_to_mono = false;      // average all channels into one
  bool allow_truncated = false;  // return the frames present instead of throwing
  // Refuse files longer than this (a hostile header can claim 2^63 frames); 0 = no limit.
  uint64_t max_frames = uint64_t{1} << 32;
};

// What a file holds, without reading its samples.
struct SoundFileInfo {
  int sample_rate_hz = 0;
  int channel_count = 0;
  uint64_t frame_count = 0;
  std::string format_name;  // e.g. "WAV (Microsoft) / Signed 16 bit PCM"
};

enum class FileEncoding {
  kWavPcm16,
  kWavPcm24,
  kWavFloat32,
  kFlacPcm16,
  kFlacPcm24,
};

SoundFileInfo probe_sound_file(const std::string& path);
SoundBuffer read_sound_file(const std::string& path, const ReadOptions& options = {});

// Averages interleaved channels into one; returns the mono samples.
std::vector<float> mix_down_to_mono(std::span<const float> interleaved, int channel_count);

// Streaming writer (see contract above). Samples outside [-1, 1] are clipped for PCM encodings.
class SoundFileWriter {
 public:
  SoundFileWriter(const std::string& path, int sample_rate_hz, int channel_count,
                  FileEncoding encoding);
  ~SoundFileWriter();
  SoundFileWriter(const SoundFileWriter&) = delete;
  SoundFileWriter& operator=(const SoundFileWriter&) = delete;

  // Appends whole frames: interleaved.size() must be a multiple of channel_count.
  void write(std::span<const float> interleaved);
  // Closes the file and moves it into place. Further writes throw.
  void finish();

  uint64_t frames_written() const { return frames_written_; }

 private:
  std::string path_;
  std::string partial_path_;
  void* handle_ = nullptr;  // SNDFILE*
  int channel_count_ = 0;
  uint64_t frames_written_ = 0;
};

// Writes a whole buffer to `path` (atomically, see above).
void write_sound_file(const std::string& path, const SoundBuffer& sound, FileEncoding encoding);

}  // namespace parley::audio
