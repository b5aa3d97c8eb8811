// PiperVoice — a Piper VITS voice (`voice.onnx` + `voice.onnx.json`) run on kernels/onnx.
//
// What synthesize() does, as Piper's own synthesizer (rhasspy/piper textToAudio) does:
//   * The text is phonemized into Piper's sentences (Phonemizer::phonemize: espeak-ng clauses,
//     terminators kept, a new sentence after '.', '?', '!'). Each sentence becomes its own id
//     sequence (phoneme_ids: ^ _ p _ p _ ... $) and its own model run, so the first sentence's
//     audio reaches the sink as soon as that one run ends — the rest of the reply has not been
//     synthesized yet. After every sentence but the last, sentence_silence_seconds of zeros
//     follow (Piper's --sentence_silence; the voice config's value unless overridden).
//   * Segmentation::kOneUtterance instead runs the whole text as ONE sequence
//     (Phonemizer::phonemize_as_one_utterance: clause breaks inside become ", "), the layout of
//     the shared golden ids; one model run, no sentence silence.
//   * Model inputs: `input` int64 [1, N] ids, `input_lengths` int64 [1] = N, `scales` float [3] =
//     (noise_scale, length_scale, noise_w), and `sid` int64 [1] when the graph declares it
//     (multi-speaker voices). Output `output` float [1, 1, 1, samples] (any shape whose element
//     count is the sample count) at the config's sample rate.
//   * normalize_volume (default, as Piper) scales each sentence so its peak is 1.0 (a peak under
//     0.01 is treated as 0.01, so near-silence is not amplified), then clips to [-1, 1]. With it
//     off the samples are the model's output unchanged (what the ONNX Runtime golden holds).
//   * Decoder streaming (first_chunk_frames > 0, the default): the first sentence of every
//     synthesize() call is decoded in pieces. The graph is run in two stages (onnx::Session::
//     run_part, cut at the decoder's input, the input of node "/dec/conv_pre/Conv" in every
//     Piper VITS export): text encoder, durations and flow give the sentence's latent frames;
//     the HiFi-GAN decoder then turns the first first_chunk_frames of them (plus
//     chunk_context_frames on each side, so every sample it keeps sees what it would see in one
//     run) into the first piece of audio, and the rest in pieces that grow fourfold. The
//     samples equal one run's (to float rounding: the tests hold them within 1e-6), but the
//     first audio comes after a fraction of the decoder, most of a sentence's time. The other
//     sentences run whole: while the first plays, the next is made. A graph without that node
//     runs whole. With normalize_volume, a streamed sentence is scaled by the peak heard so far
//     (its level can only step down, where a later piece is louder than all before it) instead
//     of the whole sentence's peak.
//   * A phoneme the voice's map lacks is skipped (never an error) and reported with ONE
//     spdlog warning per synthesize() call that names each newly missing phoneme and its count;
//     a phoneme already reported by this voice is not reported again. missing_phonemes() keeps
//     the totals.
//   * Empty or unspeakable text delivers no audio and returns true.
//
// Errors: the constructor throws parley::Error for a missing or malformed config ("voice.onnx:
// voice config voice.onnx.json not found ..."), a model that is not a Piper graph (names the
// missing input), an unknown speaker, or invalid scales (names the field). synthesize() throws
// parley::Error only if the model itself fails (an op error). The sink gets each sentence's
// samples in one call (the first sentence, streamed, in one call per piece), then (between
// sentences) the silence in another.
//
// Threads: the Model is immutable and may be shared by several PiperVoices (one per thread);
// one PiperVoice runs one synthesize() at a time (it owns an onnx::Session). The thread pool is
// passed in (or, when null, the voice owns one of `thread_count` threads).
//
// Usage
//   parley::tts::PiperVoice voice({.model_path = "en_US-lessac-medium.onnx",
//                                  .length_scale = 1.1f, .speaker = "p239"});
//   voice.synthesize("Timer set. It rings at seven.", [&](std::span<const float> pcm) {
//     return playback_ring.try_write(pcm) == pcm.size();       // first sentence arrives first
//   });
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/onnx/value.h"
#include "tts/phonemizer.h"
#include "tts/voice.h"
#include "tts/voice_config.h"

namespace parley::kernels {
class ThreadPool;
}
namespace parley::onnx {
class Model;
class Session;
}  // namespace parley::onnx

