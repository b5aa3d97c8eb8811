// The streaming transducer against sherpa-onnx itself (sherpa-onnx-node, PARLEY_REFS_DIR): every
// ../shared/testdata/audio/*.wav decoded by both, greedy and modified beam search, for the
// Zipformer2 graph (random weights) and the committed tiny LSTM fixture, and the shipped default model (models/asr)
// on its held-out speech (tests/asr/heldout). Same schedule on both
// sides: whole file, 0.66 s of zero tail padding, input finished, decode while ready, no
// endpointing. Requires equal token sequences or a token edit distance <= 2% of the reference
// tokens over the whole set (<= 5% per file; random weights make near-ties that float
// differences can flip); every difference is printed with its position and time.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "asr/recognizer.h"
#include "audio/sound_file.h"

namespace parley::asr {
namespace {

namespace fs = std::filesystem;

constexpr float kTailPaddingSeconds = 0.66f;

struct Decoded {
  std::vector<std::string> tokens;  // symbols with '▁' shown as ' ' (sherpa-onnx's convention)
  std::vector<double> timestamps;
};

std::string sherpa_symbol(std::string symbol) {
  const std::string word_start = "\xe2\x96\x81";
  for (size_t pos; (pos = symbol.find(word_start)) != std::string::npos;) {
    symbol.replace(pos, word_start.size(), " ");
  }
  return symbol;
}

std::vector<std::string> test_wavs(const fs::path& dir = fs::path(PARLEY_SHARED_TESTDATA) / "audio") {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".wav") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Runs tests/asr/sherpa_transcribe.js; empty when node or the package is missing.
std::vector<Decoded> run_sherpa(const std::string& model_dir, const std::string& method,
                                const std::vector<std::string>& files, std::string* why) {
  const std::string refs = PARLEY_REFS_DIR;
  if (!fs::exists(fs::path(refs) / "sherpa-onnx-node")) {
    *why = "sherpa-onnx-node is not installed in " + refs + " (scripts/reference_tools.sh)";
    return {};
  }
  if (std::system("node --version > /dev/null 2>&1") != 0) {
    *why = "node is not installed";
    return {};
  }
  std::string command = "node " + std::string(PARLEY_SOURCE_DIR) +
                        "/tests/asr/sherpa_transcribe.js " + refs + " " + model_dir + " " + method +
                        " " + std::to_string(kTailPaddingSeconds);
  for (const auto& f : files) command += " " + f;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    *why = "cannot run node";
    return {};
  }
  std::string output;
  std::array<char, 65536> buffer{};
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (status != 0) {
    *why = "sherpa_transcribe.js failed (status " + std::to_string(status) + ")";
    return {};
  }
  std::vector<Decoded> results;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    if (end > start) {
      const auto j = nlohmann::json::parse(output.substr(start, end - start));
      Decoded d;
      for (const auto& t : j["tokens"]) d.tokens.push_back(t.get<std::string>());
      for (const auto& t : j["timestamps"]) d.timestamps.push_back(t.get<double>());
      results.push_back(std::move(d));
    }
    start = end + 1;
  }
  return results;
}

Decoded run_parley(const Recognizer& recognizer, const std::string& file) {
  const audio::SoundBuffer sound = audio::read_sound_file(file, {.mix_to_mono = true});
  auto stream = recognizer.create_stream();
  stream->accept(sound.samples, sound.sample_rate_hz);
  stream->input_finished();
  const RecognitionResult r = stream->final();
  Decoded d;
  for (const auto& s : r.tokens) d.tokens.push_back(sherpa_symbol(s));
  d.timestamps = r.timestamps_seconds;
  return d;
}

// Levenshtein distance with the aligned differences described in `report`.
size_t edit_distance(const Decoded& ref, const Decoded& ours, std::string* report) {
  const size_t n = ref.tokens.size(), m = ours.tokens.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (ref.tokens[i - 1] == ours.tokens[j - 1] ? 0 : 1)});
    }
  }
  std::vector<std::string> lines;
  size_t i = n, j = m;
  auto time = [](const std::vector<double>& ts, size_t k) {
    return k < ts.size() ? std::to_string(ts[k]) : std::string("?");
  };
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && d[i][j] == d[i - 1][j - 1] + (ref.tokens[i - 1] == ours.tokens[j - 1] ? 0 : 1)) {
      if (ref.tokens[i - 1] != ours.tokens[j - 1]) {
        lines.push_back("  position " + std::to_string(i - 1) + " (t=" + time(ref.timestamps, i - 1) +
                        " s): sherpa '" + ref.tokens[i - 1] + "', parley '" + ours.tokens[j - 1] + "'");
      }
      --i, --j;
    } else if (i > 0 && d[i][j] == d[i - 1][j] + 1) {
      lines.push_back("  position " + std::to_string(i - 1) + " (t=" + time(ref.timestamps, i - 1) +
                      " s): sherpa '" + ref.tokens[i - 1] + "' missing in parley");
      --i;
    } else {
      lines.push_back("  parley position " + std::to_string(j - 1) + " (t=" +
                      time(ours.timestamps, j - 1) + " s): extra '" + ours.tokens[j - 1] + "'");
      --j;
    }
  }
  std::reverse(lines.begin(), lines.end());
  for (const auto& line : lines) *report += line + "\n";
  return d[n][m];
}

