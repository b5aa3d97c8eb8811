// The shipped default recognizer (models/asr, made by models/recipes/asr) on committed held-out
// utterances (tests/asr/heldout: the held-out voice, flite rms, speaking held-out sentences, as
// gen_data.py writes its test_voice set). heldout.tsv records, per file, the reference text and
// the transcript sherpa-onnx (sherpa-onnx-node, int8 graphs, greedy, 0.5 s tail padding) produced
// when the model was shipped (models/recipes/asr/record_heldout.py). Our engine must produce the
// same transcripts; the word error rate against the references is printed, and must equal the
// one recorded for these files. transducer_sherpa_test repeats the comparison against a live
// sherpa-onnx when it is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "asr/recognizer.h"
#include "audio/sound_file.h"
#include "tests/common/word_errors.h"
#include "tts/espeak_voice.h"

namespace parley::asr {
namespace {

namespace fs = std::filesystem;

const fs::path kModelDir = fs::path(PARLEY_SOURCE_DIR) / "models" / "asr";
const fs::path kHeldoutDir = fs::path(PARLEY_SOURCE_DIR) / "tests" / "asr" / "heldout";
// See TranscribesEspeakSpeechMadeAtTestTimeWithinTheWerBound.
constexpr double kEspeakWerBoundPercent = 50.0;  // 43.8 % (35/80 words) when written

struct Row {
  std::string file;
  std::string reference;
  std::string sherpa;
};

bool model_present() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kModelDir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("encoder", 0) == 0 && e.path().extension() == ".onnx") return true;
  }
  return false;
}

using test::upper_words;

using parley::test::word_errors;

// heldout.tsv: "# wer_errors N words M" header line, then file<TAB>reference<TAB>sherpa transcript.
std::vector<Row> read_rows(size_t* recorded_errors, size_t* recorded_words) {
  std::ifstream in(kHeldoutDir / "heldout.tsv");
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# wer_errors ", 0) == 0) {
      std::sscanf(line.c_str(), "# wer_errors %zu words %zu", recorded_errors, recorded_words);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t a = line.find('\t');
    const size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos) {
      ADD_FAILURE() << "heldout.tsv: malformed line: " << line;
      continue;
    }
    rows.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return rows;
}

// The default model as both tests decode it: greedy, no endpoints, 0.5 s tail padding (as the
// recipe's evaluation and the recorded sherpa-onnx transcripts).
Recognizer default_recognizer() {
  RecognizerConfig config;
  config.enable_endpoint = false;
  config.tail_padding_seconds = 0.5f;
  return Recognizer(TransducerModel::load(kModelDir.string()), config);
}

std::string transcribe(const Recognizer& recognizer, std::span<const float> pcm, int rate_hz) {
  auto stream = recognizer.create_stream();
  stream->accept(pcm, rate_hz);
  stream->input_finished();
  return stream->final().text;
}

// Word errors of `ours` against `reference`, printed under `label`.
size_t count_errors(const std::string& label, const std::string& reference,
                    const std::string& ours) {
  const auto ref = upper_words(reference);
  const size_t e = word_errors(ref, upper_words(ours));
  std::printf("%s  %zu/%zu errors\n  REF    %s\n  PARLEY %s\n", label.c_str(), e, ref.size(),
              reference.c_str(), ours.c_str());
  return e;
}

TEST(DefaultAsrModel, MatchesRecordedSherpaTranscriptsOnHeldOutSpeech) {
  if (!model_present()) GTEST_SKIP() << kModelDir << " holds no model (models/recipes/asr makes it)";
  size_t recorded_errors = 0, recorded_words = 0;
  const std::vector<Row> rows = read_rows(&recorded_errors, &recorded_words);
  ASSERT_GE(rows.size(), 8u) << kHeldoutDir / "heldout.tsv";

  const Recognizer recognizer = default_recognizer();
  size_t errors = 0, words = 0, same = 0;
  for (const Row& row : rows) {
    const audio::SoundBuffer sound =
        audio::read_sound_file((kHeldoutDir / row.file).string(), {.mix_to_mono = true});
    const std::string ours = transcribe(recognizer, sound.samples, sound.sample_rate_hz);
    errors += count_errors(row.file, row.reference, ours);
    words += upper_words(row.reference).size();
    same += upper_words(ours) == upper_words(row.sherpa);
    EXPECT_EQ(upper_words(ours), upper_words(row.sherpa))
        << row.file << ": sherpa-onnx heard '" << row.sherpa << "', we heard '" << ours << "'";
  }
  std::printf("held-out files: WER %.1f%% (%zu/%zu words), %zu/%zu transcripts equal to sherpa-onnx's\n",
              100.0 * errors / std::max<size_t>(words, 1), errors, words, same, rows.size());
  EXPECT_EQ(words, recorded_words);
  EXPECT_EQ(errors, recorded_errors) << "the word error rate differs from the one recorded at shipping";
}

// End to end with speech made at test time: espeak-ng (libespeak-ng through tts::EspeakVoice, a
// voice family the recipe trained on, at 16 kHz) speaks the held-out sentences of heldout.tsv
// (never in the training text), and the default model transcribes them. The bound is the word
// error rate this model reached on these inputs when it shipped, plus a margin for espeak-ng
// versions that pronounce a word differently; broken features, a mis-read model or a search bug
// land far above it (random weights: ~100 %). Issue 9's 10 % target is not met by this model.
TEST(DefaultAsrModel, TranscribesEspeakSpeechMadeAtTestTimeWithinTheWerBound) {
  if (!model_present()) GTEST_SKIP() << kModelDir << " holds no model (models/recipes/asr makes it)";
  std::unique_ptr<tts::EspeakVoice> voice;
  try {
    voice = std::make_unique<tts::EspeakVoice>(
        tts::EspeakVoiceOptions{.voice_name = "en-us", .output_rate_hz = 16000});
  } catch (const std::exception& e) {
    GTEST_SKIP() << "espeak-ng voice unavailable: " << e.what();
  }
  size_t recorded_errors = 0, recorded_words = 0;
  const std::vector<Row> rows = read_rows(&recorded_errors, &recorded_words);
  ASSERT_GE(rows.size(), 8u) << kHeldoutDir / "heldout.tsv";

  const Recognizer recognizer = default_recognizer();
  size_t errors = 0, words = 0;
  for (const Row& row : rows) {
    std::string text = row.reference;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    const std::vector<float> pcm = tts::synthesize_to_vector(*voice, text);
    ASSERT_GT(pcm.size(), 16000u / 2) << "espeak-ng said almost nothing for '" << text << "'";
    errors += count_errors("espeak en-us", row.reference, transcribe(recognizer, pcm, 16000));
    words += upper_words(row.reference).size();
  }
  const double wer = 100.0 * static_cast<double>(errors) / static_cast<double>(words);
  std::printf("espeak-ng speech made at test time: WER %.1f%% (%zu/%zu words)\n", wer, errors,
              words);
  EXPECT_LE(wer, kEspeakWerBoundPercent);
}

}  // namespace
}  // namespace parley::asr
