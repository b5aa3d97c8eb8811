// parley pipe: text conversation on stdin/stdout — one user turn per line, replies streamed.
// It is the assistant's brain without ears: the default (or --llm) model, the configured system
// prompt, and the built-in tools (time, date, timers, alarms, volume, stop) executed as the voice
// pipeline executes them — a reply's <tool_call> blocks are run, their results fed back and the
// follow-up streamed; the calls and results are logged on stderr ("tool: ..."), due timers are
// announced as lines of their own. --no-tools shows the model's raw output instead; --raw is plain
// completion (no template, no history, no tools).
// With --speak the replies are also spoken: the token stream goes through the clause chunker
// and each clause is synthesized on a TTS thread while the model goes on writing, to the sound
// device (or --simulated) or into --out FILE (.wav/.flac/.ogg/.opus).
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include "assistant/commands.h"
#include "assistant/core/assistant_tools.h"
#include "assistant/core/bounded_queue.h"
#include "assistant/core/chat_backend.h"
#include "assistant/core/clock.h"
#include "assistant/core/config.h"
#include "assistant/core/timers.h"
#include "assistant/core/tool_call_parser.h"
#include "assistant/core/tool_registry.h"
#include "assistant/models/model_store.h"
#include "assistant/speech_output.h"
#include "kernels/error.h"
#include "tts/clause_chunker.h"
#include "tts/voice_factory.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/session.h"
#include "llm/tool_call_grammar.h"

namespace parley::assistant {
namespace {

struct PipeOptions {
  std::string model_path;
  std::string system_prompt;  // "" = the config's llm.system_prompt
  std::string config;
  std::vector<std::string> set;
  bool no_tools = false;
  int32_t max_tokens = 256;
  int threads = 0;
  int32_t context_length = 0;
  bool raw = false;
  bool f32_cache = false;
  std::vector<std::string> stop;
  llm::SamplerConfig sampler;
  bool speak = false;
  std::string voice = "espeak:en-us";
  std::string out;
  bool simulated = false;
};

// Speaks clauses on its own thread, in order, while the model keeps writing.
class ReplyVoice {
 public:
  explicit ReplyVoice(const PipeOptions& options) {
    voice_ = tts::open_voice(options.voice, {});
    output_ = options.out.empty()
                  ? open_device_output("pipe", voice_->sample_rate_hz(), use_simulated_device(options.simulated), "")
                  : open_file_output("pipe", options.out, voice_->sample_rate_hz());
    speaker_ = std::make_unique<Speaker>(*voice_, *output_, false);
    worker_ = std::thread([this] {
      try {
        while (auto clause = clauses_.pop()) speaker_->speak(*clause);
      } catch (const std::exception& e) {
        error_ = e.what();
        clauses_.close();
      }
    });
  }
  ~ReplyVoice() {
    clauses_.close();
    if (worker_.joinable()) worker_.join();
  }
  void piece(std::string_view text) {
    chunker_.push(text, ready_);
    flush_ready();
  }
  void end_of_reply() {
    chunker_.finish(ready_);
    flush_ready();
  }
  // A whole sentence from another thread (a timer's announcement).
  void say(std::string text) { clauses_.push(std::move(text)); }
  // Waits for the last clause and finishes the file or the playback; rethrows a TTS failure.
  std::string finish() {
    clauses_.close();
    worker_.join();
    if (!error_.empty()) throw Error("pipe: speaking failed: " + error_);
    output_->finish();
    return output_->description();
  }
  double audio_seconds() const { return speaker_->audio_seconds(); }

