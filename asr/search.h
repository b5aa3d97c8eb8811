// Transducer search — turns encoder frames into tokens with the decoder and joiner: greedy search
// and modified beam search (one symbol per frame at most, hypotheses with equal token sequences
// merged by log-add, as sherpa-onnx / icefall do), the latter with optional context biasing
// (context_graph.h).
//
// Semantics shared with sherpa-onnx (its online-transducer-*-decoder.cc)
//   * The decoder context starts as [-1, ..., -1, blank]: -1 is "no token" (the exported decoder
//     gives it a zero embedding); blank is id 0; `<unk>` is treated as blank.
//   * Greedy: per frame, argmax of the joiner logits; a non-blank token is appended and the
//     decoder re-run. Beam: per frame, log_softmax of every hypothesis' logits plus its score, the
//     `beam` best (hypothesis, token) pairs over all of them survive; the result is the
//     hypothesis with the best score / length (length counts the context entries too).
//   * Timestamps are encoder frame indices from the start of the utterance.
//   * start_new_utterance() (after an endpoint) keeps the last context_size tokens of each
//     hypothesis as decoder context when something was decoded, otherwise starts afresh; the
//     context-graph state returns to the root.
//
// Contracts: one search per stream, not thread-safe. decode() calls the session's decoder and
// joiner; all working memory is sized at construction for `beam` hypotheses, and token vectors
// reserve kReservedTokens, so decoding allocates nothing per chunk after warm-up beyond what
// onnx::Session::run does (token vectors grow past the reserve only in utterances longer than
// that). Throws only what TransducerSession throws.
//
// Usage
//   auto search = parley::asr::make_greedy_search(*model);
//   search->decode(session, session.run_encoder(chunk), session.encoder_frames());
//   SearchResult best = search->best();    // tokens and frames of the current utterance
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "asr/context_graph.h"
#include "asr/transducer_model.h"

namespace parley::asr {

struct SearchResult {
  std::vector<int64_t> tokens;  // decoded ids of the current utterance (no context entries)
  std::vector<int> frames;      // encoder frame of each token, from the utterance start
  int trailing_blank_frames = 0;  // frames since the last token of the best hypothesis
};

class TransducerSearch {
 public:
  static constexpr size_t kReservedTokens = 2048;

  virtual ~TransducerSearch() = default;
  // Forgets everything: fresh context, no tokens (a new, unrelated stream).
  virtual void reset() = 0;
  // Next utterance of the same stream (see the header comment).
  virtual void start_new_utterance() = 0;
  // Consumes `frames` rows of encoder_out (frames * joiner_dim floats).
  virtual void decode(TransducerSession& session, std::span<const float> encoder_out,
                      int frames) = 0;
  virtual SearchResult best() const = 0;
  // Trailing blank frames of the best hypothesis (cheap; no copy).
  virtual int trailing_blank_frames() const = 0;
};

std::unique_ptr<TransducerSearch> make_greedy_search(const TransducerModel& model);
// beam >= 1; `context` may be null (no biasing).
std::unique_ptr<TransducerSearch> make_modified_beam_search(
    const TransducerModel& model, int beam, std::shared_ptr<const ContextGraph> context);

}  // namespace parley::asr
