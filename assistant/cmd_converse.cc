// parley converse — the whole voice pipeline on files: questions from WAV files are "spoken" into
// a simulated microphone one after the other, each answered through VAD → ASR → LLM (tools
// included) → TTS; prints per turn the transcript, the reply, and the turn trace; writes what the
// speaker played to --out; p50/p90 of every stage at the end.
//
//   parley converse --in q1.wav --in q2.wav --out answer.wav --asr models/asr --llm chat.gguf
//   parley converse --in q.wav --barge-in-at 1.0 --barge-in stop.wav --trace turns.jsonl
//
// Time is a SimulatedClock: by default processing time counts (as on a device) and idle time is
// skipped; --lockstep makes processing free (deterministic); --realtime paces blocks in real time.
// --barge-in FILE is spoken SECONDS after the first answer's first audio sample.
//
// parley demo — the same on questions spoken at run time by the espeak-ng voice, on the default
// models, with no hardware: what README's first command ends with.

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "assistant/commands.h"
#include "assistant/core/config.h"
#include "assistant/core/pipeline.h"
#include "assistant/core/pipeline_driver.h"
#include "assistant/models/model_store.h"
#include "assistant/simulated_input.h"
#include "assistant/voice_assistant.h"
#include "audio/sound_file.h"
#include "kernels/error.h"
#include "tts/voice_factory.h"

