#include "assistant/core/engines.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>

#include "asr/recognizer.h"
#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/sampler.h"
#include "llm/session.h"
#include "llm/tokenizer.h"
#include "tts/voice_factory.h"

namespace parley::assistant {

// ---- RecognizerEngine -------------------------------------------------------------------------

RecognizerEngine::RecognizerEngine(const std::string& model_dir, int sample_rate_hz, int threads)
    : sample_rate_hz_(sample_rate_hz) {
  asr::RecognizerConfig config;
  config.threads_per_stream = std::max(1, threads);
  config.enable_endpoint = false;  // the pipeline's VAD decides the endpoint
  recognizer_ = std::make_unique<asr::Recognizer>(asr::TransducerModel::load(model_dir), config);
  stream_ = recognizer_->create_stream();
}

RecognizerEngine::~RecognizerEngine() = default;

void RecognizerEngine::accept(std::span<const float> samples) {
  stream_->accept(samples, sample_rate_hz_);
  stream_->decode();
}

std::string RecognizerEngine::partial() { return stream_->partial().text; }

std::string RecognizerEngine::finish_utterance() { return stream_->end_utterance().text; }

// ---- LlmChatEngine ----------------------------------------------------------------------------

LlmChatEngine::LlmChatEngine(const std::string& gguf_path, const LlmEngineOptions& options)
    : options_(options) {
  if (options.max_tokens < 1) throw Error("LlmEngineOptions.max_tokens: must be >= 1");
  model_ = llm::Model::load(gguf_path);
  int threads = options.threads;
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  pool_ = std::make_unique<kernels::ThreadPool>(threads);
  session_ = std::make_unique<llm::Session>(
      *model_, *pool_, llm::SessionConfig{.context_length = options.context_length});
  llm::SamplerConfig sampler;
  sampler.temperature = options.temperature;
  sampler.seed = static_cast<uint64_t>(options.seed);
  sampler_ = std::make_unique<llm::Sampler>(sampler, model_->hparams().n_vocab);
  if (!options.tool_calls.empty()) {
    grammar_ = std::make_unique<llm::ToolCallConstraint>(model_->tokenizer(), options.tool_calls);
    sampler_->set_constraint(grammar_.get());
  }
}

LlmChatEngine::~LlmChatEngine() = default;

void LlmChatEngine::request_cancel() {
  cancel_.store(true, std::memory_order_release);
  session_->request_cancel();
}

std::string LlmChatEngine::generate(const std::vector<llm::ChatMessage>& messages,
                                    const PieceSink& on_piece) {
  cancel_.store(false, std::memory_order_release);
  const llm::Tokenizer& tok = model_->tokenizer();
  std::vector<llm::TokenId> prompt = llm::tokenize_chat(*model_, llm::model_chat_format(*model_), messages);
  if (prompt.empty()) throw Error("llm engine: the rendered prompt is empty");
  // A prompt that cannot fit even alone keeps its last tokens (half the context).
  const auto context = static_cast<size_t>(session_->context_length());
  if (prompt.size() + 1 > context && messages.size() <= 2) {
    const size_t keep = std::max<size_t>(1, context / 2);
    prompt.erase(prompt.begin(), prompt.end() - static_cast<std::ptrdiff_t>(keep));
  }

  // Reuse the cached prefix; always recompute the last prompt token (its logits start the reply).
  const std::vector<llm::TokenId>& cached = session_->tokens();
  size_t common = 0;
  while (common < cached.size() && common + 1 < prompt.size() && cached[common] == prompt[common])
    ++common;
  session_->rewind(static_cast<int32_t>(common));
  int32_t max_tokens = options_.max_tokens;
  int64_t room = static_cast<int64_t>(session_->context_length()) - session_->position() -
                 static_cast<int64_t>(prompt.size() - common);
  if (room < 1) {
    // History too long for the context: keep the system prompt and the last messages.
    std::vector<llm::ChatMessage> shorter;
    if (!messages.empty() && messages.front().role == "system") shorter.push_back(messages.front());
    const size_t keep = std::min<size_t>(messages.size() - shorter.size(), 2);
    shorter.insert(shorter.end(), messages.end() - static_cast<std::ptrdiff_t>(keep),
                   messages.end());
    if (shorter.size() >= messages.size()) {
      // Already the shortest conversation: keep the last half-context of the prompt.
      prompt.erase(prompt.begin(), prompt.end() - static_cast<std::ptrdiff_t>(
                                                      std::max<size_t>(1, context / 2)));
      session_->rewind(0);
      common = 0;
    } else {
      return generate(shorter, on_piece);
    }
  }
  room = static_cast<int64_t>(context) - static_cast<int64_t>(prompt.size());
  if (common == 0 && room < 1) throw Error("llm engine: the prompt does not fit the context");
  room = static_cast<int64_t>(context) - session_->position() -
         static_cast<int64_t>(prompt.size() - common);
  max_tokens = static_cast<int32_t>(std::min<int64_t>(max_tokens, std::max<int64_t>(room, 1)));

  std::span<const float> logits = session_->decode({prompt.data() + common, prompt.size() - common});
  llm::TokenStreamDecoder stream(tok);
  std::string text;
  if (grammar_) {
    grammar_->set_request(llm::last_user_message(messages));
    grammar_->reset();
  }
  for (int32_t i = 0; i < max_tokens; ++i) {
    if (logits.empty() || cancel_.load(std::memory_order_acquire)) break;
    logits_.assign(logits.begin(), logits.end());
    const llm::TokenId token = sampler_->sample(logits_.data());
    if (tok.is_end_of_generation(token)) break;
    sampler_->accept(token);
    const std::string_view piece = stream.push(token);
    text += piece;
    if (!piece.empty() && on_piece && !on_piece(piece)) break;
    if (cancel_.load(std::memory_order_acquire)) break;
    if (i + 1 < max_tokens) logits = session_->decode({&token, 1});
  }
  const std::string_view tail = stream.finish();
  if (!tail.empty() && !cancel_.load(std::memory_order_acquire)) {
    text += tail;
    if (on_piece) on_piece(tail);
  }
  return text;
}

// ---- VoiceEngine ------------------------------------------------------------------------------

VoiceEngine::VoiceEngine(const std::string& spec, int sample_rate_hz)
    : sample_rate_hz_(sample_rate_hz),
      voice_(tts::open_voice(spec, {.output_rate_hz = sample_rate_hz})) {}

VoiceEngine::~VoiceEngine() = default;

bool VoiceEngine::synthesize(std::string_view text, const tts::AudioSink& sink) {
  return voice_->synthesize(text, sink);
}

// ---- ScriptedRecognizer -----------------------------------------------------------------------

ScriptedRecognizer::ScriptedRecognizer(std::vector<std::string> transcripts, int sample_rate_hz,
                                       std::function<void()> on_finish)
    : transcripts_(std::move(transcripts)),
      sample_rate_hz_(sample_rate_hz),
      on_finish_(std::move(on_finish)) {}

void ScriptedRecognizer::accept(std::span<const float> samples) {
  samples_accepted_.fetch_add(static_cast<int64_t>(samples.size()));
  utterance_samples_ += static_cast<int64_t>(samples.size());
}

std::string ScriptedRecognizer::partial() {
  // The words of the scripted transcript in proportion to the audio heard (300 ms a word).
  const int index = next_.load();
  if (index >= static_cast<int>(transcripts_.size())) return "";
  const std::string& text = transcripts_[static_cast<size_t>(index)];
  const int64_t words = utterance_samples_ / (sample_rate_hz_ * 3 / 10);
  size_t end = 0;
  for (int64_t w = 0; w < words && end != std::string::npos; ++w) end = text.find(' ', end + 1);
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string ScriptedRecognizer::finish_utterance() {
  if (on_finish_) on_finish_();
  utterance_samples_ = 0;
  const int index = next_.fetch_add(1);
  if (index >= static_cast<int>(transcripts_.size())) return "";
  return transcripts_[static_cast<size_t>(index)];
}

// ---- ScriptedChat -----------------------------------------------------------------------------

ScriptedChat::ScriptedChat(Script script, std::function<void()> on_token)
    : script_(std::move(script)), on_token_(std::move(on_token)) {}

std::string ScriptedChat::generate(const std::vector<llm::ChatMessage>& messages,
                                   const PieceSink& on_piece) {
  cancel_.store(false);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(messages);
  }
  const std::string reply = script_(messages);
  std::string text;
  size_t at = 0;
  while (at < reply.size()) {
    if (on_token_) on_token_();
    if (cancel_.load()) {
      cancelled_.fetch_add(1);
      break;
    }
    // One piece: leading spaces plus the next word.
    size_t end = at;
    while (end < reply.size() && reply[end] == ' ') ++end;
    while (end < reply.size() && reply[end] != ' ') ++end;
    const std::string_view piece = std::string_view(reply).substr(at, end - at);
    text += piece;
    at = end;
    if (on_piece && !on_piece(piece)) break;
  }
  return text;
}

int ScriptedChat::calls() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(requests_.size());
}

