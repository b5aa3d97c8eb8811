// Session: runs a shared, immutable Model. Holds all per-run mutable state — value tables and a
// buffer arena whose blocks are reused as soon as a value's last consumer has run (liveness),
// so repeated runs with the same shapes allocate nothing.
//
//   auto model = Model::load("silero_vad_v4.onnx");
//   kernels::ThreadPool pool(2);
//   Session session(model, pool);
//   Value x{ElemType::kFloat, Shape{1, 512}, samples};       // caller-owned bytes
//   std::vector<Value> out = session.run({{"input", x}, {"sr", sr}, {"h", h}, {"c", c}},
//                                        {"output", "hn", "cn"});
//   float p = out[0].data<float>()[0];
//
// Contracts: feeds are read, never written, and must stay valid during run(). The returned
// Values are views valid until the next run() on this Session or its destruction; copy what must
// live longer (state tensors fed back as inputs may be passed straight to the next run: run()
// copies nothing it is fed). One run at a time per Session (not thread-safe); many Sessions may
// share one Model concurrently. A ThreadPool runs one parallel_for at a time, so Sessions used
// from different threads should have their own pools.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/onnx/model.h"
#include "kernels/storage.h"
#include "kernels/thread_pool.h"

namespace parley::onnx {

struct SessionOptions {
  uint64_t random_seed = 0x5eed;  // seeds Random* ops that have no `seed` attribute
};

class Session {
 public:
  Session(std::shared_ptr<const Model> model, kernels::ThreadPool& pool,
          const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Feeds every graph input by name; returns `output_names` in order (all graph outputs in
  // declaration order when empty). Throws parley::Error naming the model for a missing or
  // unknown feed, a feed whose type or fixed dims contradict the model, or an op error.
  std::vector<Value> run(const std::vector<std::pair<std::string, Value>>& feeds,
                         const std::vector<std::string>& output_names = {});

  // Runs a part of the graph, to run a model in stages (Piper: the decoder over pieces of the
  // latent sequence). `output_names` may name any value of the top-level graph, not only its
  // outputs; `feeds` may name graph inputs and computed values alike — a fed value is taken as
  // given, and the nodes that would compute it do not run. Only the nodes the outputs need run,
  // so only the graph inputs they need must be fed. The plan for each set of names is made once
  // and kept. Throws parley::Error for an unknown name, a needed graph input not fed, or a fed
  // value that a node the outputs need also computes; otherwise as run().
  std::vector<Value> run_part(const std::vector<std::pair<std::string, Value>>& feeds,
                              const std::vector<std::string>& output_names);
  // Makes (and keeps) the plan run_part will use for these names, without running anything:
  // throws what run_part throws for names that cannot make a part (an unknown name, a needed
  // input not among the feeds, a feed computed by a needed node).
  void prepare_part(const std::vector<std::string>& feed_names, const std::vector<std::string>& output_names);

  const Model& model() const { return *model_; }
  // Bytes held by the buffer arena (after warm-up this stays constant across runs).
  size_t arena_bytes() const;

  struct Impl;

 private:
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::onnx
