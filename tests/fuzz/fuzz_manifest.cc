// The model manifest (models/manifest.json schema): every model and file field, path rules
// (no absolute paths, no ".."), sha256/size/url checks. Seed: models/manifest.json.
#include <string>

#include "assistant/models/manifest.h"
#include "kernels/error.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(manifest) {
  try {
    const parley::models::Manifest manifest =
        parley::models::Manifest::from_json(parley::fuzz::as_text(data, size), "fuzz.json");
    for (const parley::models::ModelEntry& m : manifest.models) {
      (void)m.downloadable();
      (void)manifest.find(m.name);
      for (const parley::models::ModelFile& f : m.files) {
        // The contract: paths are relative and never climb out of the models root.
        if (f.path.empty() || f.path[0] == '/' || f.path == ".." || f.path.starts_with("../") ||
            f.path.find("/../") != std::string::npos || f.path.ends_with("/.."))
          __builtin_trap();
        if (f.sha256 && f.sha256->size() != 64) __builtin_trap();
      }
    }
    (void)manifest.of_kind(parley::models::ModelKind::kLlm);
  } catch (const parley::Error&) {
  }
  return 0;
}
