// Model folders, installed-model scan, default lookup and fetching (see model_store.h).
#include "assistant/models/model_store.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "assistant/models/checksum.h"
#include "kernels/error.h"

extern char** environ;

namespace parley::models {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

std::string join(const std::string& root, const std::string& relative) {
  return (fs::path(root) / relative).lexically_normal().string();
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string executable_dir() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? "" : self.parent_path().string();
}

// The model's entry exists in `root` and every file it lists (archives excepted: they are deleted
// after unpacking) is there: a folder holding only a model card does not count.
bool usable_in(const std::string& root, const ModelEntry& model) {
  if (!exists(join(root, model.entry))) return false;
  for (const ModelFile& file : model.files) {
    if (!file.unpack && !exists(join(root, file.path))) return false;
  }
  return true;
}

// A value given by flag or config: a path, a manifest model name, or (voice) "espeak:<voice>".
std::string resolve_value(ModelKind kind, const std::string& value, const std::string& origin,
                          const Manifest& manifest, const std::vector<SearchRoot>& roots) {
  if (kind == ModelKind::kVoice && value.rfind("espeak:", 0) == 0) return value;
  if (exists(value)) return value;
  const ModelEntry* named = manifest.find(value);
  if (named != nullptr && named->kind == kind) {
    std::string looked;
    for (const SearchRoot& root : roots) {
      std::string candidate = join(root.path, named->entry);
      if (usable_in(root.path, *named)) return candidate;
      looked += "\n  " + candidate + "  (" + root.label + ")";
    }
    throw Error(origin + " names the model \"" + value +
                "\", which is not installed; looked at:" + looked +
                (named->downloadable() ? "\n  run `parley models fetch " + value + "`" : ""));
  }
  throw Error(origin + " \"" + value + "\": no such file, and no " +
              std::string(model_kind_name(kind)) + " model of that name in the manifest");
}

void run_tar_extract(const std::string& archive, const std::string& dest_root) {
  std::vector<std::string> args = {"tar", "-xf", archive, "-C", dest_root};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawn_error = posix_spawnp(&pid, "tar", nullptr, nullptr, argv.data(), environ);
  if (spawn_error != 0)
    throw Error(archive + ": cannot run tar to extract it: " + std::strerror(spawn_error));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(archive + ": waiting for tar failed: " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(archive + ": tar could not extract it into " + dest_root + " (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
}

// A file already in place that needs no download.
bool file_matches(const ModelFile& file, const std::string& path) {
  if (!exists(path)) return false;
  std::error_code error;
  uint64_t size = fs::file_size(path, error);
  if (error || (file.size_bytes && size != *file.size_bytes)) return false;
  return !file.sha256 || sha256_file(path) == *file.sha256;
}

}  // namespace

std::string user_models_dir() {
  if (std::string dir = env("PARLEY_MODELS"); !dir.empty()) return dir;
  if (std::string data = env("XDG_DATA_HOME"); !data.empty()) return join(data, "parley/models");
  if (std::string home = env("HOME"); !home.empty())
    return join(home, ".local/share/parley/models");
  return "";
}

std::vector<SearchRoot> default_search_roots() {
  std::vector<SearchRoot> roots;
  auto add = [&](const std::string& path, const std::string& label) {
    if (path.empty()) return;
    std::string normal = fs::path(path).lexically_normal().string();
    for (const SearchRoot& root : roots) {
      if (root.path == normal) return;
    }
    roots.push_back({normal, label});
  };
  std::string user_label = !env("PARLEY_MODELS").empty()   ? "user models folder ($PARLEY_MODELS)"
                           : !env("XDG_DATA_HOME").empty() ? "user models folder ($XDG_DATA_HOME)"
                                                           : "user models folder";
  add(user_models_dir(), user_label);
  if (std::string dir = executable_dir(); !dir.empty())
    add(join(dir, "../share/parley/models"), "installed models");
#ifdef PARLEY_SOURCE_DIR
  add(join(PARLEY_SOURCE_DIR, "models"), "source tree models");
#endif
  return roots;
}

std::string resolve_model(ModelKind kind, const std::string& explicit_value,
                          const std::string& config_value, const Manifest& manifest,
                          const std::vector<SearchRoot>& roots) {
  const std::string kind_name(model_kind_name(kind));
  if (!explicit_value.empty())
    return resolve_value(kind, explicit_value, "--" + kind_name, manifest, roots);
  if (!config_value.empty()) {
    return resolve_value(kind, config_value, "config models." + kind_name, manifest, roots);
  }
  std::vector<const ModelEntry*> candidates = manifest.of_kind(kind);
  std::string looked;
  for (const SearchRoot& root : roots) {
    looked += "\n  " + root.path + "  (" + root.label + ")";
    for (const ModelEntry* model : candidates) {
      if (usable_in(root.path, *model)) return join(root.path, model->entry);
    }
  }
  std::string names;
  for (const ModelEntry* model : candidates) names += (names.empty() ? "" : ", ") + model->entry;
  throw Error(
      "no " + kind_name + " model found (no --" + kind_name + " flag, no models." + kind_name +
      " in the config); looked for [" +
      (names.empty() ? "no " + kind_name + " models in the manifest" : names) +
      "] in:" + (looked.empty() ? "\n  (no folders: set $PARLEY_MODELS or $HOME)" : looked) +
      "\n  `parley models` lists what is installed; `parley models fetch NAME` downloads one");
}

std::string resolve_default_model(ModelKind kind, const std::string& explicit_value,
                                  const std::string& config_value) {
  return resolve_model(kind, explicit_value, config_value, embedded_manifest(),
                       default_search_roots());
}

std::string_view file_state_name(FileState state) {
  switch (state) {
    case FileState::kOk:
      return "ok";
    case FileState::kUnverified:
      return "not verified";
    case FileState::kMissing:
      return "missing";
    case FileState::kPartial:
      return "partial download";
    case FileState::kWrongSize:
      return "wrong size";
    case FileState::kCorrupt:
      return "corrupt (sha256 differs)";
    case FileState::kUnpacked:
      return "unpacked";
  }
  return "?";
}

bool ModelStatus::ok() const {
  if (!installed()) return false;
  for (const FileStatus& file : files) {
    if (file.state != FileState::kOk && file.state != FileState::kUnverified &&
        file.state != FileState::kUnpacked) {
      return false;
    }
  }
  return true;
}

std::vector<ModelStatus> scan_models(const Manifest& manifest, const std::vector<SearchRoot>& roots,
                                     bool verify) {
  std::vector<ModelStatus> statuses;
  for (const ModelEntry& model : manifest.models) {
    ModelStatus status;
    status.model = &model;
    for (const SearchRoot& root : roots) {
      bool any = false;  // the entry alone (a folder with a model card) is not an installation
      for (const ModelFile& file : model.files) {
        any = any || (file.unpack && exists(join(root.path, model.entry)));
        std::string path = join(root.path, file.path);
        any = any || exists(path) || exists(path + ".part");
      }
      if (any) {
        status.root = root.path;
        break;
      }
    }
    bool any_file = false;
    for (const ModelFile& file : model.files) {
      any_file =
          any_file || file.unpack || (!status.root.empty() && exists(join(status.root, file.path)));
    }
    if (!status.root.empty() && any_file && exists(join(status.root, model.entry))) {
      status.entry_path = join(status.root, model.entry);
    }
    for (const ModelFile& file : model.files) {
      FileStatus file_status;
      file_status.path = status.root.empty() ? file.path : join(status.root, file.path);
      if (status.root.empty()) {
        file_status.state = FileState::kMissing;
      } else if (!exists(file_status.path)) {
        file_status.state = file.unpack && status.installed()    ? FileState::kUnpacked
                            : exists(file_status.path + ".part") ? FileState::kPartial
                                                                 : FileState::kMissing;
      } else {
        std::error_code error;
        file_status.size_bytes = fs::file_size(file_status.path, error);
        if (file.size_bytes && file_status.size_bytes != *file.size_bytes) {
          file_status.state = FileState::kWrongSize;
        } else if (!file.sha256) {
          file_status.state = FileState::kUnverified;
          if (verify) file_status.actual_sha256 = sha256_file(file_status.path);
        } else if (verify) {
          file_status.actual_sha256 = sha256_file(file_status.path);
          file_status.state =
              file_status.actual_sha256 == *file.sha256 ? FileState::kOk : FileState::kCorrupt;
        } else {
          file_status.state = FileState::kUnverified;  // size only
        }
      }
      status.files.push_back(std::move(file_status));
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

FetchResult fetch_model(const ModelEntry& model, const std::string& dest_root,
                        const DownloadOptions& options) {
  if (!model.downloadable()) {
    throw Error(model.name + " is shipped with Parley (" + model.entry +
                ") and has no download address; `parley models` shows where it is installed");
  }
  if (dest_root.empty())
    throw Error("no models folder to download into: set $PARLEY_MODELS or pass --dir");
  FetchResult result;
  result.entry_path = join(dest_root, model.entry);
  bool has_archive = false;
  for (const ModelFile& file : model.files) has_archive = has_archive || file.unpack;
  if (has_archive && exists(result.entry_path)) {
    result.skipped_files = static_cast<int>(model.files.size());
    if (options.on_log)
      options.on_log(result.entry_path + " is already unpacked; nothing to fetch");
    return result;
  }
  for (const ModelFile& file : model.files) {
    std::string dest = join(dest_root, file.path);
    if (file_matches(file, dest)) {
      ++result.skipped_files;
      if (options.on_log)
        options.on_log(dest + " is already present" + (file.sha256 ? " (sha256 ok)" : ""));
    } else {
      result.downloads.push_back(
          download_file(file.url, dest, file.sha256, file.size_bytes, options));
      ++result.downloaded_files;
    }
    if (file.unpack) {
      if (options.on_log) options.on_log("extracting " + dest);
      run_tar_extract(dest, dest_root);
      std::error_code error;
      fs::remove(dest, error);
    }
  }
  if (!exists(result.entry_path)) {
    throw Error(model.name + ": after the download, " + result.entry_path +
                " does not exist (the manifest's \"entry\" does not match the files)");
  }
  return result;
}

}  // namespace parley::models
