#include "llm/hf_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/error.h"

namespace parley::llm {
namespace {

using Json = nlohmann::json;

struct ArchName {
  const char* hf;
  const char* gguf;
};
constexpr ArchName kArchitectures[] = {
    {"LlamaForCausalLM", "llama"},
    {"MistralForCausalLM", "llama"},
    {"Qwen2ForCausalLM", "qwen2"},
};

class Reader {
 public:
  Reader(const Json& root, std::string path) : root_(root), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(path_ + ": field '" + field + "' " + what);
  }
  const Json* find(const std::string& field) const {
    auto it = root_.find(field);
    return it == root_.end() || it->is_null() ? nullptr : &*it;
  }
  std::optional<int64_t> integer(const std::string& field, int64_t min_value,
                                 int64_t max_value) const {
    const Json* v = find(field);
    if (v == nullptr) return std::nullopt;
    if (v->is_array() && !v->empty()) v = &(*v)[0];  // eos_token_id may be a list
    if (!v->is_number_integer()) fail(field, "is " + v->dump() + ", expected an integer");
    const int64_t value = v->get<int64_t>();
    if (value < min_value || value > max_value)
      fail(field, "= " + std::to_string(value) + " is out of range (" + std::to_string(min_value) +
                      ".." + std::to_string(max_value) + ")");
    return value;
  }
  int64_t required(const std::string& field, int64_t min_value, int64_t max_value) const {
    auto v = integer(field, min_value, max_value);
    if (!v) fail(field, "is missing");
    return *v;
  }
  std::optional<double> number(const std::string& field) const {
    const Json* v = find(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) fail(field, "is " + v->dump() + ", expected a number");
    return v->get<double>();
  }
  std::optional<bool> boolean(const std::string& field) const {
    const Json* v = find(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) fail(field, "is " + v->dump() + ", expected true or false");
    return v->get<bool>();
  }

 private:
  const Json& root_;
  std::string path_;
};

}  // namespace

std::vector<std::string> supported_hf_architectures() {
  std::vector<std::string> names;
  for (const ArchName& a : kArchitectures) names.emplace_back(a.hf);
  return names;
}

HfConfig read_hf_config(const std::string& dir) {
  namespace fs = std::filesystem;
  HfConfig c;
  c.path = (fs::path(dir) / "config.json").string();
  std::ifstream in(c.path, std::ios::binary);
  if (!in) throw Error(c.path + ": cannot open (is '" + dir + "' a Hugging Face model folder?)");
  std::ostringstream text;
  text << in.rdbuf();
  Json root;
  try {
    root = Json::parse(text.str());
  } catch (const Json::exception& e) {
    throw Error(c.path + ": invalid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) throw Error(c.path + ": not a JSON object");
  const Reader r(root, c.path);

  // Architecture: "architectures": ["LlamaForCausalLM"], else model_type.
  std::string supported;
  for (const auto& n : supported_hf_architectures())
    supported += (supported.empty() ? "" : ", ") + n;
  if (const Json* archs = r.find("architectures")) {
    if (!archs->is_array() || archs->empty() || !(*archs)[0].is_string())
      r.fail("architectures", "is not a list of architecture names");
    c.hf_architecture = (*archs)[0].get<std::string>();
  } else if (const Json* type = r.find("model_type"); type && type->is_string()) {
    const std::string t = type->get<std::string>();
    c.hf_architecture = t == "llama"     ? "LlamaForCausalLM"
                        : t == "mistral" ? "MistralForCausalLM"
                        : t == "qwen2"   ? "Qwen2ForCausalLM"
                                         : t;
  } else {
    r.fail("architectures", "is missing (and there is no model_type)");
  }
  for (const ArchName& a : kArchitectures)
    if (c.hf_architecture == a.hf) c.architecture = a.gguf;
  if (c.architecture.empty())
    throw Error(c.path + ": architecture '" + c.hf_architecture +
                "' is not supported (supported: " + supported + ")");

  c.name = fs::path(dir).filename().string();
  if (c.name.empty()) c.name = fs::path(dir).parent_path().filename().string();
  if (const Json* n = r.find("_name_or_path");
      n && n->is_string() && !n->get<std::string>().empty())
    c.name = fs::path(n->get<std::string>()).filename().string();

  c.hidden_size = r.required("hidden_size", 1, 1 << 16);
  c.intermediate_size = r.required("intermediate_size", 1, 1 << 18);
  c.num_hidden_layers = r.required("num_hidden_layers", 1, 1024);
  c.num_attention_heads = r.required("num_attention_heads", 1, 1024);
  c.vocab_size = r.required("vocab_size", 1, 1 << 24);
  c.num_key_value_heads =
      r.integer("num_key_value_heads", 1, c.num_attention_heads).value_or(c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    r.fail("num_key_value_heads",
           "= " + std::to_string(c.num_key_value_heads) + " does not divide num_attention_heads");
  if (auto hd = r.integer("head_dim", 2, 4096)) {
    c.head_dim = *hd;
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      r.fail("num_attention_heads", "does not divide hidden_size");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = r.integer("max_position_embeddings", 1, 1 << 24).value_or(2048);
  c.rms_norm_eps = r.number("rms_norm_eps").value_or(1e-6);
  if (!(c.rms_norm_eps > 0) || c.rms_norm_eps > 1) r.fail("rms_norm_eps", "must be in (0, 1]");
  c.rope_theta = r.number("rope_theta").value_or(10000.0);
  if (!(c.rope_theta > 0)) r.fail("rope_theta", "must be > 0");
  c.tie_word_embeddings = r.boolean("tie_word_embeddings").value_or(false);
  c.attention_bias = r.boolean("attention_bias").value_or(false);
  if (c.architecture == "llama" && c.attention_bias)
    r.fail("attention_bias", "is true: llama attention biases are not supported");
  if (const Json* scaling = r.find("rope_scaling")) {
    if (!scaling->is_object()) r.fail("rope_scaling", "is not an object");
    std::string type;
    for (const char* key : {"type", "rope_type"})
      if (auto it = scaling->find(key); it != scaling->end() && it->is_string())
        type = it->get<std::string>();
    if (type == "linear") {
      auto f = scaling->find("factor");
      if (f == scaling->end() || !f->is_number() || !(f->get<double>() > 0))
        r.fail("rope_scaling", "type linear needs a positive 'factor'");
      c.rope_linear_factor = f->get<double>();
    } else if (type != "default" && !type.empty()) {
      r.fail("rope_scaling", "type '" + type + "' is not supported (linear)");
    }
  }
  c.bos_token_id = r.integer("bos_token_id", 0, c.vocab_size - 1);
  c.eos_token_id = r.integer("eos_token_id", 0, c.vocab_size - 1);
  c.pad_token_id = r.integer("pad_token_id", 0, c.vocab_size - 1);
  return c;
}

}  // namespace parley::llm
