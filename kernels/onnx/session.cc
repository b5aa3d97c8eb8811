// Session executor: per-graph frames of values, a refcounted buffer arena with best-fit reuse,
// liveness-driven release, and subgraph execution for control-flow ops.
#include "kernels/onnx/session.h"

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>

#include "kernels/error.h"
#include "kernels/onnx/model_data.h"

namespace parley::onnx {
namespace {

struct Buffer {
  kernels::AlignedBuffer memory;
  int refs = 0;
};

// What a partial run (Session::run_part) executes: the nodes its outputs need, given its feeds.
struct RunPlan {
  std::vector<uint8_t> run_node;  // per node of the top-level graph
  std::vector<uint8_t> keep;      // per slot: fetched, so never released during the run
  std::vector<int> feed_slots;    // parallel to the feeds' names
  std::vector<int> result_slots;  // parallel to the output names
};

struct Frame {
  std::vector<Value> values;
  std::vector<int> buffer_of;  // buffer id holding a reference for the slot, -1 for none
  std::vector<Value> results;  // outputs of the last execution
  std::vector<int> result_buffers;
  Frame* parent = nullptr;
};

}  // namespace

// CPU time of the whole process in milliseconds (profiling only).
static double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

struct Session::Impl {
  const Model& model;
  kernels::ThreadPool& pool;
  std::mt19937_64 random;
  std::vector<std::unique_ptr<Buffer>> buffers;
  std::vector<int> free_buffers;
  kernels::Arena scratch;
  std::unordered_map<const Graph*, Frame> frames;
  std::map<std::string, RunPlan, std::less<>> plans;  // run_part, by feed and output names
  // PARLEY_ONNX_PROFILE set: CPU time of the process (all threads; steadier than wall time on a
  // shared machine) and calls per op type (control-flow ops inclusive of their subgraphs),
  // printed to stderr when the Session ends.
  bool profile = std::getenv("PARLEY_ONNX_PROFILE") != nullptr;
  // PARLEY_ONNX_PROFILE=shapes: one line per op type and input shapes ("c" marks constants).
  bool profile_shapes = profile && std::string_view(std::getenv("PARLEY_ONNX_PROFILE")) == "shapes";
  std::map<std::string, std::pair<double, int64_t>, std::less<>> op_times;

  Impl(const Model& m, kernels::ThreadPool& p, uint64_t seed) : model(m), pool(p), random(seed) {}
  ~Impl() {
    if (!profile || op_times.empty()) return;
    std::vector<std::pair<double, std::string>> rows;
    double total = 0;
    for (const auto& [op, t] : op_times) {
      rows.emplace_back(t.first, op);
      if (op != "If" && op != "Loop" && op != "Scan") total += t.first;
    }
    std::sort(rows.rbegin(), rows.rend());
    std::fprintf(stderr, "onnx profile (%s): %.3f ms CPU time in leaf ops\n",
                 model.path().c_str(), total);
    for (const auto& [ms, op] : rows) {
      std::fprintf(stderr, "  %-40s %10.3f ms %5.1f%% %8lld calls\n", op.c_str(), ms,
                   total > 0 ? 100.0 * ms / total : 0.0,
                   static_cast<long long>(op_times[op].second));
    }
  }

