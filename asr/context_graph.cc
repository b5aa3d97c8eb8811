#include "asr/context_graph.h"

#include <cmath>
#include <queue>

#include "kernels/error.h"

namespace parley::asr {

ContextGraph::ContextGraph(std::vector<ContextPhrase> phrases, float default_bonus)
    : phrases_(std::move(phrases)), root_(std::make_unique<ContextState>()) {
  if (!std::isfinite(default_bonus) || default_bonus < 0) {
    throw Error("ContextGraph: default bonus must be finite and >= 0");
  }
  for (size_t p = 0; p < phrases_.size(); ++p) {
    const ContextPhrase& phrase = phrases_[p];
    if (phrase.tokens.empty()) {
      throw Error("ContextGraph: phrase " + std::to_string(p) + " ('" + phrase.text +
                  "') has no tokens");
    }
    if (!std::isfinite(phrase.bonus_per_token) || phrase.bonus_per_token < 0) {
      throw Error("ContextGraph: phrase " + std::to_string(p) + " ('" + phrase.text +
                  "') has a negative or non-finite bonus");
    }
    const float score = phrase.bonus_per_token == 0 ? default_bonus : phrase.bonus_per_token;
    ContextState* node = root_.get();
    for (size_t j = 0; j < phrase.tokens.size(); ++j) {
      const int64_t token = phrase.tokens[j];
      const bool last = j + 1 == phrase.tokens.size();
      auto it = node->next.find(token);
      if (it == node->next.end()) {
        auto child = std::make_unique<ContextState>();
        child->token = token;
        child->token_score = score;
        child->node_score = node->node_score + score;
        child->output_score = last ? child->node_score : 0;
        child->level = static_cast<int>(j) + 1;
        child->is_end = last;
        child->phrase_index = last ? static_cast<int>(p) : -1;
        it = node->next.emplace(token, std::move(child)).first;
      } else {
        // A shared prefix keeps the larger bonus.
        ContextState& child = *it->second;
        child.token_score = std::max(score, child.token_score);
        child.node_score = node->node_score + child.token_score;
        child.is_end = child.is_end || last;
        child.output_score = child.is_end ? child.node_score : 0;
        if (last) child.phrase_index = static_cast<int>(p);
      }
      node = it->second.get();
    }
  }
  build_failure_links();
}

void ContextGraph::build_failure_links() {
  const ContextState* root = root_.get();
  std::queue<ContextState*> queue;
  for (auto& [token, child] : root_->next) {
    child->fail = root;
    queue.push(child.get());
  }
  while (!queue.empty()) {
    ContextState* node = queue.front();
    queue.pop();
    for (auto& [token, child] : node->next) {
      // Longest proper suffix of child's path that is in the graph.
      const ContextState* fail = node->fail;
      while (true) {
        auto it = fail->next.find(token);
        if (it != fail->next.end()) {
          fail = it->second.get();
          break;
        }
        if (fail == root) break;
        fail = fail->fail;
      }
      child->fail = fail;
      const ContextState* output = fail;
      while (output != root && !output->is_end) output = output->fail;
      child->output = output == root ? nullptr : output;
      if (child->output) child->output_score += child->output->output_score;
      queue.push(child.get());
    }
  }
}

std::pair<float, const ContextState*> ContextGraph::forward(const ContextState* state,
                                                            int64_t token) const noexcept {
  const ContextState* root = root_.get();
  const ContextState* node = nullptr;
  float score = 0;
  if (auto it = state->next.find(token); it != state->next.end()) {
    node = it->second.get();
    score = node->token_score;
  } else {
    node = state == root ? root : state->fail;
    while (true) {
      auto found = node->next.find(token);
      if (found != node->next.end()) {
        node = found->second.get();
        break;
      }
      if (node == root) break;
      node = node->fail;
    }
    score = node->node_score - state->node_score;
  }
  if (node->output_score != 0) {
    // A phrase ends here: keep its total bonus and start over at the root.
    const float banked = node->is_end ? node->node_score
                                      : (node->output ? node->output->node_score : node->node_score);
    return {score + banked - node->node_score, root};
  }
  return {score + node->output_score, node};
}

const ContextPhrase* ContextGraph::matched(const ContextState* state) const noexcept {
  const ContextState* node = state->is_end ? state : state->output;
  if (!node || node->phrase_index < 0) return nullptr;
  return &phrases_[static_cast<size_t>(node->phrase_index)];
}

}  // namespace parley::asr
