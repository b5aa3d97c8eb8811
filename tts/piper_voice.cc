#include "tts/piper_voice.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"
#include "kernels/thread_pool.h"
#include "tts/utf8.h"

namespace parley::tts {
namespace {

void check_scale(const std::optional<float>& value, const char* field, bool allow_zero) {
  if (!value) return;
  const float v = *value;
  const bool ok = std::isfinite(v) && (allow_zero ? v >= 0.0f : v > 0.0f) && v < 10.0f;
  if (!ok) {
    throw Error("piper voice options: " + std::string(field) + " = " + std::to_string(v) +
                (allow_zero ? " outside [0, 10)" : " outside (0, 10)"));
  }
}

const onnx::ValueInfo* find_input(const onnx::Model& model, std::string_view name) {
  for (const onnx::ValueInfo& input : model.inputs()) {
    if (input.name == name) return &input;
  }
  return nullptr;
}

// A read-only feed viewed as an onnx::Value (Session::run never writes its feeds).
template <typename T>
onnx::Value feed_view(const T* data, onnx::Shape shape) {
  return onnx::Value{onnx::ElemTypeOf<T>::value, shape, const_cast<T*>(data)};
}

std::string describe_phoneme(char32_t phoneme) {
  char code[16];
  std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(phoneme));
  std::string text = "\"";
  utf8_append(phoneme, text);
  text.append("\" (").append(code).append(")");
  return text;
}

}  // namespace

void PiperVoiceOptions::validate() const {
  if (model_path.empty()) throw Error("piper voice options: model_path is empty");
  check_scale(noise_scale, "noise_scale", /*allow_zero=*/true);
  check_scale(length_scale, "length_scale", /*allow_zero=*/false);
  check_scale(noise_w, "noise_w", /*allow_zero=*/true);
  if (sentence_silence_seconds &&
      !(*sentence_silence_seconds >= 0.0f && *sentence_silence_seconds <= 10.0f)) {
    throw Error("piper voice options: sentence_silence_seconds = " +
                std::to_string(*sentence_silence_seconds) + " outside [0, 10]");
  }
  if (thread_count < 1 || thread_count > 256) {
    throw Error("piper voice options: thread_count = " + std::to_string(thread_count) +
                " outside [1, 256]");
  }
  if (first_chunk_frames < 0 || first_chunk_frames > 100000) {
    throw Error("piper voice options: first_chunk_frames = " + std::to_string(first_chunk_frames) +
                " outside [0, 100000]");
  }
  if (chunk_context_frames < 0 || chunk_context_frames > 1000) {
    throw Error("piper voice options: chunk_context_frames = " + std::to_string(chunk_context_frames) +
                " outside [0, 1000]");
  }
}

std::string default_piper_config_path(const std::string& model_path) {
  return model_path + ".json";
}

PiperVoice::PiperVoice(PiperVoiceOptions options, kernels::ThreadPool* pool)
    : options_(std::move(options)) {
  options_.validate();
  if (!std::filesystem::is_regular_file(options_.model_path)) {
    throw Error(options_.model_path + ": Piper voice model not found");
  }
  const std::string config_path = options_.config_path.empty()
                                      ? default_piper_config_path(options_.model_path)
                                      : options_.config_path;
  if (!std::filesystem::is_regular_file(config_path)) {
    throw Error(options_.model_path + ": voice config " + config_path +
                " not found (a Piper voice is voice.onnx plus voice.onnx.json; give the config "
                "path explicitly if it lives elsewhere)");
  }
  config_ = load_voice_config(config_path);
  model_ = onnx::Model::load(options_.model_path);
  initialize(pool);
}

PiperVoice::PiperVoice(std::shared_ptr<const onnx::Model> model, VoiceConfig config,
                       PiperVoiceOptions options, kernels::ThreadPool* pool)
    : options_(std::move(options)), config_(std::move(config)), model_(std::move(model)) {
  if (options_.model_path.empty() && model_ != nullptr) options_.model_path = model_->path();
  options_.validate();
  if (model_ == nullptr) throw Error("piper voice: null model");
  initialize(pool);
}

PiperVoice::~PiperVoice() = default;

