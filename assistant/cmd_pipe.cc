// parley pipe: text conversation on stdin/stdout — one user turn per line, replies streamed.
// With --speak the replies are also spoken: the token stream goes through the clause chunker
// and each clause is synthesized on a TTS thread while the model goes on writing, to the sound
// device (or --simulated) or into --out FILE (.wav/.flac/.ogg/.opus).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "assistant/commands.h"
#include "assistant/core/bounded_queue.h"
#include "assistant/speech_output.h"
#include "kernels/error.h"
#include "tts/clause_chunker.h"
#include "tts/voice_factory.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/session.h"

namespace parley::assistant {
namespace {

struct PipeOptions {
  std::string model_path;
  std::string system_prompt;
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

void run_pipe(const PipeOptions& options) {
  if (!options.speak && (!options.out.empty() || options.simulated))
    throw Error("pipe: --out and --simulated go with --speak");
  std::unique_ptr<ReplyVoice> voice;
  if (options.speak) voice = std::make_unique<ReplyVoice>(options);
  auto model = llm::Model::load(options.model_path);
  kernels::ThreadPool pool(options.threads > 0 ? options.threads : kernels::ThreadPool::default_thread_count());
  llm::SessionConfig session_config;
  session_config.context_length = options.context_length;
  session_config.kv_type = options.f32_cache ? kernels::DType::F32 : kernels::DType::F16;
  llm::Session session(*model, pool, session_config);
  llm::ConversationConfig config;
  config.system_prompt = options.system_prompt;
  config.max_tokens = options.max_tokens;
  config.stop = options.stop;
  config.sampler = options.sampler;
  config.use_template = !options.raw;
  llm::Conversation chat(session, config);
  chat.prime();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    chat.reply(line, [&](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      if (voice) voice->piece(piece);
    });
    if (voice) voice->end_of_reply();
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  if (voice) {
    const std::string where = voice->finish();
    std::fprintf(stderr, "pipe: spoke %.2f s of audio to %s\n", voice->audio_seconds(), where.c_str());
  }
}

}  // namespace

void add_pipe_command(CLI::App& app) {
  auto options = std::make_shared<PipeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pipe", "Text conversation: one user turn per stdin line, each reply streamed to stdout");
  cmd->add_option("--llm", options->model_path, "GGUF language model")->required()->check(CLI::ExistingFile);
  cmd->add_option("--system", options->system_prompt, "System prompt");
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
