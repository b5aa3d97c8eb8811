// The assistant's config file (AssistantConfig::from_json): every section, key, type and limit,
// then validate(), the to_json() round trip, and `--set key=value` assignments taken from the
// input after a '\xff'. Seeds: config files from tests/pipeline/config_test.cc and the defaults.
#include <string>

#include "assistant/core/config.h"
#include "kernels/error.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(assistant_config) {
  std::string_view rest = parley::fuzz::as_text(data, size);
  const std::string_view json = parley::fuzz::take_field(rest);
  parley::assistant::AssistantConfig config;
  try {
    config = parley::assistant::AssistantConfig::from_json(json, "fuzz.json");
    // load(to_json()) gives the same config (header contract).
    const std::string printed = config.to_json();
    const auto again = parley::assistant::AssistantConfig::from_json(printed, "printed.json");
    if (again.to_json() != printed) __builtin_trap();
  } catch (const parley::Error&) {
  }
  while (!rest.empty()) {
    const std::string_view assignment = parley::fuzz::take_field(rest);
    try {
      config.apply_assignment(assignment);
      config.validate();
    } catch (const parley::Error&) {
    }
  }
  return 0;
}
