#include "tts/phonemizer.h"

#include <espeak-ng/speak_lib.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "kernels/error.h"
#include "tts/espeak_library.h"
#include "tts/utf8.h"

namespace parley::tts {
namespace {

// espeak_TextToPhonemes: bit 1 of phonememode selects IPA output (UTF-8).
constexpr int kEspeakIpaPhonemes = 0x02;

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == 0xA0;
}

bool is_closing_mark(char32_t c) {
  return c == U'"' || c == U'\'' || c == U')' || c == U']' || c == U'}' || c == 0x201D ||
         c == 0x2019 || c == 0xBB;
}

// Terminator of the clause espeak consumed. espeak advances its pointer one character into the
// next clause (or to the end), so drop that partial word, then trailing spaces and closing marks.
ClauseTerminator terminator_of(std::string_view consumed, bool at_end) {
  std::u32string text = utf8_decode(consumed);
  if (!at_end) {
    while (!text.empty() && !is_space(text.back())) text.pop_back();
  }
  while (!text.empty() && (is_space(text.back()) || is_closing_mark(text.back()))) text.pop_back();
  if (text.empty()) return ClauseTerminator::kNone;
  switch (text.back()) {
    case U'.':
    case 0x2026:  // …
      return ClauseTerminator::kPeriod;
    case U'?':
      return ClauseTerminator::kQuestion;
    case U'!':
      return ClauseTerminator::kExclamation;
    case U',':
      return ClauseTerminator::kComma;
    case U':':
      return ClauseTerminator::kColon;
    case U';':
      return ClauseTerminator::kSemicolon;
    default:
      return ClauseTerminator::kNone;
  }
}

bool ends_sentence(ClauseTerminator terminator) {
  return terminator == ClauseTerminator::kPeriod || terminator == ClauseTerminator::kQuestion ||
         terminator == ClauseTerminator::kExclamation;
}

// Drops espeak's language-switch marks "(fr)" ... "(en)".
std::string strip_language_switches(std::string_view ipa) {
  std::string out;
  out.reserve(ipa.size());
  for (size_t i = 0; i < ipa.size(); ++i) {
    if (ipa[i] == '(') {
      const size_t close = ipa.find(')', i);
      if (close != std::string_view::npos) {
        i = close;
        continue;
      }
    }
    out.push_back(ipa[i]);
  }
  return out;
}

std::u32string to_nfd(std::u32string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw Error("phonemizer: ICU NFD normalizer unavailable");
  const icu::UnicodeString source = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(text.data()), static_cast<int32_t>(text.size()));
  const icu::UnicodeString normalized = nfd->normalize(source, status);
  if (U_FAILURE(status)) throw Error("phonemizer: NFD normalization failed");
  std::u32string out(static_cast<size_t>(normalized.countChar32()), U'\0');
  UErrorCode convert_status = U_ZERO_ERROR;
  const int32_t length = normalized.toUTF32(reinterpret_cast<UChar32*>(out.data()),
                                            static_cast<int32_t>(out.size()), convert_status);
  out.resize(static_cast<size_t>(length));
  return out;
}

}  // namespace

std::u32string_view terminator_phonemes(ClauseTerminator terminator) {
  switch (terminator) {
    case ClauseTerminator::kNone:
      return U"";
    case ClauseTerminator::kPeriod:
      return U".";
    case ClauseTerminator::kQuestion:
      return U"?";
    case ClauseTerminator::kExclamation:
      return U"!";
    case ClauseTerminator::kComma:
      return U", ";
    case ClauseTerminator::kColon:
      return U": ";
    case ClauseTerminator::kSemicolon:
      return U"; ";
  }
  return U"";
}

Phonemizer::Phonemizer(std::string espeak_voice) : espeak_voice_(std::move(espeak_voice)) {
  EspeakSession session;
  session.select_voice(espeak_voice_);  // fail early for an unknown voice
}