  int acquire(size_t bytes) {
    int best = -1;
    size_t best_size = std::numeric_limits<size_t>::max();
    for (size_t k = 0; k < free_buffers.size(); ++k) {
      size_t size = buffers[free_buffers[k]]->memory.size();
      if (size >= bytes && size < best_size) best = static_cast<int>(k), best_size = size;
    }
    int id;
    if (best >= 0) {
      id = free_buffers[best];
      free_buffers[best] = free_buffers.back();
      free_buffers.pop_back();
    } else {
      buffers.push_back(std::make_unique<Buffer>());
      buffers.back()->memory = kernels::AlignedBuffer(std::max<size_t>(bytes, 64));
      id = static_cast<int>(buffers.size()) - 1;
    }
    buffers[id]->refs = 1;
    return id;
  }
  void retain(int id) {
    if (id >= 0) ++buffers[id]->refs;
  }
  void release(int id) {
    if (id >= 0 && --buffers[id]->refs == 0) free_buffers.push_back(id);
  }
  // The live buffer whose bytes contain `p`, or -1 (constants, feeds).
  int buffer_containing(const void* p) const {
    if (p == nullptr) return -1;
    const uint8_t* q = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < buffers.size(); ++i) {
      const Buffer& b = *buffers[i];
      if (b.refs > 0 && q >= b.memory.data() && q < b.memory.data() + b.memory.size()) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  void reset_buffers() {
    free_buffers.clear();
    for (size_t i = 0; i < buffers.size(); ++i) {
      buffers[i]->refs = 0;
      free_buffers.push_back(static_cast<int>(i));
    }
  }

  Frame& frame_for(const Graph& g) {
    Frame& f = frames[&g];
    if (f.values.size() != g.slots.size()) {
      f.values.assign(g.slots.size(), Value{});
      f.buffer_of.assign(g.slots.size(), -1);
    }
    return f;
  }

  static const Value& get(const Graph& g, const Frame& f, int slot) {
    const Slot& s = g.slots[slot];
    if (s.constant != nullptr) return *s.constant;
    if (s.outer_slot >= 0) return get(*g.parent, *f.parent, s.outer_slot);
    return f.values[slot];
  }

  // Runs every node of g (those plan->run_node marks when a plan is given) with inputs already
  // bound in f; fills f.results (refs move to f.result_buffers, which the caller releases).
  void execute(const Graph& g, Frame& f, const RunPlan* plan = nullptr);
  // The plan of a partial run (made once per set of names; throws what run_part documents).
  const RunPlan& plan_for(const std::vector<std::string>& feed_names, const std::vector<std::string>& output_names);
  // Binds `feeds` (graph inputs by default; with a plan, its feed_slots) after checking them.
  void bind_feeds(const Model& m, Frame& f, const std::vector<std::pair<std::string, Value>>& feeds,
                  const RunPlan* plan);
};

namespace {

class NodeContext final : public OpContext {
 public:
  NodeContext(Session::Impl& s, const Graph& g, Frame& f, const detail::NodeState& node)
      : s_(s), g_(g), f_(f), node_(node), info_(node) {}
  ~NodeContext() override {
    for (int id : held_) s_.release(id);
  }

  int input_count() const override { return static_cast<int>(node_.inputs.size()); }
  const Value* input_or_null(int index) const override {
    if (index < 0 || index >= input_count() || node_.inputs[index] < 0) return nullptr;
    return &Session::Impl::get(g_, f_, node_.inputs[index]);
  }
  int output_count() const override { return static_cast<int>(node_.outputs.size()); }
  bool output_wanted(int index) const override {
    return index >= 0 && index < output_count() && node_.outputs[index] >= 0;
  }
  Value& allocate_output(int index, ElemType type, const Shape& shape) override {
    const std::optional<size_t> checked = checked_byte_size(type, shape);
    if (!checked.has_value()) fail("output shape " + shape.to_string() + " is negative or too large");
    if (*checked > kMaxTensorBytes) {
      fail("output " + std::to_string(index) + " of shape " + shape.to_string() + " would need " +
           std::to_string(*checked >> 20) + " MiB (limit " + std::to_string(kMaxTensorBytes >> 20) +
           " MiB)");
    }
    Value& v = output_slot(index);
    v.type = type;
    v.shape = shape;
    const size_t bytes = *checked;
    if (bytes == 0) {
      v.raw = nullptr;
      return v;
    }
    int id = s_.acquire(bytes);
    v.raw = s_.buffers[id]->memory.data();
    if (out_slot_ >= 0) f_.buffer_of[out_slot_] = id;
    else held_.push_back(id);
    return v;
  }
  void alias_output(int index, const Value& input, const Shape& shape) override {
    if (shape.element_count() != input.element_count()) {
      fail("alias_output: shape " + shape.to_string() + " does not match " + input.describe());
    }
    Value& v = output_slot(index);
    v = input;
    v.shape = shape;
    int id = s_.buffer_containing(input.raw);
    s_.retain(id);
    if (out_slot_ >= 0) f_.buffer_of[out_slot_] = id;
    else held_.push_back(id);
  }
  void* scratch_bytes(size_t bytes) override {
    if (bytes > kMaxTensorBytes) {
      fail("scratch of " + std::to_string(bytes >> 20) + " MiB exceeds the limit of " +
           std::to_string(kMaxTensorBytes >> 20) + " MiB");
    }
    return s_.scratch.allocate_bytes(bytes);
  }
  kernels::ThreadPool& pool() override { return s_.pool; }
  const NodeInfo& node() const override { return info_; }
  uint64_t next_random_seed() override { return s_.random(); }

