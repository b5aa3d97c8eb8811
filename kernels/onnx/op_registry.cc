#include <mutex>

#include "kernels/error.h"
#include "kernels/onnx/op_kernel.h"

namespace parley::onnx {

void register_builtin_ops(OpRegistry& registry);  // op_families.cc

std::string_view canonical_domain(std::string_view domain) {
  return domain == "ai.onnx" ? std::string_view() : domain;
}

void OpRegistry::add(std::string_view domain, std::string_view op_type, int since_version,
                     int until_version, KernelFactory factory) {
  domain = canonical_domain(domain);
  if (since_version < 1 || until_version < since_version || !factory) {
    throw Error("onnx op registry: bad entry for " + std::string(op_type) + " [" +
                std::to_string(since_version) + ", " + std::to_string(until_version) + "]");
  }
  for (const OpRegistration& e : entries_) {
    if (e.domain == domain && e.op_type == op_type && since_version <= e.until_version &&
        e.since_version <= until_version) {
      throw Error("onnx op registry: " + std::string(op_type) + " registered twice for opset " +
                  std::to_string(std::max(since_version, e.since_version)));
    }
  }
  entries_.push_back(OpRegistration{std::string(domain), std::string(op_type), since_version,
                                    until_version, std::move(factory)});
}

const OpRegistration* OpRegistry::find(std::string_view domain, std::string_view op_type,
                                       int opset) const {
  domain = canonical_domain(domain);
  for (const OpRegistration& e : entries_) {
    if (e.domain == domain && e.op_type == op_type && e.since_version <= opset &&
        opset <= e.until_version) {
      return &e;
    }
  }
  return nullptr;
}

const OpRegistry& OpRegistry::builtin() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_builtin_ops(r);
    return r;
  }();
  return registry;
}

}  // namespace parley::onnx