void PiperVoice::initialize(kernels::ThreadPool* pool) {
  const std::string& name = options_.model_path;
  if (config_.phoneme_type != "espeak") {
    throw Error(config_.source_name + ": phoneme_type '" + config_.phoneme_type +
                "' is not supported (only espeak phonemes)");
  }
  for (const char* required : {"input", "input_lengths", "scales"}) {
    if (find_input(*model_, required) == nullptr) {
      throw Error(name + ": not a Piper VITS graph (no input '" + std::string(required) + "')");
    }
  }
  bool has_output = false;
  for (const onnx::ValueInfo& output : model_->outputs()) has_output |= output.name == "output";
  if (!has_output) throw Error(name + ": not a Piper VITS graph (no output 'output')");
  has_sid_input_ = find_input(*model_, "sid") != nullptr;
  if (config_.num_speakers > 1 && !has_sid_input_) {
    throw Error(name + ": " + config_.source_name + " says num_speakers = " +
                std::to_string(config_.num_speakers) + " but the graph has no 'sid' input");
  }
  if (!options_.speaker.empty()) {
    if (!has_sid_input_ || config_.num_speakers <= 1) {
      throw Error(name + ": speaker '" + options_.speaker +
                  "' given, but this voice has a single speaker");
    }
    speaker_id_ = config_.speaker_id(options_.speaker);
  }

  scales_[0] = options_.noise_scale.value_or(config_.noise_scale);
  scales_[1] = options_.length_scale.value_or(config_.length_scale);
  scales_[2] = options_.noise_w.value_or(config_.noise_w);
  sentence_silence_seconds_ =
      options_.sentence_silence_seconds.value_or(config_.sentence_silence_seconds);
  silence_.assign(
      static_cast<size_t>(std::lround(sentence_silence_seconds_ * config_.sample_rate_hz)), 0.0f);

  if (pool == nullptr) {
    owned_pool_ = std::make_unique<kernels::ThreadPool>(options_.thread_count);
    pool = owned_pool_.get();
  }
  session_ = std::make_unique<onnx::Session>(model_, *pool);
  phonemizer_ = std::make_unique<Phonemizer>(config_.espeak_voice);
  // Piper's exports name the decoder's first convolution after the module (VITS `dec`).
  if (options_.first_chunk_frames > 0) decoder_input_ = model_->node_input_name("/dec/conv_pre/Conv", 0);
  if (!decoder_input_.empty()) {
    // The decoder must run from its latent (and the speaker) alone; else whole sentences.
    std::vector<std::string> decoder_feeds{decoder_input_};
    if (has_sid_input_) decoder_feeds.emplace_back("sid");
    try {
      session_->prepare_part(decoder_feeds, {"output"});
    } catch (const Error& e) {
      spdlog::warn("{}: the decoder does not run apart from the rest of the graph ({}); "
                   "every sentence runs whole", name, e.what());
      decoder_input_.clear();
    }
  }
}

std::vector<std::vector<int64_t>> PiperVoice::sentence_ids(std::string_view text) const {
  return collect_ids(text, nullptr);
}

std::vector<std::vector<int64_t>> PiperVoice::collect_ids(std::string_view text,
                                                          std::map<char32_t, int>* missing) const {
  std::vector<std::vector<int64_t>> all;
  if (options_.segmentation == PiperVoiceOptions::Segmentation::kOneUtterance) {
    const std::u32string phonemes = phonemizer_->phonemize_as_one_utterance(text);
    if (!phonemes.empty()) all.push_back(phoneme_ids(phonemes, config_, missing));
    return all;
  }
  for (const std::u32string& sentence : phonemizer_->phonemize(text)) {
    if (sentence.empty()) continue;  // Piper skips empty sentences too
    all.push_back(phoneme_ids(sentence, config_, missing));
  }
  return all;
}

std::vector<std::pair<std::string, onnx::Value>> PiperVoice::feeds_for(std::span<const int64_t> ids) {
  if (ids.empty()) throw Error(options_.model_path + ": no phoneme ids to synthesize");
  const int64_t id_count = static_cast<int64_t>(ids.size());
  id_feed_[0] = id_count;
  id_feed_[1] = speaker_id_;
  std::vector<std::pair<std::string, onnx::Value>> feeds;
  feeds.reserve(4);
  feeds.emplace_back("input", feed_view(ids.data(), onnx::Shape{1, id_count}));
  feeds.emplace_back("input_lengths", feed_view(&id_feed_[0], onnx::Shape{1}));
  feeds.emplace_back("scales", feed_view(scales_, onnx::Shape{3}));
  if (has_sid_input_) feeds.emplace_back("sid", feed_view(&id_feed_[1], onnx::Shape{1}));
  return feeds;
}

void PiperVoice::synthesize_ids(std::span<const int64_t> ids, std::vector<float>& samples) {
  const std::vector<onnx::Value> outputs = session_->run(feeds_for(ids), {"output"});
  const onnx::Value& audio = outputs.at(0);
  if (audio.type != onnx::ElemType::kFloat) {
    throw Error(options_.model_path + ": output is " + audio.describe() + ", expected float");
  }
  const float* pcm = audio.data<float>();
  const size_t count = static_cast<size_t>(audio.element_count());
  const size_t start = samples.size();
  samples.insert(samples.end(), pcm, pcm + count);
  if (!options_.normalize_volume) return;
  // Piper's scaling: the sentence's peak to full scale, never amplifying by more than 100x.
  float peak = 0.01f;
  for (size_t i = start; i < samples.size(); ++i) peak = std::max(peak, std::fabs(samples[i]));
  const float gain = 1.0f / peak;
  for (size_t i = start; i < samples.size(); ++i) {
    samples[i] = std::clamp(samples[i] * gain, -1.0f, 1.0f);
  }
}

