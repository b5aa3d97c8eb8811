// Tokenizers against llama.cpp's conformance vectors (tests/test-tokenizer-0 data: every
// ggml-vocab-<family>.gguf with its .inp/.out), plus decode round trips, special tokens and the
// streaming UTF-8 hold-back.
#include "llm/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "llm/gguf.h"
#include "llm/unicode.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;

const fs::path kLlmData = fs::path(PARLEY_SHARED_TESTDATA) / "llm";
const fs::path kVocabDir = kLlmData / "vocab";

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct VocabCase {
  std::string text;
  std::vector<TokenId> expected;
};

// .inp: strings each followed by "\n__ggml_vocab_test__\n"; .out: one line of ids per string.
std::vector<VocabCase> read_cases(const fs::path& inp, const fs::path& out) {
  const std::string all = read_all(inp);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  size_t pos = 0;
  while (pos < all.size()) {
    const size_t end = all.find(separator, pos);
    if (end == std::string::npos) break;
    cases.push_back({all.substr(pos, end - pos), {}});
    pos = end + separator.size();
  }
  std::ifstream lines(out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line) && i < cases.size()) {
    std::istringstream ids(line);
    TokenId id;
    while (ids >> id) cases[i].expected.push_back(id);
    ++i;
  }
  EXPECT_EQ(i, cases.size()) << out;
  return cases;
}

std::string family_of(const fs::path& gguf) {
  std::string name = gguf.filename().string();  // ggml-vocab-<family>.gguf
  name = name.substr(std::string("ggml-vocab-").size());
  return name.substr(0, name.size() - std::string(".gguf").size());
}

std::string join(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) {
    s += ' ';
    s += std::to_string(id);
  }
  return s;
}

bool valid_utf8(std::string_view s) {
  for (uint32_t cp : unicode::decode_utf8(s)) {
    if (cp == 0xFFFD) return s.find("\xEF\xBF\xBD") != std::string_view::npos;
  }
  return true;
}

TEST(Tokenizer, MatchesLlamaCppVectorsForEveryVocabulary) {
  if (!fs::exists(kVocabDir)) GTEST_SKIP() << "test data not found: " << kVocabDir;
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(kVocabDir)) {
    if (entry.path().extension() == ".inp") inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_FALSE(inputs.empty());
  int families_tested = 0;
  std::printf("%-18s %-9s %-16s %s\n", "family", "model", "pre", "result");
  for (const fs::path& inp : inputs) {
    const fs::path gguf_path = inp.parent_path() / inp.stem();  // strip ".inp"
    const fs::path out = gguf_path.string() + ".out";
    const std::string family = family_of(gguf_path);
    if (!fs::exists(gguf_path)) {
      std::printf("%-18s %-9s %-16s skipped: vocabulary file not present\n", family.c_str(), "-",
                  "-");
      continue;
    }
    const GgufFile gguf(gguf_path.string());
    const std::string model(gguf.get_string("tokenizer.ggml.model"));
    std::unique_ptr<Tokenizer> tokenizer;
    try {
      tokenizer = std::make_unique<Tokenizer>(gguf);
    } catch (const Error& e) {
      if (model != "llama" && model != "gpt2") {  // e.g. bert WordPiece: not implemented
        std::printf("%-18s %-9s %-16s skipped: %s\n", family.c_str(), model.c_str(), "-", e.what());
        continue;
      }
      ADD_FAILURE() << family << ": " << e.what();
      continue;
    }
    const std::vector<VocabCase> cases = read_cases(inp, out);
    int passed = 0;
    for (const VocabCase& c : cases) {
      const std::vector<TokenId> got = tokenizer->encode(c.text);
      if (got == c.expected) {
        ++passed;
      } else {
        ADD_FAILURE() << family << ": text '" << c.text << "'\n  expected" << join(c.expected)
                      << "\n  got     " << join(got);
      }
    }
    ++families_tested;
    std::printf("%-18s %-9s %-16s %d/%zu passed\n", family.c_str(), model.c_str(),
                std::string(tokenizer->pre_tokenizer_name()).c_str(), passed, cases.size());
  }
  EXPECT_GT(families_tested, 0);
}

TEST(Tokenizer, DecodeRoundTripsEveryVocabulary) {
  if (!fs::exists(kVocabDir)) GTEST_SKIP() << "test data not found: " << kVocabDir;
  const std::vector<VocabCase> cases =
      read_cases(kVocabDir / "ggml-vocab-gpt-2.gguf.inp", kVocabDir / "ggml-vocab-gpt-2.gguf.out");
  for (const auto& entry : fs::directory_iterator(kVocabDir)) {
    if (entry.path().extension() != ".gguf") continue;
    const GgufFile gguf(entry.path().string());
    const std::string_view model = gguf.get_string("tokenizer.ggml.model");
    if (model != "llama" && model != "gpt2") continue;
    const Tokenizer tokenizer(gguf);
    SCOPED_TRACE(entry.path().filename().string());
    for (const VocabCase& c : cases) {
      if (!valid_utf8(c.text)) continue;
      const std::vector<TokenId> ids = tokenizer.encode(c.text);
      EXPECT_EQ(tokenizer.decode(ids), c.text);
      // Streaming gives the same text, and every chunk is whole UTF-8 characters.
      TokenStreamDecoder stream(tokenizer, {.render_special = false, .strip_leading_space = true});
      std::string streamed;
      for (TokenId id : ids) {
        const std::string_view chunk = stream.push(id);
        EXPECT_EQ(unicode::complete_utf8_prefix(chunk), chunk.size());
        streamed += chunk;
      }
      streamed += stream.finish();
      EXPECT_EQ(streamed, c.text);
    }
  }
}