std::vector<std::vector<llm::ChatMessage>> ScriptedChat::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

// ---- ToneSynthesizer --------------------------------------------------------------------------

ToneSynthesizer::ToneSynthesizer(int sample_rate_hz, double ms_per_char, float amplitude)
    : sample_rate_hz_(sample_rate_hz), ms_per_char_(ms_per_char), amplitude_(amplitude) {
  if (sample_rate_hz < 8000) throw Error("ToneSynthesizer: sample_rate_hz must be >= 8000");
}

int64_t ToneSynthesizer::samples_for(std::string_view text) const {
  const int64_t chunk = sample_rate_hz_ / 100;
  const auto total = static_cast<int64_t>(std::llround(static_cast<double>(text.size()) *
                                                       ms_per_char_ * sample_rate_hz_ / 1000.0));
  return std::max(chunk, (total + chunk - 1) / chunk * chunk);
}

bool ToneSynthesizer::synthesize(std::string_view text, const tts::AudioSink& sink) {
  {
    std::lock_guard lock(mutex_);
    spoken_.emplace_back(text);
  }
  const int64_t total = samples_for(text);
  const int64_t chunk = sample_rate_hz_ / 100;
  std::vector<float> buffer(static_cast<size_t>(chunk));
  const double step = 2.0 * std::numbers::pi * 440.0 / sample_rate_hz_;
  for (int64_t start = 0; start < total; start += chunk) {
    for (int64_t i = 0; i < chunk; ++i)
      buffer[static_cast<size_t>(i)] =
          amplitude_ * static_cast<float>(std::sin(step * static_cast<double>(start + i)));
    if (!sink(buffer)) return false;
  }
  return true;
}

std::vector<std::string> ToneSynthesizer::spoken() const {
  std::lock_guard lock(mutex_);
  return spoken_;
}

}  // namespace parley::assistant
