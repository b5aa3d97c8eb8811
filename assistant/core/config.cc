#include "assistant/core/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "assistant/core/suggest.h"
#include "assistant/core/tool_registry.h"
#include "kernels/error.h"

namespace parley::assistant {

namespace {

using json = nlohmann::ordered_json;
using Kind = ConfigValueKind;

// Extra check of a string value; returns "" when fine, else what is wrong.
using StringCheck = std::string (*)(const std::string& value);

struct Field {
  const char* key;
  Kind kind;
  void* (*slot)(AssistantConfig&);  // where the value lives
  double minimum = 0;               // numbers: inclusive range...
  double maximum = 0;
  bool minimum_exclusive = false;  // ...or (minimum, maximum]
  StringCheck check = nullptr;     // strings and each list element
  const char* description = "";
};

std::string file_or_empty(const std::string& value) {
  if (value.empty() || std::filesystem::is_regular_file(value)) return "";
  return "file \"" + value + "\" not found";
}

std::string folder_or_empty(const std::string& value) {
  if (value.empty() || std::filesystem::is_directory(value)) return "";
  return "folder \"" + value + "\" not found";
}

std::string voice_check(const std::string& value) {
  if (value.rfind("espeak:", 0) == 0) {
    return value.size() > 7 ? "" : "\"espeak:\" needs a voice name, e.g. \"espeak:en-us\"";
  }
  if (value.size() < 5 || value.compare(value.size() - 5, 5, ".onnx") != 0) {
    return "\"" + value + "\" is neither \"espeak:<voice>\" nor a Piper voice .onnx file";
  }
  return file_or_empty(value);
}

std::string url_check(const std::string& value) {
  if (value.empty() || value.rfind("http://", 0) == 0 || value.rfind("https://", 0) == 0) return "";
  return "\"" + value + "\" is not an http:// or https:// URL";
}

std::string env_name_check(const std::string& value) {
  bool ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    ok = ok && (c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
                (i > 0 && std::isdigit(static_cast<unsigned char>(c))));
  }
  return ok ? "" : "\"" + value + "\" is not an environment variable name (letters, digits, _)";
}

std::string tool_name_check(const std::string& value) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    const ToolRegistry registry = ToolRegistry::builtin();
    for (const ToolSchema& s : registry.schemas()) out.push_back(s.name);
    return out;
  }();
  for (const std::string& name : names) {
    if (name == value) return "";
  }
  return "unknown tool \"" + value + "\"" + did_you_mean(value, names);
}

