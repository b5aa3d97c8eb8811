// parley listen — hands-free conversation on the sound devices: the voice pipeline on a full-duplex
// PortAudio stream (or the simulated device) with the real clock, until Ctrl-C (or --seconds).
//
//   parley listen                                   # default devices and models
//   parley listen --input USB --output USB --asr models/asr --llm chat.gguf
//   parley listen --simulated --simulated-input q.wav --simulated-output a.wav --seconds 20
//
// On a terminal a compact status line shows the state and the partial transcript; every turn
// prints what was heard and answered. With wake.phrase set in the config ("hey parley"), only
// requests that start with it are answered, and follow-ups for wake.listen_window_s after.
// Not on a terminal, plain log lines only. At exit: the
// p50/p90 of every stage of the turn trace (and --trace FILE keeps one JSON line per turn).
// Echo cancellation (webrtc-audio-processing, far end = the exact samples played) is on for real
// devices unless --half-duplex or --no-aec; the simulated device has no echo, so it is off there.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "assistant/commands.h"
#include "assistant/core/config.h"
#include "assistant/core/device_watch.h"
#include "assistant/core/turn_state.h"
#include "assistant/core/turn_trace.h"
#include "assistant/simulated_input.h"
#include "assistant/speech_output.h"
#include "assistant/voice_assistant.h"
#include "audio/portaudio_device.h"
#include "audio/simulated_device.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct ListenOptions {
  ModelChoice models;
  std::string input, output;
  bool half_duplex = false;
  bool no_aec = false;
  std::string trace;
  std::string config;
  std::vector<std::string> set;
  bool simulated = false;
  std::string simulated_input;
  std::string simulated_output;
  std::string simulated_outage;  // "AT:SECONDS": the simulated device vanishes (fault test)
  double seconds = 0;  // 0 = until interrupted
};

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted.store(true); }

void print_turn(const TurnResult& r) {
  std::fprintf(stderr, "you:    %s\nparley: %s%s\n", r.trace.transcript.c_str(), r.trace.reply.c_str(),
               r.trace.interrupted ? "  (interrupted)" : "");
  for (const std::string& call : r.tool_calls) std::fprintf(stderr, "tool:   %s\n", call.c_str());
}

std::string status_line(const PipelineStatus& s) {
  std::string line = "[" + std::string(turn_state_name(s.state)) + "]";
  if (!s.partial.empty() && (s.state == TurnState::kHearing || s.state == TurnState::kListening))
    line += " " + s.partial;
  if (line.size() > 100) line = line.substr(0, 97) + "...";
  return line;
}