namespace parley::tts {

struct PiperVoiceOptions {
  std::string model_path = {};   // voice.onnx
  std::string config_path = {};  // "" = model_path + ".json"
  // Inference scales; unset = the voice config's (inference.*), else Piper's defaults.
  std::optional<float> noise_scale = {};   // >= 0, < 10
  std::optional<float> length_scale = {};  // > 0, < 10 (larger = slower speech)
  std::optional<float> noise_w = {};       // >= 0, < 10
  std::optional<float> sentence_silence_seconds = {};  // >= 0, <= 10
  // Speaker name from speaker_id_map, or a decimal id; "" = speaker 0.
  std::string speaker = {};
  enum class Segmentation { kSentences, kOneUtterance };
  Segmentation segmentation = Segmentation::kSentences;
  bool normalize_volume = true;
  // Decoder streaming (see above): latent frames in the first piece (0: off) — 32 frames are
  // 0.37 s of audio at 22,050 Hz with Piper's hop of 256 samples — and frames of context on each
  // side of a piece (the HiFi-GAN of Piper's medium voices sees 10 frames each way).
  int first_chunk_frames = 32;
  int chunk_context_frames = 12;
  int thread_count = 1;  // used only when no pool is passed in

  // Throws parley::Error naming the first invalid field.
  void validate() const;
};

class PiperVoice final : public Voice {
 public:
  // Loads model and config; see the error contract above. `pool` (optional) must outlive the
  // voice.
  explicit PiperVoice(PiperVoiceOptions options, kernels::ThreadPool* pool = nullptr);
  // Shares an already loaded model (several voices on one model, e.g. one per thread).
  PiperVoice(std::shared_ptr<const onnx::Model> model, VoiceConfig config,
             PiperVoiceOptions options, kernels::ThreadPool* pool = nullptr);
  ~PiperVoice() override;
  PiperVoice(const PiperVoice&) = delete;
  PiperVoice& operator=(const PiperVoice&) = delete;

  int sample_rate_hz() const override { return config_.sample_rate_hz; }
  bool synthesize(std::string_view text, const AudioSink& sink) override;

  // The id sequences synthesize() would run for `text`, one per model run, in order.
  std::vector<std::vector<int64_t>> sentence_ids(std::string_view text) const;
  // One model run on ready ids: the samples (normalized if the options say so) appended to
  // `samples`. Throws parley::Error for an empty id list or a model error.
  void synthesize_ids(std::span<const int64_t> ids, std::vector<float>& samples);

  const VoiceConfig& config() const { return config_; }
  const PiperVoiceOptions& options() const { return options_; }
  float noise_scale() const { return scales_[0]; }
  float length_scale() const { return scales_[1]; }
  float noise_w() const { return scales_[2]; }
  float sentence_silence_seconds() const { return sentence_silence_seconds_; }
  int speaker_id() const { return speaker_id_; }
  bool has_speaker_input() const { return has_sid_input_; }
  const std::shared_ptr<const onnx::Model>& model() const { return model_; }
  // Phonemes the map lacked, with counts, over this voice's lifetime.
  const std::map<char32_t, int>& missing_phonemes() const { return missing_total_; }

 private:
  void initialize(kernels::ThreadPool* pool);
  std::vector<std::vector<int64_t>> collect_ids(std::string_view text,
                                                std::map<char32_t, int>* missing) const;
  void warn_missing(const std::map<char32_t, int>& missing);
  std::vector<std::pair<std::string, onnx::Value>> feeds_for(std::span<const int64_t> ids);
  // The first sentence, decoded in pieces (decoder streaming); false when the sink refused one.
  bool synthesize_streamed(std::span<const int64_t> ids, const AudioSink& sink);

  PiperVoiceOptions options_;
  VoiceConfig config_;
  std::shared_ptr<const onnx::Model> model_;
  std::unique_ptr<kernels::ThreadPool> owned_pool_;
  std::unique_ptr<onnx::Session> session_;
  std::unique_ptr<Phonemizer> phonemizer_;
  float scales_[3] = {0.667f, 1.0f, 0.8f};
  float sentence_silence_seconds_ = 0.2f;
  int speaker_id_ = 0;
  bool has_sid_input_ = false;
  std::map<char32_t, int> missing_total_;
  std::vector<float> sentence_samples_;  // reused per sentence
  std::string decoder_input_;            // the latent the decoder reads; "" = no streaming
  std::vector<float> latent_;            // decoder streaming: the sentence's latent [C, T]
  std::vector<float> piece_;             // decoder streaming: one piece's latent [C, frames]
  int64_t id_feed_[2] = {0, 0};          // input_lengths and sid of the current run
  std::vector<float> silence_;           // sentence silence, built once
};

// The config path Piper uses for a model: "voice.onnx" -> "voice.onnx.json".
std::string default_piper_config_path(const std::string& model_path);

}  // namespace parley::tts
