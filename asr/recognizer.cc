#include "asr/recognizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

constexpr std::string_view kWordStart = "\xe2\x96\x81";  // U+2581 '▁'

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string change_case(std::string_view text, bool upper) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Longest-match cover of `piece` by table symbols; false if some position has no symbol.
bool cover(const TokenTable& tokens, std::string_view piece, std::vector<int64_t>& out) {
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t best_length = 0;
    int64_t best_id = -1;
    const size_t longest = std::min<size_t>(piece.size() - pos, 64);
    for (size_t length = longest; length > 0; --length) {
      if (auto id = tokens.find(piece.substr(pos, length))) {
        best_length = length;
        best_id = *id;
        break;
      }
    }
    if (best_length == 0) return false;
    out.push_back(best_id);
    pos += best_length;
  }
  return true;
}

}  // namespace

void RecognizerConfig::validate() const {
  if (beam < 1 || beam > 64) throw Error("RecognizerConfig.beam: must be in [1, 64]");
  if (!std::isfinite(hotword_bonus) || hotword_bonus < 0) {
    throw Error("RecognizerConfig.hotword_bonus: must be finite and >= 0");
  }
  if (!std::isfinite(tail_padding_seconds) || tail_padding_seconds < 0 ||
      tail_padding_seconds > 10) {
    throw Error("RecognizerConfig.tail_padding_seconds: must be in [0, 10]");
  }
  if (threads_per_stream < 1 || threads_per_stream > 256) {
    throw Error("RecognizerConfig.threads_per_stream: must be in [1, 256]");
  }
  for (size_t i = 0; i < hotwords.size(); ++i) {
    if (trim(hotwords[i].phrase).empty()) {
      throw Error("RecognizerConfig.hotwords[" + std::to_string(i) + "]: empty phrase");
    }
  }
  endpoint.validate();
}

std::vector<Hotword> load_hotwords(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open hotwords file");
  std::vector<Hotword> hotwords;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    Hotword hotword;
    const size_t colon = text.rfind(" :");
    if (colon != std::string::npos) {
      const std::string score = trim(std::string_view(text).substr(colon + 2));
      char* end = nullptr;
      const float value = std::strtof(score.c_str(), &end);
      if (score.empty() || *end != '\0' || !std::isfinite(value) || value < 0) {
        throw Error(path + ":" + std::to_string(line_number) + ": bonus '" + score +
                    "' is not a non-negative number");
      }
      hotword.bonus_per_token = value;
      text = trim(std::string_view(text).substr(0, colon));
    }
    if (text.empty()) throw Error(path + ":" + std::to_string(line_number) + ": empty phrase");
    hotword.phrase = text;
    hotwords.push_back(std::move(hotword));
  }
  return hotwords;
}

std::vector<int64_t> encode_phrase(const TokenTable& tokens, std::string_view phrase) {
  std::vector<int64_t> ids;
  std::istringstream words{std::string(phrase)};
  std::string word;
  while (words >> word) {
    bool done = false;
    for (const std::string& variant : {word, change_case(word, true), change_case(word, false)}) {
      std::vector<int64_t> attempt;
      // "▁word" as one cover, or a lone "▁" followed by the word.
      if (cover(tokens, std::string(kWordStart) + variant, attempt) ||
          (attempt.clear(), tokens.find(kWordStart) &&
                                (attempt.push_back(*tokens.find(kWordStart)),
                                 cover(tokens, variant, attempt)))) {
        ids.insert(ids.end(), attempt.begin(), attempt.end());
        done = true;
        break;
      }
    }
    if (!done) {
      throw Error("hotword '" + std::string(phrase) + "': the word '" + word +
                  "' cannot be spelled with the symbols of " + tokens.source_name());
    }
  }
  if (ids.empty()) throw Error("hotword '" + std::string(phrase) + "': no words");
  return ids;
}

std::vector<RecognizedWord> join_words(const TokenTable& tokens, std::span<const int64_t> ids,
                                       std::span<const double> timestamps_seconds,
                                       double frame_shift_seconds) {
  std::vector<RecognizedWord> words;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string piece = tokens.piece(ids[i]);
    if (piece.empty()) continue;
    const double t = i < timestamps_seconds.size() ? timestamps_seconds[i] : 0.0;
    const bool starts_word = piece[0] == ' ' || words.empty();
    if (starts_word) {
      words.push_back({std::string(), t, t + frame_shift_seconds});
    }
    RecognizedWord& word = words.back();
    word.text += piece[0] == ' ' ? piece.substr(1) : piece;
    word.end_seconds = t + frame_shift_seconds;
  }
  // A lone '▁' token makes an empty word that the next token fills; drop what stays empty.
  std::erase_if(words, [](const RecognizedWord& w) { return w.text.empty(); });
  return words;
}

// ---------------------------------------------------------------------------------------------

Recognizer::Recognizer(std::shared_ptr<const TransducerModel> model, RecognizerConfig config)
    : model_(std::move(model)), config_(std::move(config)) {
  if (!model_) throw Error("Recognizer: no model");
  config_.validate();
  if (config_.method == DecodingMethod::kBeam && !config_.hotwords.empty()) {
    std::vector<ContextPhrase> phrases;
    for (const Hotword& hotword : config_.hotwords) {
      phrases.push_back(
          {encode_phrase(model_->tokens(), hotword.phrase), hotword.bonus_per_token, hotword.phrase});
    }
    context_ = std::make_shared<const ContextGraph>(std::move(phrases), config_.hotword_bonus);
  }
}

std::unique_ptr<Stream> Recognizer::create_stream(kernels::ThreadPool* pool) const {
  return std::unique_ptr<Stream>(new Stream(*this, pool));
}

