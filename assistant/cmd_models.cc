// parley models [--json] [--no-verify] [--dir D]   what is installed, checksums verified
// parley models fetch NAME [--dir D]              download a known real model (resumable)
// parley models which KIND [--dir D]              the path the product uses for llm|asr|vad|voice
// Each takes --manifest FILE to use another catalogue than the built-in one.
// The catalogue is models/manifest.json (embedded at build time); folders and lookup order are
// documented in assistant/models/model_store.h and models/README.md.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assistant/commands.h"
#include "assistant/models/manifest.h"
#include "assistant/models/model_store.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

using models::FileState;
using models::ModelStatus;

struct ModelsCommandOptions {
  bool json = false;
  bool no_verify = false;
  std::string dir;  // an extra folder searched first (list/which) or the destination (fetch)
  std::string name;
  std::string kind;
  std::string manifest_path;  // "" = the built-in models/manifest.json
};

const models::Manifest& catalogue(const ModelsCommandOptions& options) {
  static models::Manifest loaded;
  if (options.manifest_path.empty()) return models::embedded_manifest();
  loaded = models::Manifest::from_file(options.manifest_path);
  return loaded;
}

std::vector<models::SearchRoot> search_roots(const std::string& extra_dir) {
  std::vector<models::SearchRoot> roots = models::default_search_roots();
  if (!extra_dir.empty()) roots.insert(roots.begin(), {extra_dir, "--dir"});
  return roots;
}

std::string format_megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

std::string status_word(const ModelStatus& status) {
  if (!status.installed()) {
    for (const models::FileStatus& file : status.files) {
      if (file.state == FileState::kPartial) return "partial download";
    }
    return status.model->downloadable() ? "not installed" : "missing";
  }
  for (const models::FileStatus& file : status.files) {
    if (file.state == FileState::kCorrupt) return "CORRUPT";
    if (file.state == FileState::kWrongSize) return "CORRUPT (size)";
    if (file.state == FileState::kMissing || file.state == FileState::kPartial) return "INCOMPLETE";
  }
  for (const models::FileStatus& file : status.files) {
    if (file.state == FileState::kUnverified || file.state == FileState::kUnpacked)
      return "installed (not verified)";
  }
  return "ok";
}

nlohmann::json status_json(const ModelStatus& status) {
  const models::ModelEntry& model = *status.model;
  nlohmann::json files = nlohmann::json::array();
  for (size_t i = 0; i < model.files.size(); ++i) {
    const models::ModelFile& file = model.files[i];
    const models::FileStatus& found = status.files[i];
    files.push_back(
        {{"path", found.path},
         {"state", std::string(models::file_state_name(found.state))},
         {"size", found.size_bytes},
         {"expected_size", file.size_bytes ? nlohmann::json(*file.size_bytes) : nlohmann::json()},
         {"expected_sha256", file.sha256 ? nlohmann::json(*file.sha256) : nlohmann::json()},
         {"sha256",
          found.actual_sha256.empty() ? nlohmann::json() : nlohmann::json(found.actual_sha256)},
         {"url", file.url.empty() ? nlohmann::json() : nlohmann::json(file.url)}});
  }
  return {{"name", model.name},
          {"kind", std::string(models::model_kind_name(model.kind))},
          {"default", model.is_default},
          {"downloadable", model.downloadable()},
          {"installed", status.installed()},
          {"ok", status.ok()},
          {"status", status_word(status)},
          {"root", status.root},
          {"entry", status.entry_path},
          {"license", model.license},
          {"recipe", model.recipe},
          {"metrics", nlohmann::json::parse(model.metrics_json)},
          {"files", files}};
}