std::unique_ptr<GgufFile> open_or_skip(const fs::path& path) {
  if (!fs::exists(path)) return nullptr;
  return std::make_unique<GgufFile>(path.string());
}

TEST(Tokenizer, StreamingHoldsBackPartialUtf8) {
  const auto gguf = open_or_skip(kLlmData / "stories260K-f32.gguf");
  if (!gguf) GTEST_SKIP() << "stories260K-f32.gguf not found";
  const Tokenizer tokenizer(*gguf);
  // The 512-token vocabulary has no 'ж', so it is spelled with byte tokens <0xD0><0xB6>.
  ASSERT_FALSE(tokenizer.find_token("ж").has_value());
  const std::vector<TokenId> ids = tokenizer.encode("aж");
  ASSERT_GE(ids.size(), 3u);
  const TokenId d0 = *tokenizer.find_token("<0xD0>");
  const TokenId b6 = *tokenizer.find_token("<0xB6>");
  EXPECT_EQ(std::vector<TokenId>(ids.end() - 2, ids.end()), (std::vector<TokenId>{d0, b6}));
  const TokenId e2 = *tokenizer.find_token("<0xE2>");  // '€' = E2 82 AC
  const TokenId x82 = *tokenizer.find_token("<0x82>");
  const TokenId xac = *tokenizer.find_token("<0xAC>");

  TokenStreamDecoder stream(tokenizer);
  EXPECT_EQ(stream.push(d0), "");
  EXPECT_EQ(stream.push(b6), "ж");
  EXPECT_EQ(stream.push(e2), "");
  EXPECT_EQ(stream.push(x82), "");
  EXPECT_EQ(stream.push(xac), "€");
  EXPECT_EQ(stream.finish(), "");
  // A dangling lead byte is replaced at the end of the stream.
  stream.reset();
  EXPECT_EQ(stream.push(*tokenizer.find_token("▁a")), " a");  // continuation keeps its space
  EXPECT_EQ(stream.push(e2), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
}

TEST(Tokenizer, SentencePieceSpecialTokensAndSpacing) {
  const auto gguf = open_or_skip(kLlmData / "stories260K-f32.gguf");
  if (!gguf) GTEST_SKIP() << "stories260K-f32.gguf not found";
  const Tokenizer tokenizer(*gguf);
  EXPECT_EQ(tokenizer.model(), TokenizerModel::kSentencePiece);
  EXPECT_EQ(tokenizer.vocab_size(), 512);
  EXPECT_EQ(tokenizer.bos(), 1);
  EXPECT_EQ(tokenizer.eos(), 2);
  EXPECT_EQ(tokenizer.pad(), kNoToken);  // stored as 4294967295
  EXPECT_TRUE(tokenizer.add_bos());
  EXPECT_TRUE(tokenizer.is_end_of_generation(2));
  EXPECT_FALSE(tokenizer.is_end_of_generation(1));

  // The prompt of the golden files, tokenized by llama.cpp with BOS.
  const std::string golden = read_all(kLlmData / "golden" / "stories260K-f32.txt");
  const size_t at = golden.find("prompt_tokens");
  ASSERT_NE(at, std::string::npos);
  const size_t colon = golden.find("): ", at);  // "prompt_tokens (add_bos=1): 1 403 ..."
  ASSERT_NE(colon, std::string::npos);
  std::istringstream line(golden.substr(colon + 3, golden.find('\n', colon) - colon - 3));
  std::vector<TokenId> expected;
  TokenId id;
  while (line >> id) expected.push_back(id);
  ASSERT_EQ(expected.size(), 10u);
  const std::vector<TokenId> ids =
      tokenizer.encode("Once upon a time, there was a little", {.add_special = true});
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(tokenizer.decode(ids), "Once upon a time, there was a little");
  EXPECT_EQ(tokenizer.decode(ids, {.render_special = true}),
            "<s>Once upon a time, there was a little");

  // "<s>" in text is plain text unless parse_special is set.
  EXPECT_NE(tokenizer.encode("<s>x")[0], 1);
  const std::vector<TokenId> special = tokenizer.encode("<s>x", {.parse_special = true});
  ASSERT_GE(special.size(), 2u);
  EXPECT_EQ(special[0], 1);
  // After a special token the text gets the space prefix again, as llama.cpp does.
  EXPECT_EQ(std::vector<TokenId>(special.begin() + 1, special.end()), tokenizer.encode("x"));
}

TEST(Tokenizer, SentencePieceDropsTheSpacePrefixAfterSpecialTokensAgain) {
  const auto gguf = open_or_skip(kLlmData / "stories260K-f32.gguf");
  if (!gguf) GTEST_SKIP() << "stories260K-f32.gguf not found";
  const Tokenizer tokenizer(*gguf);
  const std::string text = "<s>x</s>y z";
  const std::vector<TokenId> ids = tokenizer.encode(text, {.parse_special = true});
  // encode() gives "x" and "y z" the space prefix (as llama.cpp does) ...
  const std::vector<TokenId> x = tokenizer.encode("x");
  ASSERT_GT(ids.size(), x.size() + 1);
  EXPECT_EQ(std::vector<TokenId>(ids.begin() + 1, ids.begin() + 1 + x.size()), x);
  // ... and decode() drops it after each special token, so the text round-trips.
  EXPECT_EQ(tokenizer.decode(ids, {.render_special = true}), text);
  EXPECT_EQ(tokenizer.decode(ids, {.render_special = true, .strip_space_after_special = false}),
            "<s>x</s> y z");  // llama.cpp's detokenizer keeps it
  TokenStreamDecoder stream(tokenizer, {.render_special = true, .strip_leading_space = false});
  std::string streamed;
  for (TokenId id : ids) streamed += stream.push(id);
  EXPECT_EQ(streamed, text);
  // A continuation that starts with a text piece keeps its space (no special token before it).
  stream.reset();
  EXPECT_EQ(stream.push(*tokenizer.find_token("▁a")), " a");
}

TEST(Tokenizer, UserDefinedPiecesSplitTheTextAndRoundTrip) {
  // The default chat model: "\n" and the tool tags are USER_DEFINED pieces.
  const fs::path shipped = fs::path(PARLEY_SOURCE_DIR) / "models" / "llm" / "parley-chat.gguf";
  const auto gguf = open_or_skip(shipped);
  if (!gguf) GTEST_SKIP() << shipped << " not found";
  const Tokenizer tokenizer(*gguf);
  const TokenId newline = *tokenizer.find_token("\n");
  ASSERT_EQ(tokenizer.token_kind(newline), TokenKind::kUserDefined);
  EXPECT_TRUE(tokenizer.is_special(newline));
  const std::string call = "<tool_call>\n{\"name\": \"stop\", \"arguments\": {}}\n</tool_call>";
  const std::vector<TokenId> ids = tokenizer.encode(call);
  EXPECT_EQ(ids[0], *tokenizer.find_token("<tool_call>"));
  EXPECT_EQ(ids[1], newline);
  EXPECT_EQ(tokenizer.decode(ids), call);
  TokenStreamDecoder stream(tokenizer);
  std::string streamed;
  for (TokenId id : ids) streamed += stream.push(id);
  EXPECT_EQ(streamed, call);
}

TEST(Tokenizer, BytePairSpecialTokens) {
  const auto gguf = open_or_skip(kVocabDir / "ggml-vocab-phi-3.gguf");
  const auto gpt2 = open_or_skip(kVocabDir / "ggml-vocab-gpt-2.gguf");
  if (!gguf || !gpt2) GTEST_SKIP() << "vocabulary files not found";
  const Tokenizer phi3(*gguf);
  const TokenId user = *phi3.find_token("<|user|>");
  const TokenId end = *phi3.find_token("<|end|>");
  EXPECT_TRUE(phi3.is_control(end));
  EXPECT_TRUE(phi3.is_end_of_generation(end));
  const std::vector<TokenId> ids = phi3.encode("<|user|>\nHi<|end|>", {.parse_special = true});
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), user);
  EXPECT_EQ(ids.back(), end);
  // Phi-3 special tokens swallow the newline after them.
  EXPECT_EQ(std::vector<TokenId>(ids.begin() + 1, ids.end() - 1), phi3.encode("Hi"));
  const std::vector<TokenId> plain = phi3.encode("<|user|>\nHi<|end|>");
  EXPECT_EQ(std::count(plain.begin(), plain.end(), user), 0);

  const Tokenizer tok(*gpt2);
  EXPECT_EQ(tok.model(), TokenizerModel::kBytePairEncoding);
  const TokenId eot = *tok.find_token("<|endoftext|>");
  EXPECT_EQ(tok.encode("a<|endoftext|>b", {.parse_special = true}),
            (std::vector<TokenId>{*tok.find_token("a"), eot, *tok.find_token("b")}));
  EXPECT_EQ(tok.decode(std::vector<TokenId>{eot}), "");
  EXPECT_EQ(tok.decode(std::vector<TokenId>{eot}, {.render_special = true}), "<|endoftext|>");
  EXPECT_EQ(tok.decode(tok.encode(" Hello\n\tworld  ")), " Hello\n\tworld  ");
}

TEST(Tokenizer, RejectsUnsupportedOrInconsistentVocabularies) {
  const auto bert = open_or_skip(kVocabDir / "ggml-vocab-bert-bge.gguf");
  if (!bert) GTEST_SKIP() << "bert vocabulary not found";
  try {
    Tokenizer t(*bert);
    ADD_FAILURE() << "bert vocabulary accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.model"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace parley::llm
