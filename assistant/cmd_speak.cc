// parley speak [TEXT | -] — text to speech on the default sound device or into a file.
//   * TEXT is shaped for speech (markdown, numbers, units, URLs; tts/text_shaping.h) and spoken
//     by the voice: espeak-ng (`--voice espeak:VOICE`, default espeak:en-us) or a Piper voice
//     (`--voice FILE.onnx`, config FILE.onnx.json or --voice-config). Piper voices speak
//     sentence by sentence, so audio starts after the first sentence.
//   * `-` reads stdin as a stream: text goes through the clause chunker (tts/clause_chunker.h)
//     and each chunk is shaped and spoken as soon as the chunker emits it, before stdin ends —
//     `llm | parley speak -` starts talking on the first clause.
//   * -o out.wav | out.flac (16-bit PCM) | out.ogg / out.opus (Ogg Opus) writes a file as the
//     audio arrives; without -o the audio plays on the default output device (PortAudio), or on
//     the simulated device with --simulated (PARLEY_AUDIO_DEVICE=simulated), whose playback
//     --simulated-output FILE saves.
//   * -v prints one line per spoken chunk to stderr: when its audio was ready and how long it is.
// Errors (one line, exit 1): empty text, a missing voice or voice config, an option the voice
// does not have, no output device.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "assistant/commands.h"
#include "assistant/speech_output.h"
#include "kernels/error.h"
#include "tts/clause_chunker.h"
#include "tts/text_shaping.h"
#include "tts/voice_factory.h"

namespace parley::assistant {
namespace {

using Clock = std::chrono::steady_clock;

struct SpeakOptions {
  std::string text;
  std::string voice = "espeak:en-us";
  std::string voice_config;
  std::string output_path;
  std::optional<int> rate_words_per_minute;
  std::optional<int> pitch;
  std::string speaker;
  std::optional<float> length_scale;
  std::optional<float> noise_scale;
  std::optional<float> noise_w;
  int sample_rate_hz = 0;
  int threads = 1;
  bool simulated = false;
  std::string simulated_output;
  bool verbose = false;
};

// Reads stdin as it arrives and speaks each chunk the chunker completes.
void speak_stdin(Speaker& speaker) {
  tts::ClauseChunker chunker;
  std::vector<std::string> chunks;
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error("speak: cannot read stdin");
    if (got == 0) break;
    chunker.push(std::string_view(buffer, static_cast<size_t>(got)), chunks);
    for (const std::string& chunk : chunks) speaker.speak(chunk);
    chunks.clear();
  }
  chunker.finish(chunks);
  for (const std::string& chunk : chunks) speaker.speak(chunk);
}

void speak(const SpeakOptions& o) {
  const bool from_stdin = o.text == "-";
  if (!from_stdin && is_blank(o.text)) {
    throw Error("speak: nothing to say: the text is empty (give TEXT, or - to read stdin)");
  }
  if (!from_stdin && is_blank(tts::shape_text_for_speech(o.text))) {
    throw Error("speak: nothing to say: the text has no speakable words after shaping");
  }
  tts::VoiceOpenOptions voice_options;
  voice_options.rate_words_per_minute = o.rate_words_per_minute;
  voice_options.output_rate_hz = o.sample_rate_hz;
  voice_options.pitch = o.pitch;
  voice_options.config_path = o.voice_config;
  voice_options.speaker = o.speaker;
  voice_options.length_scale = o.length_scale;
  voice_options.noise_scale = o.noise_scale;
  voice_options.noise_w = o.noise_w;
  voice_options.thread_count = o.threads;
  // Into a file, first-audio latency does not matter: whole sentences, scaled exactly as Piper.
  if (!o.output_path.empty()) voice_options.first_chunk_frames = 0;
  std::unique_ptr<tts::Voice> voice = tts::open_voice(o.voice, voice_options);

  std::unique_ptr<SpeechOutput> output;
  if (!o.output_path.empty()) {
    if (o.simulated || !o.simulated_output.empty()) {
      throw Error("speak: -o writes a file; --simulated/--simulated-output are for playback");
    }
    output = open_file_output("speak", o.output_path, voice->sample_rate_hz());
  } else {
    output = open_device_output("speak", voice->sample_rate_hz(),
                                use_simulated_device(o.simulated), o.simulated_output);
  }
  Speaker speaker(*voice, *output, o.verbose);
  if (from_stdin) {
    speak_stdin(speaker);
    if (speaker.chunks() == 0) {
      throw Error("speak: nothing to say: stdin had no speakable text");
    }
  } else {
    speaker.speak(o.text);
  }
  output->finish();
  std::fprintf(stderr, "speak: %.2f s of audio at %d Hz to %s\n", speaker.audio_seconds(),
               voice->sample_rate_hz(), output->description().c_str());
}

}  // namespace

void add_speak_command(CLI::App& app) {
  auto o = std::make_shared<SpeakOptions>();
  CLI::App* cmd = app.add_subcommand(
      "speak", "Say TEXT (or stdin with -) on the sound device or into a .wav/.flac/.ogg file");
  cmd->add_option("text", o->text, "Text to say, or - to read stdin as a stream")->required();
  cmd->add_option("--voice", o->voice, "espeak:VOICE (espeak-ng) or a Piper FILE.onnx")
      ->capture_default_str();
  cmd->add_option("--voice-config", o->voice_config,
                  "Piper voice config (default: FILE.onnx.json)");
  cmd->add_option("-o,--output", o->output_path, "Write .wav/.flac/.ogg/.opus instead of playing");
  cmd->add_option("--rate", o->rate_words_per_minute,
                  "Speaking rate in words per minute (espeak-ng; for Piper 175 = the voice's own)")
      ->check(CLI::Range(80, 450));
  cmd->add_option("--pitch", o->pitch, "Base pitch 0..100 (espeak-ng)")->check(CLI::Range(0, 100));
  cmd->add_option("--speaker", o->speaker, "Speaker name or id (multi-speaker Piper voices)");
  cmd->add_option("--length-scale", o->length_scale, "Piper length scale (larger = slower)");
  cmd->add_option("--noise-scale", o->noise_scale, "Piper noise scale");
  cmd->add_option("--noise-w", o->noise_w, "Piper duration noise");
  cmd->add_option("--sample-rate", o->sample_rate_hz, "Output rate in Hz (default: the voice's)")
      ->check(CLI::Range(8000, 192000));
  cmd->add_option("--threads", o->threads, "Threads for a Piper voice")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--simulated", o->simulated,
                "Play on the simulated device (also: PARLEY_AUDIO_DEVICE=simulated)");
  cmd->add_option("--simulated-output", o->simulated_output,
                  "With --simulated: write what the device played to this WAV file");
  cmd->add_flag("-v,--verbose", o->verbose, "One line per spoken chunk on stderr");
  cmd->callback([o] { speak(*o); });
}

}  // namespace parley::assistant