namespace parley::assistant {
namespace {

struct ConverseOptions {
  std::vector<std::string> inputs;
  std::string out;
  std::string asr, llm, voice, vad;
  double barge_in_at = -1;
  std::string barge_in;
  bool realtime = false;
  bool lockstep = false;
  bool half_duplex = false;
  std::string trace;
  std::string config;
  std::vector<std::string> set;
  double max_turn_seconds = 120;
};

// One scripted conversation: `clips` (mono, at the config's device rate) are spoken into the
// simulated microphone one after the other, each answered before the next; `barge_in` (if any)
// is spoken `barge_in_at` seconds after the first answer starts playing.
struct ScriptedRun {
  const char* command = "converse";  // names the command in messages
  std::vector<std::shared_ptr<const std::vector<float>>> clips;  // a file given twice: one copy
  std::vector<float> barge_in;
  double barge_in_at = -1;
  VoiceAssistantOptions assistant;
};

void run_scripted_conversation(const ConverseOptions& o, const AssistantConfig& config, const ScriptedRun& run) {
  const int rate = config.devices.sample_rate_hz;
  const std::string trace_path = !o.trace.empty() ? o.trace : config.trace.file;
  TurnLog log(trace_path);  // before the pipeline: it outlives the pipeline's turn callbacks
  SimulatedClock clock(RealClock().wall_time());
  // What the speaker played is kept only for --out (an hour at most); without it nothing is
  // recorded, so a long run (bench/converse_soak.py) does not grow by 64 KB per second spoken.
  const size_t record_frames = o.out.empty() ? 0 : static_cast<size_t>(rate) * 3600;
  ScriptedMicStream mic(audio::StreamConfig{.sample_rate_hz = rate}, record_frames);
  VoiceAssistantOptions assistant_options = run.assistant;
  assistant_options.half_duplex = assistant_options.half_duplex || o.half_duplex;
  VoiceAssistant assistant(config, {.asr = o.asr, .llm = o.llm, .voice = o.voice, .vad = o.vad}, mic,
                           clock, assistant_options);
  std::fprintf(stderr, "loaded %s\n", assistant.description().c_str());
  Pipeline& pipeline = assistant.pipeline();
  log.attach(pipeline);
  pipeline.start();
  const DrivePacing pacing = o.realtime ? DrivePacing::kRealTime
                             : o.lockstep ? DrivePacing::kLockstep
                                          : DrivePacing::kComputeCounts;
  ConversationDriver driver(pipeline, mic, clock, pacing);
  auto report = [&] {
    log.drain([](const TurnResult& r) {
      std::printf("turn %lld%s\n  heard:  %s\n  reply:  %s\n", static_cast<long long>(r.trace.turn_index),
                  r.trace.interrupted ? " (interrupted)" : "", r.trace.transcript.c_str(),
                  r.trace.reply.c_str());
      for (const std::string& call : r.tool_calls) std::printf("  tool:   %s\n", call.c_str());
      std::printf("  trace:  %s\n", r.trace.to_json_line().c_str());
      std::fflush(stdout);
    });
  };
  auto settled = [&](size_t count) {
    const PipelineStatus s = pipeline.status();
    return log.finished() >= count && !s.reply_active && s.state == TurnState::kListening &&
           driver.microphone_idle();
  };
  driver.say(std::vector<float>(static_cast<size_t>(rate / 2), 0.0f));  // noise floor
  size_t expected = 0;
  for (size_t i = 0; i < run.clips.size(); ++i) {
    driver.say(*run.clips[i]);
    ++expected;
    if (i == 0 && run.barge_in_at >= 0) {
      driver.run_until([&] { return pipeline.status().first_audio_out_us >= 0; }, o.max_turn_seconds);
      driver.run_for(run.barge_in_at);
      driver.say(run.barge_in);
      ++expected;
    }
    if (!driver.run_until([&] { return settled(expected); }, o.max_turn_seconds))
      std::fprintf(stderr, "%s: turn %zu did not finish within %.0f s\n", run.command, expected,
                   o.max_turn_seconds);
    report();
  }
  driver.run_for(0.5);
  pipeline.stop();
  report();
  for (const std::string& error : pipeline.errors()) std::fprintf(stderr, "error: %s\n", error.c_str());
  if (!o.out.empty()) {
    audio::write_sound_file(o.out, {mic.recorded_playback(), rate, 1}, audio::FileEncoding::kWavPcm16);
    std::printf("answer audio: %s (%.2f s of speaker output)\n", o.out.c_str(),
                static_cast<double>(mic.recorded_playback().size()) / rate);
  } else {
    std::printf("answer audio: not written (use --out FILE)\n");
  }
  if (!trace_path.empty()) std::printf("trace: %s\n", trace_path.c_str());
  std::printf("%s", log.summary().to_text().c_str());
}

void converse(const ConverseOptions& o) {
  if (o.inputs.empty()) throw Error("converse: give at least one --in FILE");
  if ((o.barge_in_at >= 0) != !o.barge_in.empty())
    throw Error("converse: --barge-in-at and --barge-in go together");
  const AssistantConfig config = load_effective_config(o.config, o.set);
  const int rate = config.devices.sample_rate_hz;
  ScriptedRun run;
  std::map<std::string, std::shared_ptr<const std::vector<float>>> loaded;
  for (const std::string& path : o.inputs) {
    auto& clip = loaded[path];
    if (!clip) clip = std::make_shared<const std::vector<float>>(read_clip(path, rate));
    run.clips.push_back(clip);
  }
  if (o.barge_in_at >= 0) {
    run.barge_in = read_clip(o.barge_in, rate);
    run.barge_in_at = o.barge_in_at;
  }
  run_scripted_conversation(o, config, run);
}

// ---- parley demo --------------------------------------------------------------------------------

struct DemoOptions {
  ConverseOptions run;
  std::vector<std::string> questions;
  std::string question_voice = "espeak:en-us";
};

const std::vector<std::string> kDemoQuestions = {
    "Hello! What can you do?",
    "What time is it?",
    "Set a timer for five minutes for the tea.",
};

void demo(DemoOptions d) {
  ConverseOptions& o = d.run;
  const AssistantConfig config = load_effective_config(o.config, o.set);
  const int rate = config.devices.sample_rate_hz;
  if (d.questions.empty()) d.questions = kDemoQuestions;
  if (o.out.empty()) o.out = (std::filesystem::temp_directory_path() / "parley-demo-answers.wav").string();

  ScriptedRun run;
  run.command = "demo";
  {
    const std::unique_ptr<tts::Voice> speaker = tts::open_voice(d.question_voice, {.output_rate_hz = rate});
    for (const std::string& question : d.questions) {
      std::vector<float> clip = tts::synthesize_to_vector(*speaker, question);
      if (clip.empty()) throw Error("demo: the voice " + d.question_voice + " said nothing for \"" + question + "\"");
      std::printf("question: \"%s\" spoken by %s (%.2f s)\n", question.c_str(), d.question_voice.c_str(),
                  static_cast<double>(clip.size()) / rate);
      run.clips.push_back(std::make_shared<const std::vector<float>>(std::move(clip)));
    }
  }
  try {
    // Resolved once here; VoiceAssistant then opens exactly this folder.
    o.asr = models::resolve_default_model(models::ModelKind::kAsr, o.asr, config.models.asr);
  } catch (const Error& missing) {
    if (!o.asr.empty() || !config.models.asr.empty()) throw;  // asked for one that is not there
    std::printf(
        "note: no speech recognizer is installed: Parley's own default ASR model is not shipped yet\n"
        "      (`parley models fetch sherpa-onnx-streaming-zipformer-en-2023-06-26` installs a real one).\n"
        "      The questions are still spoken into the pipeline (VAD, endpoint, LLM, tools, TTS, trace),\n"
        "      but what it \"heard\" below is the question's text, not a recognition.\n");
    run.assistant.scripted_transcripts = d.questions;
  }
  std::fflush(stdout);
  run_scripted_conversation(o, config, run);
}

}  // namespace

void add_converse_command(CLI::App& app) {
  auto o = std::make_shared<ConverseOptions>();
  CLI::App* cmd = app.add_subcommand("converse", "Run the voice pipeline on WAV files (simulated device and clock)");
  cmd->add_option("--in", o->inputs, "Question audio, one file per turn (repeatable)")->required();
  cmd->add_option("--out", o->out, "Write what the speaker played to this WAV file");
  cmd->add_option("--asr", o->asr, "Streaming ASR model folder (default: the installed default)");
  cmd->add_option("--llm", o->llm, "GGUF chat model (default: the installed default)");
  cmd->add_option("--voice", o->voice, "Voice: espeak:<voice> or a Piper .onnx");
  cmd->add_option("--vad", o->vad, "VAD: energy or a Silero .onnx");
  cmd->add_option("--barge-in-at", o->barge_in_at, "Seconds after the first answer starts playing");
  cmd->add_option("--barge-in", o->barge_in, "Audio spoken over the first answer");
  cmd->add_flag("--realtime", o->realtime, "Pace the device in real time");
  cmd->add_flag("--lockstep", o->lockstep, "Processing takes no simulated time (deterministic)");
  cmd->add_flag("--half-duplex", o->half_duplex, "Mute the microphone while speaking");
  cmd->add_option("--trace", o->trace, "Append one JSON line per turn to this file");
  cmd->add_option("--config", o->config, "Config file (JSON)");
  cmd->add_option("--set", o->set, "Override a config key: key=value (repeatable)");
  cmd->add_option("--max-turn-seconds", o->max_turn_seconds, "Give up on a turn after this long");
  cmd->callback([o] { converse(*o); });
}

void add_demo_command(CLI::App& app) {
  auto d = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "Talk to the assistant with no hardware: spoken questions through the whole pipeline");
  cmd->footer(
      "Each question is spoken with --question-voice (espeak-ng) into a simulated microphone and\n"
      "answered through the same pipeline as `parley listen` (VAD, streaming ASR, the chat model\n"
      "with its tools, the voice); prints what was heard, the reply, the tool calls and the turn\n"
      "trace, and writes what the speaker played to --out.");
  cmd->add_option("-q,--question", d->questions, "A question to ask (repeatable; default: three demo questions)");
  cmd->add_option("--question-voice", d->question_voice, "The voice that asks: espeak:<voice> or a Piper .onnx")
      ->capture_default_str();
  cmd->add_option("--out", d->run.out, "Write what the speaker played here (default: parley-demo-answers.wav in the temp folder)");
  cmd->add_option("--asr", d->run.asr, "Streaming ASR model folder (default: the installed default)");
  cmd->add_option("--llm", d->run.llm, "GGUF chat model (default: the installed default)");
  cmd->add_option("--voice", d->run.voice, "The assistant's voice: espeak:<voice> or a Piper .onnx");
  cmd->add_option("--vad", d->run.vad, "VAD: energy or a Silero .onnx");
  cmd->add_option("--trace", d->run.trace, "Append one JSON line per turn to this file");
  cmd->add_option("--config", d->run.config, "Config file (JSON)");
  cmd->add_option("--set", d->run.set, "Override a config key: key=value (repeatable)");
  cmd->add_flag("--realtime", d->run.realtime, "Pace the simulated device in real time");
  cmd->callback([d] { demo(*d); });
}

}  // namespace parley::assistant