#define PARLEY_SLOT(member) [](AssistantConfig& c) -> void* { return &c.member; }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"models.llm", Kind::kString, PARLEY_SLOT(models.llm), 0, 0, false, file_or_empty,
       "GGUF chat model; \"\" = the default model"},
      {"models.asr", Kind::kString, PARLEY_SLOT(models.asr), 0, 0, false, folder_or_empty,
       "streaming ASR model folder; \"\" = the default model"},
      {"models.vad", Kind::kString, PARLEY_SLOT(models.vad), 0, 0, false, file_or_empty,
       "Silero VAD .onnx; \"\" = energy VAD"},
      {"models.voice", Kind::kString, PARLEY_SLOT(models.voice), 0, 0, false, voice_check,
       "\"espeak:<voice>\" or a Piper voice .onnx"},
      {"devices.input", Kind::kString, PARLEY_SLOT(devices.input), 0, 0, false, nullptr,
       "capture device; \"\" = system default"},
      {"devices.output", Kind::kString, PARLEY_SLOT(devices.output), 0, 0, false, nullptr,
       "playback device; \"\" = system default"},
      {"devices.sample_rate_hz", Kind::kInt, PARLEY_SLOT(devices.sample_rate_hz), 8000, 48000,
       false, nullptr, "capture rate"},
      {"devices.half_duplex", Kind::kBool, PARLEY_SLOT(devices.half_duplex), 0, 0, false, nullptr,
       "mute the microphone while speaking"},
      {"vad.threshold", Kind::kFloat, PARLEY_SLOT(vad.threshold), 0, 1, true, nullptr,
       "speech probability threshold"},
      {"vad.min_speech_ms", Kind::kInt, PARLEY_SLOT(vad.min_speech_ms), 0, 5000, false, nullptr,
       "shortest speech that counts"},
      {"vad.min_silence_ms", Kind::kInt, PARLEY_SLOT(vad.min_silence_ms), 0, 10000, false, nullptr,
       "silence that ends a segment"},
      {"vad.speech_pad_ms", Kind::kInt, PARLEY_SLOT(vad.speech_pad_ms), 0, 1000, false, nullptr,
       "audio kept around speech"},
      {"endpoint.rule1_trailing_silence_s", Kind::kFloat,
       PARLEY_SLOT(endpoint.rule1_trailing_silence_s), 0, 60, true, nullptr,
       "silence ending an utterance with nothing decoded"},
      {"endpoint.rule2_trailing_silence_s", Kind::kFloat,
       PARLEY_SLOT(endpoint.rule2_trailing_silence_s), 0, 60, true, nullptr,
       "silence ending an utterance after words"},
      {"endpoint.max_utterance_s", Kind::kFloat, PARLEY_SLOT(endpoint.max_utterance_s), 0, 300,
       true, nullptr, "longest utterance"},
      {"endpoint.vad_enabled", Kind::kBool, PARLEY_SLOT(endpoint.vad_enabled), 0, 0, false, nullptr,
       "end utterances on VAD silence too"},
      {"endpoint.vad_trailing_silence_s", Kind::kFloat,
       PARLEY_SLOT(endpoint.vad_trailing_silence_s), 0, 10, true, nullptr,
       "VAD silence that ends an utterance"},
      {"voice.speaker", Kind::kInt, PARLEY_SLOT(voice.speaker), 0, 10000, false, nullptr,
       "speaker id of a multi-speaker voice"},
      {"voice.length_scale", Kind::kFloat, PARLEY_SLOT(voice.length_scale), 0.1, 5, false, nullptr,
       "speaking slowness (1 = normal)"},
      {"voice.noise_scale", Kind::kFloat, PARLEY_SLOT(voice.noise_scale), 0, 2, false, nullptr,
       "VITS noise scale"},
      {"voice.noise_w", Kind::kFloat, PARLEY_SLOT(voice.noise_w), 0, 2, false, nullptr,
       "VITS duration noise"},
      {"voice.volume_percent", Kind::kInt, PARLEY_SLOT(voice.volume_percent), 0, 100, false,
       nullptr, "playback volume at start"},
      {"llm.system_prompt", Kind::kString, PARLEY_SLOT(llm.system_prompt), 0, 0, false, nullptr,
       "system prompt"},
      {"llm.max_tokens", Kind::kInt, PARLEY_SLOT(llm.max_tokens), 1, 8192, false, nullptr,
       "most tokens per reply"},
      {"llm.temperature", Kind::kFloat, PARLEY_SLOT(llm.temperature), 0, 5, false, nullptr,
       "sampling temperature (0 = greedy)"},
      {"llm.seed", Kind::kInt, PARLEY_SLOT(llm.seed), 0, 2147483647, false, nullptr, "random seed"},
      {"llm.threads", Kind::kInt, PARLEY_SLOT(llm.threads), 0, 256, false, nullptr,
       "threads (0 = all cores)"},
      {"llm.context_length", Kind::kInt, PARLEY_SLOT(llm.context_length), 0, 131072, false, nullptr,
       "context tokens (0 = model's, at most 4096)"},
      {"tools.enabled", Kind::kBool, PARLEY_SLOT(tools.enabled), 0, 0, false, nullptr,
       "let the model call local tools"},
      {"tools.constrain_calls", Kind::kBool, PARLEY_SLOT(tools.constrain_calls), 0, 0, false, nullptr,
       "local model: decode tool calls under their JSON grammar"},
      {"tools.disabled", Kind::kStringList, PARLEY_SLOT(tools.disabled), 0, 0, false,
       tool_name_check, "tools switched off one by one"},
      {"wake.phrase", Kind::kString, PARLEY_SLOT(wake.phrase), 0, 0, false, nullptr,
       "wake phrase; \"\" = always listening"},
      {"wake.listen_window_s", Kind::kFloat, PARLEY_SLOT(wake.listen_window_s), 0, 120, true,
       nullptr, "listening time after the wake phrase"},
      {"trace.file", Kind::kString, PARLEY_SLOT(trace.file), 0, 0, false, nullptr,
       "JSON line per turn; \"\" = none"},
      {"remote_llm.enabled", Kind::kBool, PARLEY_SLOT(remote_llm.enabled), 0, 0, false, nullptr,
       "use an OpenAI-compatible server instead of models.llm"},
      {"remote_llm.url", Kind::kString, PARLEY_SLOT(remote_llm.url), 0, 0, false, url_check,
       "server base URL, e.g. http://host:8080/v1"},
      {"remote_llm.model", Kind::kString, PARLEY_SLOT(remote_llm.model), 0, 0, false, nullptr,
       "model name; \"\" = the server's default"},
      {"remote_llm.api_key_env", Kind::kString, PARLEY_SLOT(remote_llm.api_key_env), 0, 0, false,
       env_name_check, "environment variable holding the API key"},
      {"remote_llm.timeout_s", Kind::kFloat, PARLEY_SLOT(remote_llm.timeout_s), 0, 600, true,
       nullptr, "request timeout"},
      {"remote_llm.fallback_message", Kind::kString, PARLEY_SLOT(remote_llm.fallback_message), 0, 0,
       false, nullptr, "spoken when the server is unreachable"},
  };
  return table;
}

