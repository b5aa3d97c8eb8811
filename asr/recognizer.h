// Recognizer / Stream — the streaming speech recognition engine: one immutable Recognizer (model,
// search settings, hotwords) shared by any number of Streams, each with its own features, encoder
// caches, search state and endpoint detector.
//
// Flow per stream
//   accept(samples, rate) -> Kaldi fbank (fbank.h; other rates resampled through audio/) ->
//   decode(): every ready chunk of T feature frames (advancing decode_chunk_len frames, sherpa-onnx's
//   rule: processed + T < frames ready) goes through the encoder, then the search (search.h) ->
//   partial() at any time; is_endpoint() with sherpa-onnx's three rules and the VAD rule
//   (endpoint.h) fed by the decoder's trailing blanks (and accept_vad()) -> final() -> reset()
//   continues with the next utterance: audio position, encoder caches and the last context_size
//   decoded tokens carry over (sherpa-onnx's Reset), the endpoint detector starts afresh.
//   input_finished() appends tail_padding_seconds of silence and flushes the features, so the
//   last words are decoded; end_utterance() does the same without ending the stream (VAD gating).
//
// Results: text ('▁' word starts become spaces), token ids and symbols, per-token timestamps in
//   seconds from the start of the stream (encoder frame x 40 ms + utterance start), and words
//   with start/end times (a word starts at a token whose piece begins with '▁').
//
// Threads and memory
//   * Recognizer is immutable after construction: share it (and its model) between threads.
//   * A Stream is used by one thread at a time; different Streams may run concurrently on
//     different threads. Each Stream runs its ONNX sessions on its own kernels::ThreadPool
//     (RecognizerConfig::threads_per_stream threads) unless the caller passes a pool to
//     create_stream(); a caller-given pool must not be used by two Streams at the same time.
//   * After the first chunks (warm-up) decode() allocates nothing of its own: feature buffers,
//     encoder caches and search state are reused. onnx::Session::run() itself still allocates its
//     small result vectors on every run (measured by recognizer_test: see AllocationsPerChunk).
//   * Errors: constructing with a bad config or hotword throws parley::Error naming the field or
//     phrase; accept() throws for a changed sample rate or samples after input_finished().
//
// Usage
//   auto model = parley::asr::TransducerModel::load("zipformer2/");
//   parley::asr::Recognizer recognizer(model, {.method = parley::asr::DecodingMethod::kBeam});
//   auto stream = recognizer.create_stream();
//   stream->accept(mic_chunk, 48000);
//   stream->decode();
//   std::cout << stream->partial().text;
//   if (stream->is_endpoint()) { say(stream->final().text); stream->reset(); }
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "asr/context_graph.h"
#include "asr/endpoint.h"
#include "asr/fbank.h"
#include "asr/search.h"
#include "asr/transducer_model.h"
#include "kernels/thread_pool.h"

namespace parley::asr {

enum class DecodingMethod { kGreedy, kBeam };

struct Hotword {
  std::string phrase;  // words as spoken, e.g. "hey parley"
  float bonus_per_token = 0;  // 0 = RecognizerConfig::hotword_bonus
};

struct RecognizerConfig {
  DecodingMethod method = DecodingMethod::kGreedy;
  int beam = 4;                     // hypotheses kept by modified beam search
  std::vector<Hotword> hotwords;    // used by modified beam search only (as sherpa-onnx)
  float hotword_bonus = ContextGraph::kDefaultBonus;  // per token of a hotword
  bool enable_endpoint = true;
  EndpointConfig endpoint;
  float tail_padding_seconds = 0.66f;  // silence appended by input_finished()/end_utterance()
  int threads_per_stream = 1;          // pool size of streams created without a pool
  bool reset_encoder_on_endpoint = false;  // sherpa-onnx's reset_encoder

