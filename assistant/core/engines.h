// Engines behind the voice pipeline — three small interfaces (ears, brain, voice), each with a
// real adapter to asr/, llm/ or tts/ and a scripted fake, so the orchestration in pipeline.h is
// tested on a simulated clock without any model.
//
//   SpeechRecognizerEngine  utterance audio in (accept), text out (partial, finish_utterance).
//   ChatEngine              the whole message list in, the reply streamed piece by piece;
//                           request_cancel() from any thread stops it within one token.
//   SpeechSynthesizerEngine shaped text in, PCM chunks out through a sink that may cancel.
//
// Contracts
//   * Each engine is driven by one pipeline thread at a time (the ASR, LLM or TTS stage);
//     ChatEngine::request_cancel() is the only member another thread may call.
//   * accept() takes mono samples at sample_rate_hz(); finish_utterance() returns the final text
//     of everything accepted since the last call and readies the engine for the next utterance.
//   * generate(): `on_piece` returns false to stop (the pipeline's own cancel); a cancelled reply
//     returns the text produced so far. A cancel requested before generate() starts is cleared
//     by generate() (the pipeline cancels a reply, not the next one).
//   * The real adapters throw parley::Error naming the model file or folder when it cannot load.
//
// Usage
//   auto asr = std::make_unique<RecognizerEngine>("models/zipformer2/", 16000);
//   auto llm = std::make_unique<LlmChatEngine>("chat.gguf", LlmEngineOptions{.max_tokens = 128});
//   auto tts = std::make_unique<VoiceEngine>("espeak:en-us", 16000);
//   // tests:
//   ScriptedRecognizer ears({"what time is it"});
//   ScriptedChat brain([](const auto& messages) { return std::string("It is seven."); });
//   ToneSynthesizer voice(16000);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"
#include "llm/tool_call_grammar.h"
#include "tts/voice.h"

namespace parley::asr {
class Recognizer;
class Stream;
}  // namespace parley::asr
namespace parley::llm {
class Model;
class Session;
class Sampler;
}  // namespace parley::llm
namespace parley::kernels {
class ThreadPool;
}

namespace parley::assistant {

class SpeechRecognizerEngine {
 public:
  virtual ~SpeechRecognizerEngine() = default;
  virtual int sample_rate_hz() const = 0;
  virtual void accept(std::span<const float> samples) = 0;
  virtual std::string partial() = 0;
  virtual std::string finish_utterance() = 0;
};

class ChatEngine {
 public:
  using PieceSink = std::function<bool(std::string_view piece)>;  // false: stop
  virtual ~ChatEngine() = default;
  virtual std::string generate(const std::vector<llm::ChatMessage>& messages,
                               const PieceSink& on_piece) = 0;
  virtual void request_cancel() = 0;
};

class SpeechSynthesizerEngine {
 public:
  virtual ~SpeechSynthesizerEngine() = default;
  virtual int sample_rate_hz() const = 0;
  // Returns false when `sink` cancelled.
  virtual bool synthesize(std::string_view text, const tts::AudioSink& sink) = 0;
};

// ---- real adapters ----------------------------------------------------------------------------

// asr::Recognizer on one Stream; utterances end with Stream::end_utterance().
class RecognizerEngine final : public SpeechRecognizerEngine {
 public:
  RecognizerEngine(const std::string& model_dir, int sample_rate_hz, int threads = 1);
  ~RecognizerEngine() override;
  int sample_rate_hz() const override { return sample_rate_hz_; }
  void accept(std::span<const float> samples) override;
  std::string partial() override;
  std::string finish_utterance() override;

 private:
  int sample_rate_hz_;
  std::unique_ptr<asr::Recognizer> recognizer_;
  std::unique_ptr<asr::Stream> stream_;
};

struct LlmEngineOptions {
  int max_tokens = 256;
  float temperature = 0.7f;
  int seed = 0;
  int threads = 0;         // 0 = hardware concurrency
  int context_length = 0;  // 0 = the model's, at most 4096
  // Non-empty: tool calls are decoded under their grammar (llm/tool_call_grammar.h).
  std::vector<llm::ToolCallSpec> tool_calls;
};

// A GGUF model on one Session with its KV cache; the longest cached prefix of each rendered
// conversation is reused (the system prompt is computed once).
class LlmChatEngine final : public ChatEngine {
 public:
  LlmChatEngine(const std::string& gguf_path, const LlmEngineOptions& options);
  ~LlmChatEngine() override;
  std::string generate(const std::vector<llm::ChatMessage>& messages,
                       const PieceSink& on_piece) override;
  void request_cancel() override;