  std::span<const Value> run_subgraph(const Graph& body, std::span<const Value> inputs) override {
    if (inputs.size() != body.input_slots.size()) {
      fail("subgraph '" + body.name + "' takes " + std::to_string(body.input_slots.size()) +
           " inputs, got " + std::to_string(inputs.size()));
    }
    Frame& sub = s_.frame_for(body);
    sub.parent = &f_;
    std::vector<int> previous = std::move(sub_results_);
    std::fill(sub.buffer_of.begin(), sub.buffer_of.end(), -1);
    for (size_t i = 0; i < inputs.size(); ++i) {
      int slot = body.input_slots[i];
      sub.values[slot] = inputs[i];
      int id = s_.buffer_containing(inputs[i].raw);
      s_.retain(id);
      sub.buffer_of[slot] = id;
    }
    s_.execute(body, sub);
    sub_results_ = std::move(sub.result_buffers);
    for (int id : previous) s_.release(id);  // the previous call's outputs, now consumed
    return sub.results;
  }

  int release_subgraph_results() {
    for (int id : sub_results_) s_.release(id);
    sub_results_.clear();
    return 0;
  }

 private:
  Value& output_slot(int index) {
    if (index < 0 || index >= output_count()) {
      fail("output index " + std::to_string(index) + " out of range");
    }
    out_slot_ = node_.outputs[index];
    if (out_slot_ < 0) return discard_.emplace_back();  // unnamed output: kept until node ends
    if (f_.buffer_of[out_slot_] >= 0) fail("output " + std::to_string(index) + " set twice");
    return f_.values[out_slot_];
  }