void list_models(const ModelsCommandOptions& options) {
  const models::Manifest& manifest = catalogue(options);
  std::vector<models::SearchRoot> roots = search_roots(options.dir);
  std::vector<ModelStatus> statuses = models::scan_models(manifest, roots, !options.no_verify);
  int broken = 0;
  for (const ModelStatus& status : statuses) broken += status.installed() && !status.ok();
  if (options.json) {
    nlohmann::json out = {{"folders", nlohmann::json::array()},
                          {"models", nlohmann::json::array()}};
    for (const models::SearchRoot& root : roots)
      out["folders"].push_back({{"path", root.path}, {"label", root.label}});
    for (const ModelStatus& status : statuses) out["models"].push_back(status_json(status));
    std::puts(out.dump(2).c_str());
  } else {
    std::printf("folders searched, in order:\n");
    for (const models::SearchRoot& root : roots)
      std::printf("  %s  (%s)\n", root.path.c_str(), root.label.c_str());
    std::printf("\n%-46s %-6s %-26s %s\n", "model", "kind", "status", "where");
    for (const ModelStatus& status : statuses) {
      std::string name = status.model->name + (status.model->is_default ? " *" : "");
      std::string where = status.installed() ? status.entry_path
                          : status.model->downloadable()
                              ? "parley models fetch " + status.model->name
                              : "(shipped; not found in the folders above)";
      std::printf("%-46s %-6s %-26s %s\n", name.c_str(),
                  std::string(models::model_kind_name(status.model->kind)).c_str(),
                  status_word(status).c_str(), where.c_str());
      for (size_t i = 0; i < status.files.size(); ++i) {
        const models::FileStatus& file = status.files[i];
        const models::ModelFile& expected = status.model->files[i];
        if (file.state == FileState::kCorrupt) {
          std::printf("    %s: sha256 %s, manifest says %s\n", file.path.c_str(),
                      file.actual_sha256.c_str(), expected.sha256->c_str());
        } else if (file.state == FileState::kWrongSize) {
          std::printf("    %s: %llu bytes, manifest says %llu\n", file.path.c_str(),
                      static_cast<unsigned long long>(file.size_bytes),
                      static_cast<unsigned long long>(*expected.size_bytes));
        } else if (status.installed() &&
                   (file.state == FileState::kMissing || file.state == FileState::kPartial)) {
          std::printf("    %s: %s\n", file.path.c_str(),
                      std::string(models::file_state_name(file.state)).c_str());
        }
      }
    }
    std::printf(
        "\n* = the shipped default of its kind%s\n",
        options.no_verify ? "; checksums not computed (--no-verify)" : "; checksums verified");
  }
  if (broken > 0) throw Error(std::to_string(broken) + " installed model(s) failed verification");
}

// Progress: one rewritten line on a terminal, a log line per 10% (or per 50 MB) otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string label)
      : label_(std::move(label)), terminal_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressPrinter() {
    if (terminal_ && drew_) std::fputc('\n', stderr);
  }
  void update(uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (first_bytes_ == UINT64_MAX) {
      first_bytes_ = done;
      start_ = now;
    }
    double seconds = std::chrono::duration<double>(now - start_).count();
    double rate_mb_s = seconds > 0 ? static_cast<double>(done - first_bytes_) / 1e6 / seconds : 0.0;
    if (terminal_) {
      if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      drew_ = true;
      if (total > 0) {
        std::fprintf(stderr, "\r%s: %s / %s  %5.1f%%  %.1f MB/s   ", label_.c_str(),
                     format_megabytes(done).c_str(), format_megabytes(total).c_str(),
                     100.0 * static_cast<double>(done) / static_cast<double>(total), rate_mb_s);
      } else {
        std::fprintf(stderr, "\r%s: %s  %.1f MB/s   ", label_.c_str(),
                     format_megabytes(done).c_str(), rate_mb_s);
      }
      std::fflush(stderr);
      return;
    }
    uint64_t step = total > 0 ? std::max<uint64_t>(total / 10, 1) : 50'000'000;
    if (done / step == last_step_ && done != total) return;
    last_step_ = done / step;
    std::fprintf(stderr, "%s: %s%s%s (%.1f MB/s)\n", label_.c_str(), format_megabytes(done).c_str(),
                 total > 0 ? " of " : "", total > 0 ? format_megabytes(total).c_str() : "",
                 rate_mb_s);
  }
  void end_line() {
    if (terminal_ && drew_) std::fputc('\n', stderr);
    drew_ = false;
  }

 private:
  std::string label_;
  bool terminal_;
  bool drew_ = false;
  uint64_t first_bytes_ = UINT64_MAX;
  uint64_t last_step_ = UINT64_MAX;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

