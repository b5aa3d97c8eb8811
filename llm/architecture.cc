#include "llm/architecture.h"

namespace parley::llm {
namespace {

// One line per supported architecture.
const ArchitectureSpec* const kArchitectures[] = {
    &kArchitectureLlama,
    &kArchitectureQwen2,
};

}  // namespace

const ArchitectureSpec* find_architecture(std::string_view name) {
  for (const ArchitectureSpec* spec : kArchitectures) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

std::vector<std::string_view> supported_architectures() {
  std::vector<std::string_view> names;
  for (const ArchitectureSpec* spec : kArchitectures) names.push_back(spec->name);
  return names;
}

}  // namespace parley::llm