void listen(const ListenOptions& o) {
  if (!o.simulated && (!o.simulated_input.empty() || !o.simulated_output.empty() || !o.simulated_outage.empty()))
    throw Error("listen: --simulated-input, --simulated-output and --simulated-outage need --simulated");
  AssistantConfig config = load_effective_config(o.config, o.set);
  const int rate = config.devices.sample_rate_hz;
  const bool simulated = use_simulated_device(o.simulated);
  const bool echo_cancellation = !simulated && !o.no_aec && !o.half_duplex && !config.devices.half_duplex;

  audio::StreamConfig stream_config{.sample_rate_hz = rate,
                                    .capture_channels = 1,
                                    .playback_channels = 1,
                                    .frames_per_block = std::max(1, rate / 50),
                                    .keep_far_end_reference = echo_cancellation,
                                    .capture_device = !o.input.empty() ? o.input : config.devices.input,
                                    .playback_device = !o.output.empty() ? o.output : config.devices.output};
  stream_config.validate();
  std::unique_ptr<audio::AudioStream> stream;
  audio::SimulatedStream* simulated_stream = nullptr;
  if (simulated) {
    audio::SimulatedStreamOptions options;
    options.pacing = audio::Pacing::kRealTime;
    if (!o.simulated_input.empty()) {
      options.capture_input = std::vector<float>(static_cast<size_t>(rate / 2), 0.0f);  // noise floor first
      const std::vector<float> clip = read_clip(o.simulated_input, rate);
      options.capture_input.insert(options.capture_input.end(), clip.begin(), clip.end());
      options.capture_input.resize(options.capture_input.size() + static_cast<size_t>(rate) * 600, 0.0f);
    }
    if (!o.simulated_output.empty()) options.max_recorded_playback_frames = static_cast<size_t>(rate) * 600;
    if (!o.simulated_outage.empty()) std::tie(options.outage_after_s, options.outage_s) = parse_outage(o.simulated_outage, "listen");
    auto s = std::make_unique<audio::SimulatedStream>(stream_config, std::move(options));
    simulated_stream = s.get();
    stream = std::move(s);
  } else {
    stream = std::make_unique<audio::PortAudioStream>(stream_config);
  }

  const std::string trace_path = !o.trace.empty() ? o.trace : config.trace.file;
  TurnLog log(trace_path);  // before the pipeline: it outlives the pipeline's turn callbacks
  RealClock clock;
  VoiceAssistant assistant(config, o.models, *stream, clock,
                           {.half_duplex = o.half_duplex, .echo_cancellation = echo_cancellation, .scripted_transcripts = {}});
  Pipeline& pipeline = assistant.pipeline();
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::fprintf(stderr, "listen: %s\nlisten: %s on %s%s — Ctrl-C to stop\n", assistant.description().c_str(),
               simulated ? "simulated device" : "sound devices", stream->description().c_str(),
               echo_cancellation ? ", echo cancellation on" : "");

  log.attach(pipeline);

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  pipeline.start();
  stream->start();
  std::string last_status;
  // A device that vanishes (headset unplugged) stops the reply being spoken and is reopened.
  DeviceWatch watch(
      *stream, clock,
      [&](const std::string& line) {
        if (terminal) std::fputs("\r\033[K", stderr);
        std::fprintf(stderr, "listen: %s\n", line.c_str());
        last_status.clear();  // the status line was overwritten: show it again
      },
      [&] { pipeline.stop_speaking(); });
  const auto start = std::chrono::steady_clock::now();
  TurnState last_state = TurnState::kListening;
  while (!g_interrupted.load()) {
    if (o.seconds > 0 && std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(o.seconds)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    watch.poll();
    const PipelineStatus status = pipeline.status();
    log.drain([&](const TurnResult& r) {
      if (terminal) std::fputs("\r\033[K", stderr);
      print_turn(r);
      last_status.clear();
    });
    if (terminal) {
      const std::string line = status_line(status);
      if (line != last_status) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        last_status = line;
      }
    } else if (status.state != last_state) {
      std::fprintf(stderr, "listen: %s\n", std::string(turn_state_name(status.state)).c_str());
    }
    last_state = status.state;
  }
  if (terminal) std::fputs("\r\033[K", stderr);
  stream->stop();
  pipeline.stop();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  log.drain(print_turn);
  for (const std::string& error : pipeline.errors()) std::fprintf(stderr, "error: %s\n", error.c_str());
  const audio::StreamCounters counters = stream->counters();
  std::fprintf(stderr, "listen: %zu turns; %llu capture overflows, %llu playback underruns; device lost %lld times\n",
               log.finished(), static_cast<unsigned long long>(counters.capture_overflow_samples),
               static_cast<unsigned long long>(counters.playback_underruns),
               static_cast<long long>(watch.status().losses));
  if (simulated_stream != nullptr && !o.simulated_output.empty()) {
    audio::write_sound_file(o.simulated_output, {simulated_stream->recorded_playback(), rate, 1},
                            audio::FileEncoding::kWavPcm16);
    std::fprintf(stderr, "listen: speaker output written to %s\n", o.simulated_output.c_str());
  }
  std::fputs(log.summary().to_text().c_str(), stderr);
}

}  // namespace

void add_listen_command(CLI::App& app) {
  auto o = std::make_shared<ListenOptions>();
  CLI::App* cmd = app.add_subcommand("listen", "Hands-free conversation on the microphone and speaker (Ctrl-C stops)");
  cmd->add_option("--asr", o->models.asr, "Streaming ASR model folder (default: config, then the installed default)");
  cmd->add_option("--llm", o->models.llm, "GGUF chat model (default: config, then the installed default)");
  cmd->add_option("--voice", o->models.voice, "Voice: espeak:<voice> or a Piper .onnx");
  cmd->add_option("--vad", o->models.vad, "VAD: energy or a Silero .onnx");
  cmd->add_option("--input", o->input, "Capture device (name substring; default: config, then the system's)");
  cmd->add_option("--output", o->output, "Playback device (name substring)");
  cmd->add_flag("--half-duplex", o->half_duplex, "Mute the microphone while speaking (no echo cancellation)");
  cmd->add_flag("--no-aec", o->no_aec, "No echo cancellation (headphones)");
  cmd->add_option("--trace", o->trace, "Append one JSON line per turn to this file");
  cmd->add_option("--config", o->config, "Config file (JSON)");
  cmd->add_option("--set", o->set, "Override a config key: key=value (repeatable)");
  cmd->add_flag("--simulated", o->simulated, "Simulated device instead of sound hardware (also PARLEY_AUDIO_DEVICE=simulated)");
  cmd->add_option("--simulated-input", o->simulated_input, "With --simulated: audio file played into the microphone");
  cmd->add_option("--simulated-output", o->simulated_output, "With --simulated: write what the speaker played to this WAV");
  cmd->add_option("--simulated-outage", o->simulated_outage,
                  "With --simulated: the device vanishes AT seconds in, for SECONDS (fault test), AT:SECONDS");
  cmd->add_option("--seconds", o->seconds, "Stop after this many seconds (default: until Ctrl-C)")->check(CLI::NonNegativeNumber);
  cmd->callback([o] { listen(*o); });
}

}  // namespace parley::assistant