  Session::Impl& s_;
  const Graph& g_;
  Frame& f_;
  const detail::NodeState& node_;
  NodeInfo info_;
  int out_slot_ = -1;
  std::vector<int> held_;         // refs of unnamed outputs, released when the node ends
  std::vector<int> sub_results_;  // refs of the last run_subgraph outputs
  std::vector<Value> discard_;
};

}  // namespace

void Session::Impl::execute(const Graph& g, Frame& f, const RunPlan* plan) {
  const size_t count = g.nodes.size();
  for (size_t i = 0; i < count; ++i) {
    if (plan != nullptr && !plan->run_node[i]) {
      // Not needed: what only it would have read still ends here (fetched values excepted).
      for (int s : g.release_after[i]) {
        if (plan->keep[s]) continue;
        release(f.buffer_of[s]);
        f.buffer_of[s] = -1;
      }
      continue;
    }
    // Streaming models run thousands of small nodes between weight-heavy ones that evict their
    // bookkeeping from cache: fetch the next nodes' records ahead of use (two ahead for the node
    // itself, one ahead for what it points to).
    if (i + 2 < count) __builtin_prefetch(g.nodes[i + 2].get());
    if (i + 1 < count) {
      const detail::NodeState& next = *g.nodes[i + 1];
      __builtin_prefetch(next.inputs.data());
      __builtin_prefetch(next.outputs.data());
      __builtin_prefetch(next.kernel.get());
      __builtin_prefetch(g.release_after[i + 1].data());
      for (int s : next.inputs) {
        if (s >= 0) {
          __builtin_prefetch(&g.slots[s]);
          __builtin_prefetch(&f.values[s]);
        }
      }
    }
    const detail::NodeState& node = *g.nodes[i];
    for (int s : node.outputs) {
      if (s >= 0) f.values[s] = Value{}, f.buffer_of[s] = -1;
    }
    {
      NodeContext ctx(*this, g, f, node);
      if (profile) {
        const double start = process_cpu_ms();
        node.kernel->compute(ctx);
        std::string key = node.proto->op_type();
        if (profile_shapes) {
          for (int k = 0; k < ctx.input_count() && k < 3; ++k) {
            const Value* v = ctx.input_or_null(k);
            key += v == nullptr ? " -" : (g.slots[node.inputs[k]].constant ? " c" : " ") +
                                             v->shape.to_string();
          }
        }
        auto& entry = op_times[key];
        entry.first += process_cpu_ms() - start;
        ++entry.second;
      } else {
        node.kernel->compute(ctx);
      }
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        int s = node.outputs[k];
        if (s >= 0 && f.values[s].type == ElemType::kUndefined) {
          ctx.fail("output " + std::to_string(k) + " was not produced");
        }
      }
      ctx.release_subgraph_results();
    }
    scratch.reset();
    for (int s : g.release_after[i]) {
      if (plan != nullptr && plan->keep[s]) continue;
      release(f.buffer_of[s]);
      f.buffer_of[s] = -1;
    }
  }
  f.results.clear();
  f.result_buffers.clear();
  for (int s : plan != nullptr ? plan->result_slots : g.output_slots) {
    f.results.push_back(get(g, f, s));
    int id = f.buffer_of[s];
    if (id < 0 && g.slots[s].outer_slot >= 0) id = buffer_containing(f.results.back().raw);
    retain(id);
    f.result_buffers.push_back(id);
  }
  for (size_t s = 0; s < f.buffer_of.size(); ++s) {  // inputs nobody read, outputs
    release(f.buffer_of[s]);
    f.buffer_of[s] = -1;
  }
}

Session::Session(std::shared_ptr<const Model> model, kernels::ThreadPool& pool,
                 const SessionOptions& options)
    : model_(std::move(model)),
      impl_(std::make_unique<Impl>(*model_, pool, options.random_seed)) {}

Session::~Session() = default;

size_t Session::arena_bytes() const {
  size_t total = impl_->scratch.capacity();
  for (const auto& b : impl_->buffers) total += b->memory.size();
  return total;
}

namespace {

// Checks a value fed for a graph input against the input's declared type and fixed dims.
void check_graph_input(const Model& m, const ValueInfo& info, const Value& value) {
  const std::string& name = info.name;
  if (info.type != ElemType::kUndefined && value.type != info.type) {
    throw Error(m.path() + ": run: input '" + name + "' must be " + std::string(elem_type_name(info.type)) +
                ", got " + value.describe());
  }
  if (info.has_shape) {
    bool ok = static_cast<int>(info.dims.size()) == value.shape.rank();
    for (int d = 0; ok && d < value.shape.rank(); ++d) {
      ok = info.dims[d] < 0 || info.dims[d] == value.shape[d];
    }
    if (!ok) {
      throw Error(m.path() + ": run: input '" + name + "' must have shape " + info.shape_string() + ", got " +
                  value.describe());
    }
  }
}

}  // namespace

void Session::Impl::bind_feeds(const Model& m, Frame& f, const std::vector<std::pair<std::string, Value>>& feeds,
                               const RunPlan* plan) {
  const Graph& g = m.graph();
  std::vector<bool> fed(g.input_slots.size(), false);
  for (size_t i = 0; i < feeds.size(); ++i) {
    const auto& [name, value] = feeds[i];
    // An init-capture: clang 14 cannot capture a structured binding by name.
    auto it = std::find_if(g.inputs.begin(), g.inputs.end(), [&feed_name = name](const ValueInfo& in) {
      return in.name == feed_name;
    });
    if (it == g.inputs.end() && plan == nullptr) throw Error(m.path() + ": run: no graph input named '" + name + "'");
    if (it != g.inputs.end()) {
      check_graph_input(m, *it, value);
      fed[static_cast<size_t>(it - g.inputs.begin())] = true;
    }
    if (value.shape.element_count() > 0 && value.raw == nullptr) {
      throw Error(m.path() + ": run: input '" + name + "' has no data");
    }
    const int slot = plan != nullptr ? plan->feed_slots[i] : g.input_slots[static_cast<size_t>(it - g.inputs.begin())];
    f.values[slot] = value;
  }
  if (plan != nullptr) return;  // the plan checked that what it needs is fed
  for (size_t k = 0; k < fed.size(); ++k) {
    if (!fed[k]) throw Error(m.path() + ": run: input '" + g.inputs[k].name + "' not fed");
  }
}

std::vector<Value> Session::run(const std::vector<std::pair<std::string, Value>>& feeds,
                                const std::vector<std::string>& output_names) {
  const Graph& g = model_->graph();
  Impl& s = *impl_;
  s.reset_buffers();
  s.scratch.reset();
  Frame& f = s.frame_for(g);
  f.parent = nullptr;
  std::fill(f.buffer_of.begin(), f.buffer_of.end(), -1);
  s.bind_feeds(*model_, f, feeds, nullptr);
  s.execute(g, f);
  if (output_names.empty()) return f.results;
  std::vector<Value> out;
  out.reserve(output_names.size());
  for (const std::string& name : output_names) {
    auto it = std::find_if(g.outputs.begin(), g.outputs.end(),
                           [&](const ValueInfo& o) { return o.name == name; });
    if (it == g.outputs.end()) {
      throw Error(model_->path() + ": run: no graph output named '" + name + "'");
    }
    out.push_back(f.results[static_cast<size_t>(it - g.outputs.begin())]);
  }
  return out;
}

const RunPlan& Session::Impl::plan_for(const std::vector<std::string>& feed_names,
                                       const std::vector<std::string>& output_names) {
  const Graph& g = model.graph();
  const std::string& path = model.path();
  std::string key;
  for (const std::string& name : feed_names) key += name + '\n';
  key += '\t';
  for (const std::string& name : output_names) key += name + '\n';
  if (auto found = plans.find(key); found != plans.end()) return found->second;
  RunPlan plan;
  plan.run_node.assign(g.nodes.size(), 0);
  plan.keep.assign(g.slots.size(), 0);
  std::vector<uint8_t> fed(g.slots.size(), 0);
  auto slot_of = [&](const std::string& name, const char* what) {
    const int slot = g.find_slot(name);
    if (slot < 0 || g.slots[static_cast<size_t>(slot)].outer_slot >= 0)
      throw Error(path + ": run_part: no value named '" + name + "' (" + what + ")");
    return slot;
  };
  for (const std::string& name : feed_names) {
    const int slot = slot_of(name, "fed");
    if (g.slots[static_cast<size_t>(slot)].constant != nullptr)
      throw Error(path + ": run_part: '" + name + "' is a constant of the model; it cannot be fed");
    if (fed[static_cast<size_t>(slot)]) throw Error(path + ": run_part: '" + name + "' fed twice");
    fed[static_cast<size_t>(slot)] = 1;
    plan.feed_slots.push_back(slot);
  }
  std::vector<int> work;
  for (const std::string& name : output_names) {
    const int slot = slot_of(name, "fetched");
    plan.result_slots.push_back(slot);
    plan.keep[static_cast<size_t>(slot)] = 1;
    work.push_back(slot);
  }
  std::vector<uint8_t> seen(g.slots.size(), 0);
  while (!work.empty()) {
    const int slot = work.back();
    work.pop_back();
    if (seen[static_cast<size_t>(slot)]) continue;
    seen[static_cast<size_t>(slot)] = 1;
    const Slot& info = g.slots[static_cast<size_t>(slot)];
    if (fed[static_cast<size_t>(slot)] || info.constant != nullptr) continue;
    if (info.producer < 0) throw Error(path + ": run_part: input '" + info.name + "' is needed and not fed");
    const detail::NodeState& node = *g.nodes[static_cast<size_t>(info.producer)];
    if (plan.run_node[static_cast<size_t>(info.producer)]) continue;
    plan.run_node[static_cast<size_t>(info.producer)] = 1;
    for (int out : node.outputs) {
      if (out >= 0 && fed[static_cast<size_t>(out)])
        throw Error(path + ": run_part: '" + g.slots[static_cast<size_t>(out)].name +
                    "' is fed, but the node computing it is needed for '" + info.name + "'");
    }
    for (int in : node.inputs) {
      if (in >= 0) work.push_back(in);
    }
    for (int in : node.implicit_inputs) work.push_back(in);
  }
  return plans.emplace(std::move(key), std::move(plan)).first->second;
}

void Session::prepare_part(const std::vector<std::string>& feed_names,
                           const std::vector<std::string>& output_names) {
  impl_->plan_for(feed_names, output_names);
}

std::vector<Value> Session::run_part(const std::vector<std::pair<std::string, Value>>& feeds,
                                     const std::vector<std::string>& output_names) {
  const Graph& g = model_->graph();
  Impl& s = *impl_;
  std::vector<std::string> feed_names;
  feed_names.reserve(feeds.size());
  for (const auto& feed : feeds) feed_names.push_back(feed.first);
  const RunPlan& plan = s.plan_for(feed_names, output_names);
  s.reset_buffers();
  s.scratch.reset();
  Frame& f = s.frame_for(g);
  f.parent = nullptr;
  std::fill(f.buffer_of.begin(), f.buffer_of.end(), -1);
  s.bind_feeds(*model_, f, feeds, &plan);
  s.execute(g, f, &plan);
  return f.results;
}

}  // namespace parley::onnx