  void validate() const;  // throws parley::Error "RecognizerConfig.<field>: ..."
};

// Reads a hotwords file: one phrase per line, optionally ending in " :<bonus>" (sherpa-onnx's
// format); blank lines and lines starting with '#' are skipped. Errors name path and line.
std::vector<Hotword> load_hotwords(const std::string& path);

// Token ids of a phrase: each word becomes "▁word" covered by the longest matching symbols of
// the table (tried as written, then upper-case, then lower-case). Throws parley::Error naming the
// phrase when a word cannot be covered.
std::vector<int64_t> encode_phrase(const TokenTable& tokens, std::string_view phrase);

struct RecognizedWord {
  std::string text;
  double start_seconds = 0;
  double end_seconds = 0;  // start of the word's last token + one frame shift
};

struct RecognitionResult {
  std::string text;
  std::vector<int64_t> token_ids;
  std::vector<std::string> tokens;        // symbols, as in tokens.txt
  std::vector<double> timestamps_seconds;  // per token, from the start of the stream
  std::vector<RecognizedWord> words;
  double start_seconds = 0;  // utterance start, from the start of the stream
  int segment = 0;           // utterance index within the stream
};

// Groups decoded tokens into words by their '▁' word starts (see above). timestamps_seconds has
// one entry per id.
std::vector<RecognizedWord> join_words(const TokenTable& tokens, std::span<const int64_t> ids,
                                       std::span<const double> timestamps_seconds,
                                       double frame_shift_seconds);

class Stream;

class Recognizer {
 public:
  // Validates the config and encodes the hotwords (throws parley::Error).
  Recognizer(std::shared_ptr<const TransducerModel> model, RecognizerConfig config = {});

  // A new stream; with `pool` null the stream owns a pool of config.threads_per_stream threads.
  std::unique_ptr<Stream> create_stream(kernels::ThreadPool* pool = nullptr) const;

  const TransducerModel& model() const { return *model_; }
  const std::shared_ptr<const TransducerModel>& shared_model() const { return model_; }
  const RecognizerConfig& config() const { return config_; }
  const std::shared_ptr<const ContextGraph>& context_graph() const { return context_; }

 private:
  std::shared_ptr<const TransducerModel> model_;
  RecognizerConfig config_;
  std::shared_ptr<const ContextGraph> context_;  // null without hotwords or with greedy search
};

class Stream {
 public:
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Samples in [-1, 1] at any rate (fixed per stream). Throws after input_finished().
  void accept(std::span<const float> samples, int sample_rate_hz);
  // End of audio: appends tail padding, computes the last feature frames. Idempotent.
  void input_finished();
  bool is_finished() const { return fbank_.is_finished(); }

  // A chunk of features is ready for decode().
  bool is_ready() const;
  // Decodes every ready chunk; returns how many. Throws parley::Error on an executor failure.
  int decode();

  // The current utterance's best result so far.
  RecognitionResult partial() const;
  bool is_endpoint() const;
  EndpointReason endpoint_reason() const;
  // Decodes what is ready and returns the utterance's result (after input_finished(), the whole
  // remaining audio). Does not start a new utterance: call reset().
  RecognitionResult final();
  // Next utterance (reset-and-continue; see the header comment).
  void reset();
  // Appends tail padding, decodes, returns the utterance's result and calls reset(): ends an
  // utterance without ending the stream (a VAD segment ended).
  RecognitionResult end_utterance();
  // Feeds the endpoint detector's VAD rule.
  void accept_vad(double seconds, bool is_speech);

  // Statistics.
  int64_t chunks_decoded() const { return chunks_decoded_; }
  double audio_seconds() const { return static_cast<double>(feature_frames_seen()) * 0.01; }
  size_t memory_bytes() const;  // sessions' arenas + caches + search state
  const Recognizer& recognizer() const { return *recognizer_; }

 private:
  friend class Recognizer;
  Stream(const Recognizer& recognizer, kernels::ThreadPool* pool);
  int64_t feature_frames_seen() const { return static_cast<int64_t>(fbank_.frames_ready()); }
  void pad_tail();

  const Recognizer* recognizer_;
  std::unique_ptr<kernels::ThreadPool> own_pool_;
  TransducerSession session_;
  std::unique_ptr<TransducerSearch> search_;
  OnlineFbank fbank_;
  EndpointDetector endpoint_;
  std::vector<float> chunk_;      // chunk_frames x feature_dim
  std::vector<float> silence_;    // tail padding samples at the stream's rate
  int sample_rate_hz_ = 0;
  int64_t processed_frames_ = 0;       // feature frames consumed (absolute)
  int64_t utterance_start_frame_ = 0;  // feature frame where the current utterance began
  int segment_ = 0;
  int64_t chunks_decoded_ = 0;
};

}  // namespace parley::asr