void fetch(const ModelsCommandOptions& options) {
  const models::Manifest& manifest = catalogue(options);
  const models::ModelEntry* model = manifest.find(options.name);
  if (model == nullptr) {
    std::string known;
    for (const models::ModelEntry& entry : manifest.models) {
      if (entry.downloadable())
        known +=
            "\n  " + entry.name + " (" + std::string(models::model_kind_name(entry.kind)) + ")";
    }
    throw Error("unknown model \"" + options.name + "\"; downloadable models:" + known);
  }
  std::string dest_root = options.dir.empty() ? models::user_models_dir() : options.dir;
  std::fprintf(stderr, "fetching %s into %s\n", model->name.c_str(), dest_root.c_str());
  ProgressPrinter progress(model->name);
  models::DownloadOptions download;
  download.on_progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
  download.on_log = [&](const std::string& message) {
    progress.end_line();
    std::fprintf(stderr, "%s\n", message.c_str());
  };
  models::FetchResult result = models::fetch_model(*model, dest_root, download);
  progress.end_line();
  bool all_verified = true;
  for (const models::DownloadResult& file : result.downloads)
    all_verified = all_verified && file.verified;
  std::printf("%s\n", result.entry_path.c_str());
  std::fprintf(stderr, "%s: %d file(s) downloaded, %d already present%s\n", model->name.c_str(),
               result.downloaded_files, result.skipped_files,
               all_verified ? "" : "; some files have no published sha256 and were NOT verified");
}

void which(const ModelsCommandOptions& options) {
  std::optional<models::ModelKind> kind = models::parse_model_kind(options.kind);
  if (!kind) throw Error("unknown model kind \"" + options.kind + "\" (llm, asr, vad or voice)");
  std::puts(
      models::resolve_model(*kind, "", "", catalogue(options), search_roots(options.dir)).c_str());
}

}  // namespace

void add_models_command(CLI::App& app) {
  auto options = std::make_shared<ModelsCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "models", "List installed models and verify their checksums; fetch real ones");
  cmd->add_flag("--json", options->json,
                "One JSON document: folders and every model with its file states");
  cmd->add_flag("--no-verify", options->no_verify, "Check presence and sizes only (skip sha256)");
  cmd->add_option("--dir", options->dir, "An extra models folder, searched first");
  cmd->add_option("--manifest", options->manifest_path,
                  "Use this catalogue instead of the built-in one");

  CLI::App* fetch_cmd =
      cmd->add_subcommand("fetch", "Download a known real model (resumes; verifies sha256)");
  fetch_cmd->add_option("name", options->name, "Model name from `parley models`")->required();
  fetch_cmd->add_option("--dir", options->dir,
                        "Destination folder (default: the user models folder)");
  fetch_cmd->add_option("--manifest", options->manifest_path,
                        "Use this catalogue instead of the built-in one");
  fetch_cmd->callback([options] { fetch(*options); });

  CLI::App* which_cmd =
      cmd->add_subcommand("which", "Print the model the product would use with no flags");
  which_cmd->add_option("kind", options->kind, "llm, asr, vad or voice")->required();
  which_cmd->add_option("--dir", options->dir, "An extra models folder, searched first");
  which_cmd->add_option("--manifest", options->manifest_path,
                        "Use this catalogue instead of the built-in one");
  which_cmd->callback([options] { which(*options); });

  cmd->callback([options, cmd] {
    if (cmd->get_subcommands().empty()) list_models(*options);
  });
}

}  // namespace parley::assistant