std::vector<PhonemeClause> Phonemizer::phonemize_clauses(std::string_view text) const {
  // espeak needs a NUL-terminated string; it reads up to the terminator.
  const std::string input(text);
  std::vector<PhonemeClause> clauses;
  EspeakSession session;
  session.select_voice(espeak_voice_);
  const void* position = input.c_str();
  while (position != nullptr) {
    const char* clause_start = static_cast<const char*>(position);
    const char* ipa = espeak_TextToPhonemes(&position, espeakCHARS_UTF8, kEspeakIpaPhonemes);
    const bool at_end = position == nullptr;
    const char* clause_end =
        at_end ? input.c_str() + input.size() : static_cast<const char*>(position);
    PhonemeClause clause;
    clause.terminator =
        terminator_of(std::string_view(clause_start, clause_end - clause_start), at_end);
    clause.ends_sentence = at_end || ends_sentence(clause.terminator);
    clause.phonemes = to_nfd(utf8_decode(strip_language_switches(ipa != nullptr ? ipa : "")));
    if (clause.phonemes.empty() && clause.terminator == ClauseTerminator::kNone) {
      if (clause.ends_sentence && !clauses.empty()) clauses.back().ends_sentence = true;
      continue;  // nothing speakable (e.g. trailing whitespace)
    }
    clauses.push_back(std::move(clause));
  }
  return clauses;
}

std::vector<std::u32string> Phonemizer::phonemize(std::string_view text) const {
  std::vector<std::u32string> sentences;
  std::u32string sentence;
  for (const PhonemeClause& clause : phonemize_clauses(text)) {
    sentence += clause.phonemes;
    sentence += terminator_phonemes(clause.terminator);
    if (clause.ends_sentence) {
      if (!sentence.empty()) sentences.push_back(std::move(sentence));
      sentence.clear();
    }
  }
  if (!sentence.empty()) sentences.push_back(std::move(sentence));
  return sentences;
}

std::u32string Phonemizer::phonemize_as_one_utterance(std::string_view text) const {
  const std::vector<PhonemeClause> clauses = phonemize_clauses(text);
  std::u32string utterance;
  for (size_t i = 0; i < clauses.size(); ++i) {
    utterance += clauses[i].phonemes;
    const bool last = i + 1 == clauses.size();
    utterance += last ? terminator_phonemes(clauses[i].terminator)
                      : terminator_phonemes(ClauseTerminator::kComma);
  }
  return utterance;
}

std::vector<int64_t> phoneme_ids(std::u32string_view phonemes, const VoiceConfig& config,
                                 std::map<char32_t, int>* missing) {
  const std::vector<int64_t>* pad = config.find_phoneme_ids(kPiperPad);
  const std::vector<int64_t>* bos = config.find_phoneme_ids(kPiperBos);
  const std::vector<int64_t>* eos = config.find_phoneme_ids(kPiperEos);
  if (pad == nullptr || bos == nullptr || eos == nullptr) {
    throw Error(config.source_name + ": phoneme_id_map: missing Piper's '_', '^' or '$' symbol");
  }
  std::vector<int64_t> ids;
  ids.reserve(2 * phonemes.size() * 2 + 3);
  ids.insert(ids.end(), bos->begin(), bos->end());
  ids.insert(ids.end(), pad->begin(), pad->end());
  auto append = [&](char32_t phoneme) {
    const std::vector<int64_t>* phoneme_ids = config.find_phoneme_ids(phoneme);
    if (phoneme_ids == nullptr) {
      if (missing != nullptr) ++(*missing)[phoneme];
      return;
    }
    ids.insert(ids.end(), phoneme_ids->begin(), phoneme_ids->end());
    ids.insert(ids.end(), pad->begin(), pad->end());
  };
  for (char32_t phoneme : phonemes) {
    auto substitution = config.phoneme_map.find(phoneme);
    if (substitution == config.phoneme_map.end()) {
      append(phoneme);
    } else {
      for (char32_t replacement : substitution->second) append(replacement);
    }
  }
  ids.insert(ids.end(), eos->begin(), eos->end());
  return ids;
}

}  // namespace parley::tts