// ---------------------------------------------------------------------------------------------

namespace {
kernels::ThreadPool& pool_or_own(kernels::ThreadPool* pool,
                                 std::unique_ptr<kernels::ThreadPool>& own, int threads) {
  if (pool) return *pool;
  own = std::make_unique<kernels::ThreadPool>(threads);
  return *own;
}
}  // namespace

Stream::Stream(const Recognizer& recognizer, kernels::ThreadPool* pool)
    : recognizer_(&recognizer),
      session_(recognizer.shared_model(),
               pool_or_own(pool, own_pool_, recognizer.config().threads_per_stream)),
      endpoint_(recognizer.config().endpoint) {
  const TransducerModel& model = recognizer.model();
  if (recognizer.config().method == DecodingMethod::kBeam) {
    search_ = make_modified_beam_search(model, recognizer.config().beam,
                                        recognizer.context_graph());
  } else {
    search_ = make_greedy_search(model);
  }
  chunk_.resize(static_cast<size_t>(model.layout().chunk_frames) * model.layout().feature_dim);
}

Stream::~Stream() = default;

void Stream::accept(std::span<const float> samples, int sample_rate_hz) {
  fbank_.accept_waveform(samples, sample_rate_hz);
  sample_rate_hz_ = sample_rate_hz;
}

void Stream::pad_tail() {
  const int rate = sample_rate_hz_ > 0 ? sample_rate_hz_ : fbank_.config().sample_rate_hz;
  const size_t count = static_cast<size_t>(
      std::lround(recognizer_->config().tail_padding_seconds * static_cast<double>(rate)));
  if (count == 0) return;
  silence_.assign(count, 0.0f);
  fbank_.accept_waveform(silence_, rate);
}

void Stream::input_finished() {
  if (fbank_.is_finished()) return;
  pad_tail();
  fbank_.input_finished();
}

bool Stream::is_ready() const {
  const int64_t chunk = session_.model().layout().chunk_frames;
  return processed_frames_ + chunk < static_cast<int64_t>(fbank_.frames_ready());
}

int Stream::decode() {
  const EncoderLayout& layout = session_.model().layout();
  const double frame_shift = session_.model().frame_shift_seconds();
  const size_t row = static_cast<size_t>(layout.feature_dim);
  int decoded = 0;
  while (is_ready()) {
    for (int i = 0; i < layout.chunk_frames; ++i) {
      std::span<const float> frame = fbank_.frame(static_cast<size_t>(processed_frames_ + i));
      std::copy(frame.begin(), frame.end(), chunk_.begin() + static_cast<size_t>(i) * row);
    }
    std::span<const float> encoder_out = session_.run_encoder(chunk_);
    const int frames = session_.encoder_frames();
    search_->decode(session_, encoder_out, frames);
    processed_frames_ += layout.chunk_shift_frames;
    fbank_.discard_frames_before(static_cast<size_t>(processed_frames_));
    // Endpoint bookkeeping from the best hypothesis' trailing blanks: exact for greedy search;
    // for beam search exact unless the best hypothesis changed to one whose last token lies in an
    // earlier chunk.
    const int trailing = search_->trailing_blank_frames();
    if (trailing < frames) {
      endpoint_.accept_decoder_frames((frames - trailing) * frame_shift, true);
      endpoint_.accept_decoder_frames(trailing * frame_shift, false);
    } else {
      endpoint_.accept_decoder_frames(frames * frame_shift, false);
    }
    ++chunks_decoded_;
    ++decoded;
  }
  return decoded;
}

RecognitionResult Stream::partial() const {
  const TransducerModel& model = session_.model();
  SearchResult best = search_->best();
  RecognitionResult result;
  result.start_seconds = static_cast<double>(utterance_start_frame_) * 0.01;
  result.segment = segment_;
  result.token_ids = std::move(best.tokens);
  result.text = model.tokens().to_text(result.token_ids);
  result.tokens.reserve(result.token_ids.size());
  result.timestamps_seconds.reserve(result.token_ids.size());
  for (size_t i = 0; i < result.token_ids.size(); ++i) {
    result.tokens.push_back(model.tokens().symbol(result.token_ids[i]));
    result.timestamps_seconds.push_back(result.start_seconds +
                                        best.frames[i] * model.frame_shift_seconds());
  }
  result.words = join_words(model.tokens(), result.token_ids, result.timestamps_seconds,
                            model.frame_shift_seconds());
  return result;
}

bool Stream::is_endpoint() const {
  return recognizer_->config().enable_endpoint && endpoint_.is_endpoint();
}

EndpointReason Stream::endpoint_reason() const {
  return recognizer_->config().enable_endpoint ? endpoint_.reason() : EndpointReason::kNone;
}

RecognitionResult Stream::final() {
  decode();
  return partial();
}

void Stream::reset() {
  const bool decoded_something = !search_->best().tokens.empty();
  if (decoded_something) ++segment_;
  search_->start_new_utterance();
  if (recognizer_->config().reset_encoder_on_endpoint && !decoded_something) {
    session_.reset_encoder_state();
  }
  endpoint_.reset();
  utterance_start_frame_ = processed_frames_;
}

RecognitionResult Stream::end_utterance() {
  if (!fbank_.is_finished()) pad_tail();
  RecognitionResult result = final();
  reset();
  return result;
}

void Stream::accept_vad(double seconds, bool is_speech) { endpoint_.accept_vad(seconds, is_speech); }

size_t Stream::memory_bytes() const {
  return session_.memory_bytes() + chunk_.capacity() * sizeof(float);
}

}  // namespace parley::asr