 private:
  LlmEngineOptions options_;
  std::unique_ptr<llm::Model> model_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  std::unique_ptr<llm::Session> session_;
  std::unique_ptr<llm::Sampler> sampler_;
  std::unique_ptr<llm::ToolCallConstraint> grammar_;
  std::atomic<bool> cancel_{false};
  std::vector<float> logits_;
};

// tts::open_voice(spec) delivering audio at `sample_rate_hz` (the device's rate).
class VoiceEngine final : public SpeechSynthesizerEngine {
 public:
  VoiceEngine(const std::string& spec, int sample_rate_hz);
  ~VoiceEngine() override;
  int sample_rate_hz() const override { return sample_rate_hz_; }
  bool synthesize(std::string_view text, const tts::AudioSink& sink) override;

 private:
  int sample_rate_hz_;
  std::unique_ptr<tts::Voice> voice_;
};

// ---- scripted fakes (tests, demos without models) ---------------------------------------------

// Returns the scripted transcripts in order, one per utterance ("" once they run out). Counts the
// samples it was given, so tests can check the audio reached it.
class ScriptedRecognizer final : public SpeechRecognizerEngine {
 public:
  // `on_finish` (optional) runs inside finish_utterance() — tests make it wait on the simulated
  // clock to model the recognizer's final decode.
  explicit ScriptedRecognizer(std::vector<std::string> transcripts, int sample_rate_hz = 16000,
                              std::function<void()> on_finish = {});
  int sample_rate_hz() const override { return sample_rate_hz_; }
  void accept(std::span<const float> samples) override;
  std::string partial() override;
  std::string finish_utterance() override;
  int64_t samples_accepted() const { return samples_accepted_.load(); }
  int utterances() const { return next_.load(); }

 private:
  std::vector<std::string> transcripts_;
  int sample_rate_hz_;
  std::function<void()> on_finish_;
  std::atomic<int64_t> samples_accepted_{0};
  int64_t utterance_samples_ = 0;
  std::atomic<int> next_{0};
};

// Replies with script(messages), streamed one word (with its leading space) per piece. `on_token`
// (optional) runs before each piece — tests make it wait on the simulated clock to model decode
// time. Records every message list it was asked about.
class ScriptedChat final : public ChatEngine {
 public:
  using Script = std::function<std::string(const std::vector<llm::ChatMessage>& messages)>;
  explicit ScriptedChat(Script script, std::function<void()> on_token = {});
  std::string generate(const std::vector<llm::ChatMessage>& messages,
                       const PieceSink& on_piece) override;
  void request_cancel() override { cancel_.store(true); }

  int calls() const;
  int cancelled_replies() const { return cancelled_.load(); }
  std::vector<std::vector<llm::ChatMessage>> requests() const;

 private:
  Script script_;
  std::function<void()> on_token_;
  std::atomic<bool> cancel_{false};
  std::atomic<int> cancelled_{0};
  mutable std::mutex mutex_;
  std::vector<std::vector<llm::ChatMessage>> requests_;
};

// A 440 Hz tone of `ms_per_char` per character of text (at least one chunk), delivered in
// 10 ms chunks; records the texts it spoke.
class ToneSynthesizer final : public SpeechSynthesizerEngine {
 public:
  explicit ToneSynthesizer(int sample_rate_hz = 16000, double ms_per_char = 40.0,
                           float amplitude = 0.3f);
  int sample_rate_hz() const override { return sample_rate_hz_; }
  bool synthesize(std::string_view text, const tts::AudioSink& sink) override;
  std::vector<std::string> spoken() const;
  int64_t samples_for(std::string_view text) const;

 private:
  int sample_rate_hz_;
  double ms_per_char_;
  float amplitude_;
  mutable std::mutex mutex_;
  std::vector<std::string> spoken_;
};

}  // namespace parley::assistant