void compare_with_sherpa(const std::string& model_dir, DecodingMethod method,
                         const std::vector<std::string>& files = test_wavs()) {
  if (files.empty()) GTEST_SKIP() << "no test audio";
  const char* sherpa_method = method == DecodingMethod::kBeam ? "modified_beam_search"
                                                              : "greedy_search";
  std::string why;
  const std::vector<Decoded> reference = run_sherpa(model_dir, sherpa_method, files, &why);
  if (reference.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(reference.size(), files.size());

  RecognizerConfig config;
  config.method = method;
  config.enable_endpoint = false;
  config.tail_padding_seconds = kTailPaddingSeconds;
  const Recognizer recognizer(TransducerModel::load(model_dir), config);
  size_t total_tokens = 0, total_distance = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const Decoded ours = run_parley(recognizer, files[f]);
    std::string report;
    const size_t distance = edit_distance(reference[f], ours, &report);
    total_tokens += reference[f].tokens.size();
    total_distance += distance;
    std::printf("%s %s: %zu tokens (sherpa %zu), edit distance %zu\n%s",
                fs::path(files[f]).filename().c_str(), sherpa_method, ours.tokens.size(),
                reference[f].tokens.size(), distance, report.c_str());
    // Per file at most 5%; over the whole set at most 2% (below). Greedy and the LSTM fixture
    // match exactly; modified beam search on the random Zipformer2 diverges on espeak_en_16k.wav
    // after 7.3 s (14 of 296 tokens, measured) — near-equal hypothesis scores (the random joiner's
    // distribution is almost flat) that float differences between the two executors reorder.
    EXPECT_LE(distance * 20, std::max<size_t>(reference[f].tokens.size(), 1))
        << files[f] << ": more than 5% of the tokens differ\n"
        << report;
    if (distance == 0) {
      ASSERT_EQ(ours.timestamps.size(), reference[f].timestamps.size());
      for (size_t k = 0; k < ours.timestamps.size(); ++k) {
        EXPECT_NEAR(ours.timestamps[k], reference[f].timestamps[k], 1e-3) << files[f] << " token " << k;
      }
    }
  }
  EXPECT_GT(total_tokens, 0u) << "the reference decoded nothing: the comparison would be vacuous";
  EXPECT_LE(total_distance * 50, total_tokens) << "more than 2% of all tokens differ";
  std::printf("total: %zu reference tokens, edit distance %zu\n", total_tokens, total_distance);
}

std::string zipformer2_dir() {
  return std::string(PARLEY_SHARED_TESTDATA) + "/asr/zipformer2_small_random";
}
std::string lstm_dir() { return std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny"; }

TEST(TransducerSherpa, Zipformer2Greedy) {
  if (!fs::exists(zipformer2_dir())) GTEST_SKIP() << zipformer2_dir() << " is absent";
  compare_with_sherpa(zipformer2_dir(), DecodingMethod::kGreedy);
}

TEST(TransducerSherpa, Zipformer2ModifiedBeam) {
  if (!fs::exists(zipformer2_dir())) GTEST_SKIP() << zipformer2_dir() << " is absent";
  compare_with_sherpa(zipformer2_dir(), DecodingMethod::kBeam);
}

TEST(TransducerSherpa, LstmGreedy) { compare_with_sherpa(lstm_dir(), DecodingMethod::kGreedy); }

TEST(TransducerSherpa, LstmModifiedBeam) { compare_with_sherpa(lstm_dir(), DecodingMethod::kBeam); }

// The shipped default model (int8 graphs) on its committed held-out speech and the shared audio.
std::string default_dir() { return std::string(PARLEY_SOURCE_DIR) + "/models/asr"; }
std::vector<std::string> default_model_wavs() {
  std::vector<std::string> files = test_wavs(fs::path(PARLEY_SOURCE_DIR) / "tests/asr/heldout");
  for (auto& f : test_wavs()) files.push_back(std::move(f));
  return files;
}

TEST(TransducerSherpa, DefaultModelGreedy) {
  if (!fs::exists(default_dir() + "/tokens.txt")) GTEST_SKIP() << default_dir() << " holds no model";
  compare_with_sherpa(default_dir(), DecodingMethod::kGreedy, default_model_wavs());
}

TEST(TransducerSherpa, DefaultModelModifiedBeam) {
  if (!fs::exists(default_dir() + "/tokens.txt")) GTEST_SKIP() << default_dir() << " holds no model";
  compare_with_sherpa(default_dir(), DecodingMethod::kBeam, default_model_wavs());
}

}  // namespace
}  // namespace parley::asr
