// Model loading: protobuf parse (libprotobuf through libonnx), checker, shape inference, opset
// resolution, graph building; and the `parley inspect` description.
#include "kernels/onnx/model.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "kernels/error.h"
#include "kernels/onnx/model_data.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/proto_utils.h"
#include "onnx/shape_inference/implementation.h"

namespace parley::onnx {
namespace {

std::unique_ptr<::onnx::ModelProto> parse_model_file(const std::string& path) {
  kernels::MappedFile file(path);
  if (file.size() == 0) throw Error(path + ": empty file, not an ONNX model");
  auto proto = std::make_unique<::onnx::ModelProto>();
  if (!::onnx::ParseProtoFromBytes(proto.get(), reinterpret_cast<const char*>(file.data()),
                                   file.size())) {
    throw Error(path + ": not a valid ONNX model (protobuf parse failed: truncated or corrupt)");
  }
  if (!proto->has_graph()) throw Error(path + ": ONNX model has no graph");
  if (proto->ir_version() <= 0) {
    throw Error(path + ": ONNX model has no ir_version (not an ONNX model?)");
  }
  return proto;
}

std::map<std::string, int> read_opsets(const ::onnx::ModelProto& proto, const std::string& path) {
  std::map<std::string, int> opsets;
  for (const auto& op : proto.opset_import()) {
    if (op.version() <= 0 || op.version() > 10000) {
      throw Error(path + ": opset_import of domain '" + op.domain() + "' has bad version " +
                  std::to_string(op.version()));
    }
    opsets[std::string(canonical_domain(op.domain()))] = static_cast<int>(op.version());
  }
  if (proto.ir_version() < 3 && opsets.empty()) opsets[""] = 1;  // IR v1/v2 had no opset_import
  return opsets;
}

void count_ops(const ::onnx::GraphProto& g, const std::map<std::string, int>& opsets,
               std::map<std::string, int>& histogram, std::set<std::string>& unsupported,
               const OpRegistry& registry) {
  for (const auto& node : g.node()) {
    std::string domain(canonical_domain(node.domain()));
    histogram[domain.empty() ? node.op_type() : domain + ":" + node.op_type()]++;
    auto it = opsets.find(domain);
    int opset = it == opsets.end() ? 0 : it->second;
    if (registry.find(domain, node.op_type(), opset) == nullptr) {
      unsupported.insert((domain.empty() ? std::string("ai.onnx") : domain) + ":" +
                         node.op_type() + " opset " + std::to_string(opset));
    }
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) count_ops(attr.g(), opsets, histogram, unsupported, registry);
      for (const auto& sub : attr.graphs()) count_ops(sub, opsets, histogram, unsupported, registry);
    }
  }
}

void list_ops(const ::onnx::GraphProto& g, std::vector<std::string>& out) {
  for (const auto& node : g.node()) {
    std::string domain(canonical_domain(node.domain()));
    out.push_back(domain.empty() ? node.op_type() : domain + ":" + node.op_type());
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) list_ops(attr.g(), out);
      for (const auto& sub : attr.graphs()) list_ops(sub, out);
    }
  }
}

// libonnx 1.12's shape-inference functions trust what the checker would have verified: they read
// required attributes without checking that they are there (Scan-9 and num_scan_inputs) and the
// types of inputs that nothing defines (EyeLike reading an undefined input): SEGVs found by
// tests/fuzz. Shape inference therefore runs only when every node, subgraphs included, reads
// names defined before it (graph inputs, initializers, earlier outputs, the enclosing scope) and
// passes its schema's own verification where libonnx knows the schema (attribute names, types and
// presence, input and output counts). Returns the first problem, "" when there is none.
std::string first_schema_problem(const ::onnx::GraphProto& g,
                                 const std::map<std::string, int>& opsets,
                                 std::set<std::string> defined = {}) {
  for (const auto& in : g.input()) defined.insert(in.name());
  for (const auto& init : g.initializer()) defined.insert(init.name());
  for (const auto& node : g.node()) {
    for (const std::string& in : node.input()) {
      if (!in.empty() && defined.count(in) == 0)
        return "node '" + node.name() + "' (" + node.op_type() + ") reads '" + in +
               "', which nothing before it defines";
    }
    const std::string domain(canonical_domain(node.domain()));
    if (auto it = opsets.find(domain); it != opsets.end()) {
      const ::onnx::OpSchema* schema =
          ::onnx::OpSchemaRegistry::Schema(node.op_type(), it->second, domain);
      if (schema != nullptr) {
        try {
          schema->Verify(node);
        } catch (const std::exception& e) {
          return e.what();
        }
      }
    }
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) {
        if (std::string problem = first_schema_problem(attr.g(), opsets, defined); !problem.empty())
          return problem;
      }
      for (const auto& sub : attr.graphs()) {
        if (std::string problem = first_schema_problem(sub, opsets, defined); !problem.empty())
          return problem;
      }
    }
    for (const std::string& out : node.output()) defined.insert(out);
  }
  return "";
}

}  // namespace

std::vector<std::string> list_model_ops(const std::string& path) {
  std::vector<std::string> out;
  list_ops(parse_model_file(path)->graph(), out);
  return out;
}