#undef PARLEY_SLOT

std::vector<std::string> all_keys() {
  std::vector<std::string> keys;
  for (const Field& f : fields()) keys.emplace_back(f.key);
  return keys;
}

const Field* find_field(std::string_view key) {
  for (const Field& f : fields()) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

std::string limits_text(const Field& f) {
  if (f.kind != Kind::kInt && f.kind != Kind::kFloat) return "";
  std::ostringstream out;
  out << (f.minimum_exclusive ? "more than " : "") << f.minimum
      << (f.minimum_exclusive ? ", at most " : "..") << f.maximum;
  return out.str();
}

// Checks a number against the field's range; "" when fine.
std::string range_error(const Field& f, double value) {
  const bool low = f.minimum_exclusive ? !(value > f.minimum) : !(value >= f.minimum);
  if (low || !(value <= f.maximum)) {
    std::ostringstream out;
    out << "must be " << (f.minimum_exclusive ? "more than " : "between ") << f.minimum
        << (f.minimum_exclusive ? " and at most " : " and ") << f.maximum << ", got " << value;
    return out.str();
  }
  return "";
}

// Sets the field from a JSON value; returns "" or what is wrong (without the key).
std::string assign(AssistantConfig& config, const Field& f, const json& value) {
  void* slot = f.slot(config);
  switch (f.kind) {
    case Kind::kBool:
      if (!value.is_boolean()) return "expected true or false, got " + value.dump();
      *static_cast<bool*>(slot) = value.get<bool>();
      return "";
    case Kind::kInt: {
      if (!value.is_number()) return "expected a whole number, got " + value.dump();
      const double d = value.get<double>();
      if (std::floor(d) != d) return "expected a whole number, got " + value.dump();
      if (std::string e = range_error(f, d); !e.empty()) return e;
      *static_cast<int*>(slot) = static_cast<int>(d);
      return "";
    }
    case Kind::kFloat: {
      if (!value.is_number()) return "expected a number, got " + value.dump();
      const double d = value.get<double>();
      if (std::string e = range_error(f, d); !e.empty()) return e;
      *static_cast<float*>(slot) = static_cast<float>(d);
      return "";
    }
    case Kind::kString: {
      if (!value.is_string()) return "expected a string, got " + value.dump();
      const std::string s = value.get<std::string>();
      if (f.check) {
        if (std::string e = f.check(s); !e.empty()) return e;
      }
      *static_cast<std::string*>(slot) = s;
      return "";
    }
    case Kind::kStringList: {
      if (!value.is_array()) return "expected a list of strings, got " + value.dump();
      std::vector<std::string> list;
      for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
          return "[" + std::to_string(i) + "]: expected a string, got " + value[i].dump();
        const std::string s = value[i].get<std::string>();
        if (f.check) {
          if (std::string e = f.check(s); !e.empty()) return "[" + std::to_string(i) + "]: " + e;
        }
        list.push_back(s);
      }
      *static_cast<std::vector<std::string>*>(slot) = std::move(list);
      return "";
    }
  }
  return "unsupported kind";
}

std::string trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// The text of an override as the JSON value the field takes; nullopt when it does not parse.
std::optional<json> parse_override(const Field& f, std::string_view text) {
  const std::string t = trim(text);
  switch (f.kind) {
    case Kind::kBool:
      if (t == "true" || t == "1" || t == "yes" || t == "on") return json(true);
      if (t == "false" || t == "0" || t == "no" || t == "off") return json(false);
      return std::nullopt;
    case Kind::kInt: {
      long long v = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
      return json(v);
    }
    case Kind::kFloat: {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v))
        return std::nullopt;
      return json(v);
    }
    case Kind::kString:
      return json(std::string(text));
    case Kind::kStringList: {
      json list = json::array();
      if (t.empty()) return list;
      size_t start = 0;
      while (start <= t.size()) {
        const size_t comma = t.find(',', start);
        list.push_back(trim(std::string_view(t).substr(
            start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return list;
    }
  }
  return std::nullopt;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "true/false";
    case Kind::kInt:
      return "a whole number";
    case Kind::kFloat:
      return "a number";
    case Kind::kString:
      return "text";
    case Kind::kStringList:
      return "a comma-separated list";
  }
  return "?";
}

}  // namespace

std::vector<ConfigFieldInfo> config_fields() {
  std::vector<ConfigFieldInfo> out;
  for (const Field& f : fields()) out.push_back({f.key, f.kind, limits_text(f), f.description});
  return out;
}