 private:
  void flush_ready() {
    for (std::string& clause : ready_) clauses_.push(std::move(clause));
    ready_.clear();
  }
  std::unique_ptr<tts::Voice> voice_;
  std::unique_ptr<SpeechOutput> output_;
  std::unique_ptr<Speaker> speaker_;
  tts::ClauseChunker chunker_;
  std::vector<std::string> ready_;
  BoundedQueue<std::string> clauses_{64};
  std::string error_;
  std::thread worker_;
};

// The built-in tools on the real clock. Due timers and alarms are announced on stdout (and
// spoken with --speak) by a thread that polls the timer service.
class PipeTools {
 public:
  PipeTools(const AssistantConfig& config, std::mutex& out_mutex, ReplyVoice* voice)
      : volume_(config.voice.volume_percent) {
    timers_ = std::make_unique<TimerService>(clock_, [&out_mutex, voice](const TimerInfo& t) {
      const std::string text = timer_announcement(t);
      {
        std::lock_guard lock(out_mutex);
        std::printf("[timer] %s\n", text.c_str());
        std::fflush(stdout);
      }
      if (voice) voice->say(text);
    });
    registry_ = builtin_tool_registry({.clock = &clock_, .timers = timers_.get(), .volume = &volume_, .on_stop = {}},
                                      config.tools.disabled);
    poller_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stop_) {
        lock.unlock();
        timers_->poll();
        lock.lock();
        wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
      }
    });
  }
  ~PipeTools() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    poller_.join();
  }
  ToolResult call(const std::string& body) { return registry_.call_text(body); }
  size_t pending_timers() const { return timers_->list().size(); }

 private:
  RealClock clock_;
  VolumeControl volume_;
  ToolRegistry registry_;
  std::unique_ptr<TimerService> timers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread poller_;
};

constexpr int kMaxToolRounds = 3;  // follow-up replies after tool results, per turn (as the pipeline)

void run_pipe(const PipeOptions& options) {
  if (!options.speak && (!options.out.empty() || options.simulated))
    throw Error("pipe: --out and --simulated go with --speak");
  const AssistantConfig assistant_config = load_effective_config(options.config, options.set);
  const std::string model_path =
      models::resolve_default_model(models::ModelKind::kLlm, options.model_path, assistant_config.models.llm);
  std::unique_ptr<ReplyVoice> voice;
  if (options.speak) voice = std::make_unique<ReplyVoice>(options);
  auto model = llm::Model::load(model_path);
  kernels::ThreadPool pool(options.threads > 0 ? options.threads : kernels::ThreadPool::default_thread_count());
  llm::SessionConfig session_config;
  session_config.context_length = options.context_length;
  session_config.kv_type = options.f32_cache ? kernels::DType::F32 : kernels::DType::F16;
  llm::Session session(*model, pool, session_config);
  std::mutex out_mutex;  // stdout: the reply stream and timer announcements
  const bool use_tools = !options.raw && !options.no_tools && assistant_config.tools.enabled;
  std::unique_ptr<PipeTools> tools;
  if (use_tools) tools = std::make_unique<PipeTools>(assistant_config, out_mutex, voice.get());
  // Tool calls are decoded under their grammar (tools.constrain_calls), also with --no-tools:
  // the calls printed are then those the assistant would run.
  std::optional<llm::ToolCallConstraint> grammar;
  if (!options.raw) {
    std::vector<llm::ToolCallSpec> specs = local_tool_call_specs(assistant_config);
    if (!specs.empty()) grammar.emplace(model->tokenizer(), std::move(specs));
  }
  llm::ConversationConfig config;
  config.constraint = grammar ? &*grammar : nullptr;
  config.system_prompt = options.raw                       ? ""
                         : !options.system_prompt.empty() ? options.system_prompt
                                                          : assistant_config.llm.system_prompt;
  config.max_tokens = options.max_tokens;
  config.stop = options.stop;
  config.sampler = options.sampler;
  config.use_template = !options.raw;
  llm::Conversation chat(session, config);
  chat.prime();

  if (::isatty(STDIN_FILENO))
    std::fprintf(stderr, "pipe: %s%s; one turn per line, Ctrl-D ends\n", model_path.c_str(),
                 use_tools ? ", tools on" : "");

  ToolCallStreamParser parser;
  std::vector<ToolCallText> calls;
  std::string visible;
  bool round_start = true;     // a reply round's leading spaces (SentencePiece's "▁") are not shown
  bool shown_in_turn = false;  // a follow-up round is separated from what came before by a space
  auto show = [&](std::string_view text) {
    if (round_start && !options.raw) {
      const size_t first = text.find_first_not_of(" \n");
      text = first == std::string_view::npos ? std::string_view() : text.substr(first);
    }
    if (text.empty()) return;
    const bool separate = round_start && shown_in_turn;
    round_start = false;
    shown_in_turn = true;
    {
      std::lock_guard lock(out_mutex);
      if (separate) std::fputc(' ', stdout);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
    if (voice) voice->piece(text);
  };
  auto sink = [&](std::string_view piece) {
    if (!use_tools) return show(piece);
    visible.clear();
    parser.push(piece, visible, calls);
    show(visible);
  };
  auto end_of_round = [&] {
    if (use_tools) {
      visible.clear();
      parser.finish(visible, calls);
      show(visible);
      parser.reset();
    }
    round_start = true;
  };

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    // Keep room for the reply: when the history would not leave max_tokens, start afresh.
    if (!options.raw && chat.history().size() > 1 &&
        session.position() + 2 * options.max_tokens > session.context_length()) {
      chat.clear_history();
      std::fprintf(stderr, "pipe: the context is full; earlier turns forgotten\n");
    }
    calls.clear();
    shown_in_turn = false;
    if (grammar) grammar->set_request(line);  // labels quote the request (x-copy-from-request)
    chat.reply(line, sink);
    end_of_round();
    for (int round = 0; use_tools && !calls.empty() && round < kMaxToolRounds; ++round) {
      std::vector<llm::ChatMessage> results;
      for (const ToolCallText& call : calls) {
        const ToolResult result = tools->call(call.body);
        const size_t first = call.body.find_first_not_of(" \n");
        const size_t last = call.body.find_last_not_of(" \n");
        const std::string body = first == std::string::npos ? "" : call.body.substr(first, last - first + 1);
        std::fprintf(stderr, "tool: %s -> %s\n", body.c_str(), result.to_json().c_str());
        results.push_back(tool_message(result));
      }
      calls.clear();
      chat.respond(results, sink);
      end_of_round();
    }
    if (voice) voice->end_of_reply();
    {
      std::lock_guard lock(out_mutex);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  }
  if (const size_t pending = tools ? tools->pending_timers() : 0; pending > 0)
    std::fprintf(stderr, "pipe: input ended; %zu timer(s) or alarm(s) still pending are dropped\n", pending);
  if (voice) {
    const std::string where = voice->finish();
    std::fprintf(stderr, "pipe: spoke %.2f s of audio to %s\n", voice->audio_seconds(), where.c_str());
  }
}

}  // namespace

