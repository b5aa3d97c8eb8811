// ContextGraph — hotword / context biasing for modified beam search: an Aho-Corasick automaton over
// token-id phrases that adds a bonus to hypotheses while they follow a phrase, with the scoring of
// sherpa-onnx's ContextGraph (non-strict mode, as its beam search uses it).
//
// Scoring
//   Every token of a phrase earns its phrase's bonus (`score` per token, default
//   ContextGraph::kDefaultBonus per token when a phrase gives 0). A node's node_score is the sum
//   along its path (the max of the phrases sharing a prefix). A hypothesis that leaves a partial
//   match follows the failure links and gives back the bonus it no longer deserves (the step score
//   is new node_score - old node_score, possibly negative). On completing a phrase (a node that
//   ends one, itself or through its output link) the hypothesis keeps the phrase's total bonus
//   and returns to the root, so a phrase is rewarded once per occurrence.
//
// Contracts: immutable after construction; share between streams and threads. States are
// pointers into the graph, valid while the graph lives. forward() never allocates or throws.
//
// Usage
//   parley::asr::ContextGraph graph({{tokens_of("HEY PARLEY"), 0.0f}}, /*default_bonus=*/1.5f);
//   const ContextState* state = graph.root();
//   auto [bonus, next] = graph.forward(state, token_id);   // add bonus to the hypothesis score
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace parley::asr {

struct ContextState {
  int64_t token = -1;           // -1 for the root
  float token_score = 0;        // bonus for arriving here from the parent
  float node_score = 0;         // sum of token_score from the root
  float output_score = 0;       // bonus banked when a phrase ends here (or at output)
  int level = 0;                // depth
  bool is_end = false;          // a phrase ends exactly here
  int phrase_index = -1;        // index of the phrase ending here (when is_end)
  const ContextState* fail = nullptr;    // longest proper suffix that is a prefix in the graph
  const ContextState* output = nullptr;  // nearest suffix node that ends a phrase, or null
  std::map<int64_t, std::unique_ptr<ContextState>> next;
};

struct ContextPhrase {
  std::vector<int64_t> tokens;  // token ids, non-empty
  float bonus_per_token = 0;    // 0 = the graph's default
  std::string text;             // for reporting matches
};

class ContextGraph {
 public:
  static constexpr float kDefaultBonus = 1.5f;  // sherpa-onnx's hotwords_score default

  // Throws parley::Error for an empty phrase or a negative/non-finite bonus.
  explicit ContextGraph(std::vector<ContextPhrase> phrases, float default_bonus = kDefaultBonus);

  const ContextState* root() const { return root_.get(); }
  // One decoded token from `state`: (score to add, next state). See "Scoring".
  std::pair<float, const ContextState*> forward(const ContextState* state,
                                                int64_t token) const noexcept;
  // The phrase matched when arriving at `state` (itself or its output link), or null.
  const ContextPhrase* matched(const ContextState* state) const noexcept;
  size_t phrase_count() const { return phrases_.size(); }

 private:
  void build_failure_links();

  std::vector<ContextPhrase> phrases_;
  std::unique_ptr<ContextState> root_;
};

}  // namespace parley::asr