void PiperVoice::warn_missing(const std::map<char32_t, int>& missing) {
  std::string report;
  for (const auto& [phoneme, count] : missing) {
    const bool first_time = missing_total_.find(phoneme) == missing_total_.end();
    missing_total_[phoneme] += count;
    if (!first_time) continue;
    if (!report.empty()) report += ", ";
    report += describe_phoneme(phoneme) + " x" + std::to_string(count);
  }
  if (!report.empty()) {
    spdlog::warn("{}: phonemes missing from phoneme_id_map, skipped: {}", config_.source_name,
                 report);
  }
}

bool PiperVoice::synthesize_streamed(std::span<const int64_t> ids, const AudioSink& sink) {
  std::vector<std::pair<std::string, onnx::Value>> feeds = feeds_for(ids);
  const onnx::Value z = session_->run_part(feeds, {decoder_input_}).at(0);
  if (z.type != onnx::ElemType::kFloat || z.shape.rank() != 3 || z.shape[0] != 1) {
    throw Error(options_.model_path + ": decoder input '" + decoder_input_ + "' is " + z.describe() +
                ", expected float [1, channels, frames]");
  }
  const int64_t channels = z.shape[1];
  const int64_t frames = z.shape[2];
  latent_.assign(z.data<float>(), z.data<float>() + z.element_count());  // z dies at the next run
  // The decoder's feeds: the latent piece (and the speaker, which conditions it).
  std::vector<std::pair<std::string, onnx::Value>> decoder_feeds(1);
  if (has_sid_input_) decoder_feeds.push_back(feeds.back());
  const int64_t context = options_.chunk_context_frames;
  float peak = 0.01f;
  int64_t begin = 0;
  int64_t size = options_.first_chunk_frames;
  while (begin < frames) {
    int64_t end = std::min(frames, begin + size);
    // A remainder shorter than this piece joins it — except after the first piece, whose size
    // is the latency, unless what is left is within the context (a second run would cost more).
    if (frames - end < (begin == 0 ? context : size)) end = frames;
    const int64_t lo = std::max<int64_t>(0, begin - context);
    const int64_t hi = std::min(frames, end + context);
    piece_.resize(static_cast<size_t>(channels * (hi - lo)));
    for (int64_t c = 0; c < channels; ++c) {
      std::copy(latent_.begin() + c * frames + lo, latent_.begin() + c * frames + hi,
                piece_.begin() + c * (hi - lo));
    }
    decoder_feeds[0] = {decoder_input_, feed_view(piece_.data(), onnx::Shape{1, channels, hi - lo})};
    const onnx::Value audio = session_->run_part(decoder_feeds, {"output"}).at(0);
    const auto count = audio.element_count();
    if (audio.type != onnx::ElemType::kFloat || count % (hi - lo) != 0) {
      throw Error(options_.model_path + ": decoder output is " + audio.describe() + " for " +
                  std::to_string(hi - lo) + " latent frames, expected float, a whole number of samples per frame");
    }
    const int64_t hop = count / (hi - lo);
    const float* pcm = audio.data<float>();
    sentence_samples_.assign(pcm + (begin - lo) * hop, pcm + (end - lo) * hop);
    if (options_.normalize_volume) {
      for (float v : sentence_samples_) peak = std::max(peak, std::fabs(v));
      const float gain = 1.0f / peak;
      for (float& v : sentence_samples_) v = std::clamp(v * gain, -1.0f, 1.0f);
    }
    if (!sentence_samples_.empty() && !sink(sentence_samples_)) return false;
    begin = end;
    size *= 4;
  }
  return true;
}

bool PiperVoice::synthesize(std::string_view text, const AudioSink& sink) {
  std::map<char32_t, int> missing;
  const std::vector<std::vector<int64_t>> sentences = collect_ids(text, &missing);
  warn_missing(missing);
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (i == 0 && !decoder_input_.empty()) {
      if (!synthesize_streamed(sentences[i], sink)) return false;
    } else {
      sentence_samples_.clear();
      synthesize_ids(sentences[i], sentence_samples_);
      if (!sentence_samples_.empty() && !sink(sentence_samples_)) return false;
    }
    if (i + 1 < sentences.size() && !silence_.empty() && !sink(silence_)) return false;
  }
  return true;
}

}  // namespace parley::tts