std::shared_ptr<const Model> Model::load(const std::string& path, const ModelOptions& options) {
  auto data = std::make_unique<ModelData>();
  data->path = path;
  data->folder = std::filesystem::path(path).parent_path().string();
  if (data->folder.empty()) data->folder = ".";
  data->registry = options.registry != nullptr ? options.registry : &OpRegistry::builtin();
  data->fold_constants = options.fold_constants;
  data->proto = parse_model_file(path);
  ::onnx::ModelProto& proto = *data->proto;
  data->ir_version = proto.ir_version();
  data->producer = proto.producer_name() +
                   (proto.producer_version().empty() ? "" : " " + proto.producer_version());
  data->opsets = read_opsets(proto, path);
  for (const auto& prop : proto.metadata_props()) data->metadata[prop.key()] = prop.value();

  if (options.run_checker) {
    try {
      ::onnx::checker::check_model(proto);
    } catch (const std::exception& e) {
      data->diagnostics.push_back(std::string("checker: ") + e.what());
    }
  }
  if (options.infer_shapes) {
    if (std::string problem = first_schema_problem(proto.graph(), data->opsets); !problem.empty()) {
      data->diagnostics.push_back("shape inference skipped: " + problem);
    } else {
      try {
        ::onnx::shape_inference::InferShapes(proto);
      } catch (const std::exception& e) {
        data->diagnostics.push_back(std::string("shape inference: ") + e.what());
      }
    }
  }

  std::vector<std::string> missing;
  data->graph = build_graph(proto.graph(), *data, nullptr, missing);
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw Error(path + ": unsupported operators (" + std::to_string(missing.size()) + "): " + list);
  }
  return std::make_shared<const Model>(PrivateTag{}, std::move(data));
}

Model::Model(PrivateTag, std::unique_ptr<ModelData> data) : data_(std::move(data)) {}
Model::~Model() = default;

const std::string& Model::path() const { return data_->path; }
int64_t Model::ir_version() const { return data_->ir_version; }
const std::string& Model::producer() const { return data_->producer; }
const std::map<std::string, int>& Model::opsets() const { return data_->opsets; }
const std::map<std::string, std::string>& Model::metadata() const { return data_->metadata; }
std::string Model::metadata(std::string_view key) const {
  auto it = data_->metadata.find(std::string(key));
  return it == data_->metadata.end() ? std::string() : it->second;
}
const std::vector<ValueInfo>& Model::inputs() const { return data_->graph->inputs; }
const std::vector<ValueInfo>& Model::outputs() const { return data_->graph->outputs; }
const Graph& Model::graph() const { return *data_->graph; }
const std::vector<std::string>& Model::diagnostics() const { return data_->diagnostics; }
std::string Model::node_input_name(std::string_view node_name, int index) const {
  for (const auto& node : data_->graph->nodes) {
    if (node->proto->name() != node_name) continue;
    if (index < 0 || index >= node->proto->input_size()) return "";
    return node->proto->input(index);
  }
  return "";
}
int Model::runtime_node_count() const { return data_->runtime_node_count; }
int Model::file_node_count() const { return data_->file_node_count; }

std::string describe_model_file(const std::string& path) {
  std::unique_ptr<::onnx::ModelProto> proto = parse_model_file(path);
  std::map<std::string, int> opsets = read_opsets(*proto, path);
  std::ostringstream out;
  out << "file: " << path << "\nformat: ONNX, ir_version " << proto->ir_version() << "\n";
  out << "producer: " << proto->producer_name() << " " << proto->producer_version() << "\n";
  out << "opsets:";
  for (const auto& [domain, version] : opsets) {
    out << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
  }
  out << "\n";
  try {
    if (first_schema_problem(proto->graph(), opsets).empty())  // see first_schema_problem
      ::onnx::shape_inference::InferShapes(*proto);
  } catch (const std::exception&) {
    // Shapes stay as declared.
  }
  std::set<std::string> initializers;
  for (const auto& init : proto->graph().initializer()) initializers.insert(init.name());
  out << "inputs:\n";
  for (const auto& in : proto->graph().input()) {
    if (initializers.count(in.name()) > 0) continue;
    ValueInfo info = decode_value_info(in);
    out << "  " << info.name << ": " << elem_type_name(info.type) << info.shape_string() << "\n";
  }
  out << "outputs:\n";
  for (const auto& o : proto->graph().output()) {
    ValueInfo info = decode_value_info(o);
    out << "  " << info.name << ": " << elem_type_name(info.type) << info.shape_string() << "\n";
  }
  out << "initializers: " << proto->graph().initializer_size() << "\n";
  std::map<std::string, int> histogram;
  std::set<std::string> unsupported;
  count_ops(proto->graph(), opsets, histogram, unsupported, OpRegistry::builtin());
  std::vector<std::pair<std::string, int>> ops(histogram.begin(), histogram.end());
  std::stable_sort(ops.begin(), ops.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  out << "ops (" << ops.size() << " types, subgraphs included):\n";
  for (const auto& [op, count] : ops) out << "  " << op << " x" << count << "\n";
  if (unsupported.empty()) {
    out << "supported: yes, every op has a kernel\n";
  } else {
    out << "supported: no, missing " << unsupported.size() << ":";
    for (const std::string& m : unsupported) out << " " << m << ";";
    out << "\n";
  }
  out << "metadata:" << (proto->metadata_props().empty() ? " none" : "") << "\n";
  for (const auto& prop : proto->metadata_props()) {
    std::string value = prop.value();
    if (value.size() > 200) value = value.substr(0, 200) + "... (" +
                                    std::to_string(prop.value().size()) + " bytes)";
    out << "  " << prop.key() << " = " << value << "\n";
  }
  return out.str();
}

}  // namespace parley::onnx
