// Phonemizer — text to IPA phonemes through libespeak-ng, and phonemes to Piper model ids.
//
// What Piper does, and so what this does:
//   * espeak_TextToPhonemes (IPA) is called clause by clause with the voice's espeak language.
//   * Each clause's terminator is kept as a phoneme: '.', '?', '!' end a sentence; ',' ':' ';'
//     are followed by a space (", "), exactly as Piper writes them. A clause ended by something
//     else (end of text, line break, espeak's own length limit) adds nothing.
//   * phonemize() starts a new sentence after '.', '?', '!' and at the end of the text; Piper
//     synthesizes each sentence as its own id sequence.
//   * Phonemes are NFD-decomposed ("ç" -> "c" + U+0327), language-switch marks such as "(fr)" are
//     dropped, and the voice's phoneme_map substitutions are applied before id lookup.
//   * phoneme_ids(): '^' then '_', each phoneme's ids followed by '_', then '$'. A phoneme the map
//     lacks is skipped and counted in `missing` (callers warn once), never an error.
// Libespeak-ng is not thread-safe: every call here takes the process-wide espeak lock
// (EspeakSession), so Phonemizers may be used from several threads, one call at a time.
//
// The terminator is read from the consumed source text, since Debian's libespeak-ng 1.51 lacks
// Piper's patched espeak_TextToPhonemesWithTerminator.
//
// Usage
//   parley::tts::VoiceConfig config = parley::tts::load_voice_config("lessac.onnx.json");
//   parley::tts::Phonemizer phonemizer(config.espeak_voice);
//   for (const std::u32string& sentence : phonemizer.phonemize("Hello, world. Bye!")) {
//     std::vector<int64_t> ids = parley::tts::phoneme_ids(sentence, config);  // ^_h_ə_..._$
//   }
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tts/voice_config.h"

namespace parley::tts {

enum class ClauseTerminator { kNone, kPeriod, kQuestion, kExclamation, kComma, kColon, kSemicolon };

struct PhonemeClause {
  std::u32string phonemes;  // IPA, NFD, without the terminator
  ClauseTerminator terminator = ClauseTerminator::kNone;
  bool ends_sentence = false;  // '.', '?', '!' or the end of the text
};

class Phonemizer {
 public:
  // `espeak_voice`: the espeak-ng voice name from the voice config (VoiceConfig::espeak_voice).
  // Throws parley::Error if libespeak-ng cannot start or does not know the voice.
  explicit Phonemizer(std::string espeak_voice);

  // Clause by clause, as espeak-ng splits the text.
  std::vector<PhonemeClause> phonemize_clauses(std::string_view text) const;
  // Piper's sentences: clause phonemes with their terminators, one entry per sentence.
  std::vector<std::u32string> phonemize(std::string_view text) const;
  // The whole text as one utterance: every clause break inside the text is written as ", " and
  // only the last clause keeps its own terminator (the convention of the shared tts golden ids,
  // which are espeak-ng's clause lines joined into one Piper sequence). Useful for synthesizing a
  // chunk from ClauseChunker as one sequence.
  std::u32string phonemize_as_one_utterance(std::string_view text) const;

  const std::string& espeak_voice() const { return espeak_voice_; }

 private:
  std::string espeak_voice_;
};

// The phonemes Piper writes for a terminator ("" for kNone, "." for a period, ", " for a comma).
std::u32string_view terminator_phonemes(ClauseTerminator terminator);

// Piper's id layout for one sentence; see the contract above. `missing` (optional) counts the
// phonemes the voice's map lacks.
std::vector<int64_t> phoneme_ids(std::u32string_view phonemes, const VoiceConfig& config,
                                 std::map<char32_t, int>* missing = nullptr);

}  // namespace parley::tts