void add_pipe_command(CLI::App& app) {
  auto options = std::make_shared<PipeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pipe", "Text conversation with the assistant: one turn per stdin line, replies streamed, tools run");
  cmd->add_option("--llm", options->model_path, "GGUF chat model, path or manifest name (default: the installed default)");
  cmd->add_option("--system", options->system_prompt, "System prompt (default: the config's llm.system_prompt)");
  cmd->add_flag("--no-tools", options->no_tools, "Print tool calls as the model writes them; do not run them");
  cmd->add_option("--config", options->config, "Config file (JSON)");
  cmd->add_option("--set", options->set, "Override a config key: key=value (repeatable)");
  cmd->add_option("-n,--max-tokens", options->max_tokens, "Most tokens per reply")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--temp", options->sampler.temperature, "Sampling temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", options->sampler.top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", options->sampler.top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", options->sampler.min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", options->sampler.repetition_penalty, "Repetition penalty (1 = off)")->capture_default_str();
  cmd->add_option("--seed", options->sampler.seed, "Random seed")->capture_default_str();
  cmd->add_option("--stop", options->stop, "Stop string (repeatable)");
  cmd->add_option("--threads", options->threads, "Threads (default: all cores)");
  cmd->add_option("--ctx", options->context_length, "Context length in tokens (default: model's, at most 4096)");
  cmd->add_flag("--raw", options->raw, "No template, no history: each line is a prompt to continue");
  cmd->add_flag("--f32-cache", options->f32_cache, "Keep the KV cache in f32 instead of f16");
  cmd->add_flag("--speak", options->speak, "Also speak each reply (sound device, or --out FILE)");
  cmd->add_option("--voice", options->voice, "With --speak: espeak:VOICE or a Piper FILE.onnx")->capture_default_str();
  cmd->add_option("--out", options->out, "With --speak: write the spoken replies to .wav/.flac/.ogg/.opus");
  cmd->add_flag("--simulated", options->simulated, "With --speak: play on the simulated device");
  cmd->callback([options] { run_pipe(*options); });
}

}  // namespace parley::assistant
