// Where models live, which are installed, how the product finds its defaults, and fetching.
//
// Folders ("roots"), searched in this order:
//   1. the user models folder: $PARLEY_MODELS, else $XDG_DATA_HOME/parley/models, else
//      ~/.local/share/parley/models (where `parley models fetch` puts downloads);
//   2. the installed tree: <folder of the parley binary>/../share/parley/models;
//   3. the source tree: PARLEY_SOURCE_DIR/models (compile-time; a last resort for fresh builds).
// A manifest entry's paths are relative to a root.
//
// resolve_default_model(kind) — the path an engine should open, with no flags:
//   explicit flag > config value > the roots above, in order; within a root the manifest's
//   models of that kind in manifest order (real downloaded models are listed before the shipped
//   default, so a fetched model wins over the built-in one). An explicit/config value is a path,
//   or the name of a manifest model (looked up in the roots); for voices "espeak:<voice>" is
//   returned unchanged. Only existence is checked here (no checksums: `parley models` does that).
//   Nothing found: parley::Error listing every folder and candidate it tried.
//
// Usage
//   std::string gguf = resolve_default_model(ModelKind::kLlm, options.llm, config.models.llm);
//   std::string asr_dir = resolve_default_model(ModelKind::kAsr);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "assistant/models/download.h"
#include "assistant/models/manifest.h"

namespace parley::models {

struct SearchRoot {
  std::string path;
  std::string label;  // e.g. "user models folder ($PARLEY_MODELS)"
};

// The user models folder ("" when neither $PARLEY_MODELS, $XDG_DATA_HOME nor $HOME is set).
std::string user_models_dir();
// Roots 1–3 above, existing or not, without duplicates.
std::vector<SearchRoot> default_search_roots();

std::string resolve_default_model(ModelKind kind, const std::string& explicit_value = "",
                                  const std::string& config_value = "");
// The same with the catalogue and roots given (what the tests use).
std::string resolve_model(ModelKind kind, const std::string& explicit_value,
                          const std::string& config_value, const Manifest& manifest,
                          const std::vector<SearchRoot>& roots);

enum class FileState {
  kOk,          // size and sha256 match
  kUnverified,  // present; the manifest has no sha256 (size matches or is unknown)
  kMissing,
  kPartial,  // only <file>.part exists: an interrupted download
  kWrongSize,
  kCorrupt,   // sha256 differs
  kUnpacked,  // an archive already extracted (and removed); its contents are the entry
};
std::string_view file_state_name(FileState state);

struct FileStatus {
  std::string path;  // absolute (root + relative path)
  FileState state = FileState::kMissing;
  uint64_t size_bytes = 0;
  std::string actual_sha256;  // computed when verifying and the file exists
};

struct ModelStatus {
  const ModelEntry* model = nullptr;
  std::string root;        // "" = not installed in any root
  std::string entry_path;  // absolute, "" when not installed
  std::vector<FileStatus> files;
  bool installed() const { return !entry_path.empty(); }
  bool ok() const;  // installed and no file missing, partial, wrong-sized or corrupt
};

// One status per manifest model, found in the first root holding its entry (or any of its files).
// verify = compute sha256 of every present file (reads them fully).
std::vector<ModelStatus> scan_models(const Manifest& manifest, const std::vector<SearchRoot>& roots,
                                     bool verify);

struct FetchResult {
  std::string entry_path;  // what resolve_model would now return for this model
  int downloaded_files = 0;
  int skipped_files = 0;  // already present and matching
  std::vector<DownloadResult> downloads;
};

// Downloads every file of a downloadable model into `dest_root` (skipping files already present
// with the right size/sha256), extracts "unpack" archives with tar and deletes them. Throws
// parley::Error (a shipped model, an HTTP or checksum failure, a failed extraction).
FetchResult fetch_model(const ModelEntry& model, const std::string& dest_root,
                        const DownloadOptions& options = {});

}  // namespace parley::models
