// parley config: the effective settings — the config file (--config, else the default location)
// with --set overrides applied — printed as JSON, or the table of every key.
//
//   parley config --print                                  # defaults +
//   ~/.config/parley/config.json parley config --print --config kiosk.json --set vad.threshold=0.6
//   --set tools.enabled=false parley config --keys                                   # key, type,
//   limits, description
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "assistant/commands.h"
#include "assistant/core/config.h"

namespace parley::assistant {
namespace {

struct ConfigCommandOptions {
  std::string config_path;
  std::vector<std::string> assignments;
  bool print = false;
  bool keys = false;
};

const char* kind_label(ConfigValueKind kind) {
  switch (kind) {
    case ConfigValueKind::kBool:
      return "bool";
    case ConfigValueKind::kInt:
      return "int";
    case ConfigValueKind::kFloat:
      return "number";
    case ConfigValueKind::kString:
      return "string";
    case ConfigValueKind::kStringList:
      return "list";
  }
  return "?";
}

void run_config(const ConfigCommandOptions& options) {
  if (options.keys) {
    for (const ConfigFieldInfo& f : config_fields()) {
      std::printf("%-36s %-7s %-22s %s\n", f.key.c_str(), kind_label(f.kind), f.limits.c_str(),
                  f.description.c_str());
    }
    return;
  }
  std::string loaded_from;
  const AssistantConfig config =
      load_effective_config(options.config_path, options.assignments, &loaded_from);
  std::fprintf(stderr, "parley: config: %s\n",
               loaded_from.empty() ? ("defaults (no file at " + default_config_path() + ")").c_str()
                                   : loaded_from.c_str());
  std::printf("%s\n", config.to_json().c_str());
}

}  // namespace

void add_config_command(CLI::App& app) {
  auto options = std::make_shared<ConfigCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "config", "Print the effective settings (config file + --set overrides) as JSON");
  cmd->add_option(
      "--config", options->config_path,
      "Config file (default: $XDG_CONFIG_HOME/parley/config.json or ~/.config/parley/config.json)");
  cmd->add_option("--set", options->assignments,
                  "Override one setting: key=value (repeatable), e.g. vad.threshold=0.6");
  cmd->add_flag("--print", options->print,
                "Print the effective settings as JSON (the default action)");
  cmd->add_flag("--keys", options->keys, "List every key with its type, limits and meaning");
  cmd->callback([options] { run_config(*options); });
}

}  // namespace parley::assistant
