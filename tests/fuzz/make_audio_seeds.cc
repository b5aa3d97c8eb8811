// fuzz_make_audio_seeds OUT_DIR: writes the audio seed corpora with our own writers — WAV (16/24
// bit, float) and FLAC files through SoundFileWriter, Ogg Opus files through OpusFileWriter, and
// Opus packet streams through OpusPacketEncoder in the input format of fuzz_opus_packet.cc — so
// no binary audio is committed for fuzzing. Short signals keep the corpus fast to replay.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "audio/opus_codec.h"
#include "audio/sound_file.h"

namespace {

std::vector<float> tone(int rate, int channels, double seconds) {
  const size_t frames = static_cast<size_t>(rate * seconds);
  std::vector<float> out(frames * channels);
  for (size_t i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c)
      out[i * channels + c] = 0.4f * static_cast<float>(std::sin(0.05 * (c + 1) * i));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  using namespace parley::audio;
  const fs::path out(argv[1]);
  fs::create_directories(out / "sound_file");
  fs::create_directories(out / "ogg_opus");
  fs::create_directories(out / "opus_packet");

  const struct {
    const char* name;
    FileEncoding encoding;
  } encodings[] = {{"pcm16.wav", FileEncoding::kWavPcm16}, {"pcm24.wav", FileEncoding::kWavPcm24},
                   {"f32.wav", FileEncoding::kWavFloat32}, {"pcm16.flac", FileEncoding::kFlacPcm16},
                   {"pcm24.flac", FileEncoding::kFlacPcm24}};
  for (const auto& e : encodings) {
    for (int channels : {1, 2}) {
      const std::string name = std::to_string(channels) + "ch_" + e.name;
      write_sound_file((out / "sound_file" / name).string(),
                       SoundBuffer{tone(8000, channels, 0.05), 8000, channels}, e.encoding);
    }
  }
  for (int channels : {1, 2}) {
    for (int rate : {16000, 48000}) {
      const std::string name = std::to_string(channels) + "ch_" + std::to_string(rate) + ".opus";
      write_opus_file((out / "ogg_opus" / name).string(),
                      SoundBuffer{tone(rate, channels, 0.1), rate, channels}, 24000);
    }
  }
  // Packet streams: selector byte (rate index | 0x80 for stereo), then length-prefixed packets.
  const int rates[] = {8000, 12000, 16000, 24000, 48000};
  for (int r = 0; r < 5; ++r) {
    for (int channels : {1, 2}) {
      for (double frame_ms : {2.5, 20.0, 60.0}) {
        OpusConfig config{.sample_rate_hz = rates[r], .channel_count = channels,
                          .bitrate_bps = 16000, .frame_ms = frame_ms,
                          .application = frame_ms == 2.5 ? OpusApplication::kLowDelay
                                                         : OpusApplication::kVoip};
        OpusPacketEncoder encoder(config);
        std::string stream(1, static_cast<char>(r | (channels == 2 ? 0x80 : 0)));
        const std::vector<float> pcm = tone(rates[r], channels, 0.12);
        for (size_t at = 0; at + encoder.frame_samples() <= pcm.size() && stream.size() < 900;
             at += encoder.frame_samples()) {
          const std::vector<uint8_t> packet =
              encoder.encode(std::span<const float>(pcm).subspan(at, encoder.frame_samples()));
          if (packet.size() > 255) continue;
          stream += static_cast<char>(packet.size());
          stream.append(packet.begin(), packet.end());
        }
        stream += std::string("\0\x08", 2);  // one concealed packet at the end
        const std::string name = std::to_string(rates[r]) + "_" + std::to_string(channels) +
                                 "ch_" + std::to_string(static_cast<int>(frame_ms * 10)) + "ms";
        std::ofstream(out / "opus_packet" / name, std::ios::binary) << stream;
      }
    }
  }
  return 0;
}