AssistantConfig AssistantConfig::from_json(std::string_view json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    throw Error("config " + source + ": not valid JSON: " + e.what());
  }
  if (!root.is_object())
    throw Error("config " + source + ": the top level must be an object of sections");
  const std::vector<std::string> keys = all_keys();
  std::vector<std::string> sections;
  for (const std::string& key : keys) {
    const std::string section = key.substr(0, key.find('.'));
    if (sections.empty() || sections.back() != section) sections.push_back(section);
  }
  AssistantConfig config;
  for (const auto& [section, body] : root.items()) {
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      throw Error("config " + source + ": unknown section \"" + section + "\"" +
                  did_you_mean(section, sections));
    }
    if (!body.is_object())
      throw Error("config " + source + ": " + section + ": expected an object of settings");
    for (const auto& [name, value] : body.items()) {
      const std::string key = section + "." + name;
      const Field* field = find_field(key);
      if (!field)
        throw Error("config " + source + ": unknown key \"" + key + "\"" + did_you_mean(key, keys));
      if (std::string e = assign(config, *field, value); !e.empty())
        throw Error("config " + source + ": " + key + ": " + e);
    }
  }
  try {
    config.validate();
  } catch (const Error& e) {
    throw Error("config " + source + ": " + e.what());
  }
  return config;
}

AssistantConfig AssistantConfig::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("config " + path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

void AssistantConfig::apply_override(std::string_view key, std::string_view value) {
  const Field* field = find_field(key);
  if (!field) {
    throw Error("unknown setting \"" + std::string(key) + "\"" + did_you_mean(key, all_keys()) +
                " (parley config --keys lists them)");
  }
  const std::optional<json> parsed = parse_override(*field, value);
  if (!parsed) {
    throw Error("setting " + std::string(key) + "=" + std::string(value) + ": expected " +
                kind_name(field->kind));
  }
  AssistantConfig candidate = *this;  // nothing changes unless the value is valid
  if (std::string e = assign(candidate, *field, *parsed); !e.empty()) {
    throw Error("setting " + std::string(key) + ": " + e);
  }
  *this = std::move(candidate);
}

void AssistantConfig::apply_assignment(std::string_view key_equals_value) {
  const size_t equals = key_equals_value.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw Error("--set " + std::string(key_equals_value) +
                ": expected key=value, e.g. vad.threshold=0.6");
  }
  apply_override(trim(key_equals_value.substr(0, equals)), key_equals_value.substr(equals + 1));
}

void AssistantConfig::validate() const {
  if (remote_llm.enabled && remote_llm.url.empty()) {
    throw Error("remote_llm.url: required when remote_llm.enabled is true");
  }
  if (vad.min_silence_ms > 0 && endpoint.vad_enabled &&
      endpoint.vad_trailing_silence_s * 1000.0f < static_cast<float>(vad.min_silence_ms)) {
    throw Error(
        "endpoint.vad_trailing_silence_s: " + std::to_string(endpoint.vad_trailing_silence_s) +
        " s is shorter than vad.min_silence_ms (" + std::to_string(vad.min_silence_ms) +
        " ms): the VAD could never report the silence that ends the utterance");
  }
}

std::string AssistantConfig::to_json() const {
  json root = json::object();
  AssistantConfig& self = const_cast<AssistantConfig&>(*this);  // slots are read only here
  for (const Field& f : fields()) {
    const std::string key = f.key;
    const size_t dot = key.find('.');
    json& value = root[key.substr(0, dot)][key.substr(dot + 1)];
    void* slot = f.slot(self);
    switch (f.kind) {
      case Kind::kBool:
        value = *static_cast<bool*>(slot);
        break;
      case Kind::kInt:
        value = *static_cast<int*>(slot);
        break;
      case Kind::kFloat:  // print 0.6f as 0.6, not 0.6000000238418579
      {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.6g",
                      static_cast<double>(*static_cast<float*>(slot)));
        value = std::strtod(buffer, nullptr);
        break;
      }
      case Kind::kString:
        value = *static_cast<std::string*>(slot);
        break;
      case Kind::kStringList:
        value = *static_cast<std::vector<std::string>*>(slot);
        break;
    }
  }
  return root.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string(xdg) + "/parley/config.json";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.config/parley/config.json";
  return "";
}

AssistantConfig load_effective_config(const std::string& explicit_path,
                                      const std::vector<std::string>& assignments,
                                      std::string* loaded_from) {
  AssistantConfig config;
  std::string used;
  if (!explicit_path.empty()) {
    config = AssistantConfig::from_file(explicit_path);
    used = explicit_path;
  } else if (const std::string fallback = default_config_path();
             !fallback.empty() && std::filesystem::exists(fallback)) {
    config = AssistantConfig::from_file(fallback);
    used = fallback;
  }
  for (const std::string& assignment : assignments) config.apply_assignment(assignment);
  config.validate();
  if (loaded_from) *loaded_from = used;
  return config;
}

}  // namespace parley::assistant
