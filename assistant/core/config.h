// AssistantConfig — every setting of the appliance in one JSON file, with command-line overrides.
//
// File: `--config FILE`, else $XDG_CONFIG_HOME/parley/config.json, else
// ~/.config/parley/config.json; a missing default file means all defaults. Every key is optional;
// the file holds sections of settings, e.g.
//   {"models": {"llm": "/opt/parley/chat.gguf", "voice": "espeak:en-us"},
//    "vad": {"threshold": 0.6}, "tools": {"disabled": ["set_alarm"]},
//    "remote_llm": {"enabled": true, "url": "http://10.0.0.2:8080/v1", "api_key_env":
//    "PARLEY_KEY"}}
// The keys, their types, defaults and limits are the table config_fields() (printed by
// `parley config --keys`).
//
// Contracts
//   * Loading rejects, with a parley::Error naming the file and the dotted key: invalid JSON,
//     unknown sections or keys (with a did-you-mean suggestion), values of the wrong type, and
//     values out of range — then validate() checks the fields that depend on each other.
//   * apply_override("vad.threshold", "0.6") parses the text as the key's type and validates
//     it: what `--set key=value` does. Lists take comma-separated values ("a,b"; "" = empty).
//   * The API key itself is never stored: only the name of the environment variable holding it.
//   * to_json() prints every effective setting; load(to_json()) gives the same config.
//
// Usage
//   AssistantConfig config = load_effective_config(options.config_path, options.set);
//   float threshold = config.vad.threshold;
//   std::puts(config.to_json().c_str());
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant {

struct ModelsConfig {
  std::string llm;                     // GGUF file; "" = the default model
  std::string asr;                     // streaming ASR model folder; "" = the default model
  std::string vad;                     // Silero VAD .onnx; "" = the energy VAD
  std::string voice = "espeak:en-us";  // "espeak:<voice>" or a Piper voice .onnx
};

struct DevicesConfig {
  std::string input;  // device name or index; "" = the system default
  std::string output;
  int sample_rate_hz = 16000;  // capture rate fed to VAD/ASR
  bool half_duplex = false;    // mute the microphone while speaking (no echo cancellation)
};

struct VadConfig {
  float threshold = 0.5f;  // P(speech) above which a window is speech
  int min_speech_ms = 250;
  int min_silence_ms = 300;
  int speech_pad_ms = 30;
};

struct EndpointSettings {
  float rule1_trailing_silence_s = 2.4f;  // nothing decoded
  float rule2_trailing_silence_s = 1.2f;  // after decoded words
  float max_utterance_s = 20.0f;
  bool vad_enabled = true;
  float vad_trailing_silence_s = 0.6f;
};

struct VoiceOptions {
  int speaker = 0;
  float length_scale = 1.0f;  // > 1 speaks slower
  float noise_scale = 0.667f;
  float noise_w = 0.8f;
  int volume_percent = 70;
};

struct LlmSettings {
  // The prompt Parley's default model was trained with (models/recipes/llm/tools.json).
  std::string system_prompt =
      "You are Parley, an offline voice assistant in a home appliance. Reply briefly. Tools: "
      "get_time, get_date, set_timer, set_alarm, list_timers, cancel_timer, set_volume, "
      "change_volume, stop.";
  int max_tokens = 256;
  // Greedy by default: tool-call arguments must be exact (a timer of "48 minutes", not "8").
  // Raise it (0.7) for livelier open conversation with a real model.
  float temperature = 0.0f;
  int seed = 0;
  int threads = 0;         // 0 = all cores
  int context_length = 0;  // 0 = the model's, at most 4096
};

struct ToolsSettings {
  bool enabled = true;
  // Constrained decoding of tool calls (llm/tool_call_grammar.h): once the local model opens a
  // call, only tokens of a valid call to an enabled tool are allowed.
  bool constrain_calls = true;
  std::vector<std::string> disabled;  // tool names switched off one by one
};

struct WakeSettings {
  std::string phrase;            // "" = always listening
  float listen_window_s = 8.0f;  // after the wake phrase
};

struct TraceSettings {
  std::string file;  // JSON line per turn; "" = none
};

struct RemoteLlmSettings {
  bool enabled = false;
  std::string url;          // OpenAI-compatible base URL, e.g. http://host:8080/v1
  std::string model;        // "" = the server's default
  std::string api_key_env;  // name of the environment variable holding the key; "" = none
  float timeout_s = 10.0f;
  std::string fallback_message = "Sorry, I can't reach my language model right now.";
};

struct AssistantConfig {
  ModelsConfig models;
  DevicesConfig devices;
  VadConfig vad;
  EndpointSettings endpoint;
  VoiceOptions voice;
  LlmSettings llm;
  ToolsSettings tools;
  WakeSettings wake;
  TraceSettings trace;
  RemoteLlmSettings remote_llm;

  // Parses JSON text; `source` (a file name) starts every error message. Throws parley::Error.
  static AssistantConfig from_json(std::string_view json_text, const std::string& source);
  static AssistantConfig from_file(const std::string& path);

  void apply_override(std::string_view key, std::string_view value);  // throws parley::Error
  void apply_assignment(std::string_view key_equals_value);           // "vad.threshold=0.6"
  void validate() const;        // cross-field checks; throws parley::Error naming the fields
  std::string to_json() const;  // pretty, every key
};

enum class ConfigValueKind { kBool, kInt, kFloat, kString, kStringList };

struct ConfigFieldInfo {
  std::string key;  // "vad.threshold"
  ConfigValueKind kind;
  std::string limits;  // "0..1", "" when any value of the type is fine
  std::string description;
};
std::vector<ConfigFieldInfo> config_fields();

// $XDG_CONFIG_HOME/parley/config.json or $HOME/.config/parley/config.json; "" if neither is set.
std::string default_config_path();

// The explicit file (must exist), else the default file if it exists, else defaults; then every
// "key=value" of `assignments` in order, then validate(). `loaded_from` receives the file used (""
// = none).
AssistantConfig load_effective_config(const std::string& explicit_path,
                                      const std::vector<std::string>& assignments,
                                      std::string* loaded_from = nullptr);

}  // namespace parley::assistant
