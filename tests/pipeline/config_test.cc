// AssistantConfig: defaults, the JSON file (every field, unknown keys with suggestions, wrong
// types, ranges), --set overrides, the default location, and the printed effective settings.
#include "assistant/core/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsAreValidAndRoundTrip) {
  AssistantConfig defaults;
  EXPECT_NO_THROW(defaults.validate());
  const std::string printed = defaults.to_json();
  const nlohmann::json j = nlohmann::json::parse(printed);
  EXPECT_DOUBLE_EQ(j["vad"]["threshold"].get<double>(), 0.5);
  EXPECT_EQ(j["models"]["voice"], "espeak:en-us");
  EXPECT_EQ(j["tools"]["disabled"], nlohmann::json::array());
  // Every key of the table is printed, and the printed file loads back to the same settings.
  size_t keys = 0;
  for (const auto& [section, body] : j.items()) keys += body.size();
  EXPECT_EQ(keys, config_fields().size());
  EXPECT_EQ(AssistantConfig::from_json(printed, "printed").to_json(), printed);
}

TEST(Config, FileSetsEveryKindOfField) {
  const AssistantConfig c = AssistantConfig::from_json(R"({
    "models": {"voice": "espeak:en-gb"},
    "devices": {"half_duplex": true, "sample_rate_hz": 48000},
    "vad": {"threshold": 0.6, "min_speech_ms": 200},
    "llm": {"system_prompt": "Be brief.", "temperature": 0},
    "tools": {"enabled": false, "disabled": ["set_alarm", "stop"]},
    "wake": {"phrase": "hey parley"},
    "trace": {"file": "/tmp/turns.jsonl"},
    "remote_llm": {"enabled": true, "url": "http://10.0.0.2:8080/v1", "api_key_env": "PARLEY_KEY", "timeout_s": 2.5}
  })",
                                                       "test.json");
  EXPECT_EQ(c.models.voice, "espeak:en-gb");
  EXPECT_TRUE(c.devices.half_duplex);
  EXPECT_EQ(c.devices.sample_rate_hz, 48000);
  EXPECT_FLOAT_EQ(c.vad.threshold, 0.6f);
  EXPECT_EQ(c.vad.min_speech_ms, 200);
  EXPECT_EQ(c.vad.min_silence_ms, 300) << "unset keys keep their defaults";
  EXPECT_EQ(c.llm.system_prompt, "Be brief.");
  EXPECT_FALSE(c.tools.enabled);
  EXPECT_EQ(c.tools.disabled, (std::vector<std::string>{"set_alarm", "stop"}));
  EXPECT_EQ(c.wake.phrase, "hey parley");
  EXPECT_EQ(c.trace.file, "/tmp/turns.jsonl");
  EXPECT_TRUE(c.remote_llm.enabled);
  EXPECT_FLOAT_EQ(c.remote_llm.timeout_s, 2.5f);
}

TEST(Config, BadFilesNameTheFileAndTheKey) {
  const struct {
    const char* json;
    const char* error_contains;
  } cases[] = {
      {"{", "test.json: not valid JSON"},
      {"[]", "top level must be an object"},
      {R"({"vad": {"treshold": 0.6}})",
       "unknown key \"vad.treshold\" (did you mean \"vad.threshold\"?)"},
      {R"({"vda": {}})", "unknown section \"vda\" (did you mean \"vad\"?)"},
      {R"({"models": {"voice": 3}})", "models.voice: expected a string"},
      {R"({"models": "x"})", "models: expected an object"},
      {R"({"vad": {"threshold": "high"}})", "vad.threshold: expected a number"},
      {R"({"vad": {"threshold": 1.5}})",
       "vad.threshold: must be more than 0 and at most 1, got 1.5"},
      {R"({"vad": {"threshold": 0}})", "vad.threshold: must be more than 0"},
      {R"({"vad": {"min_speech_ms": 2.5}})", "vad.min_speech_ms: expected a whole number"},
      {R"({"llm": {"max_tokens": 0}})", "llm.max_tokens: must be between 1 and 8192, got 0"},
      {R"({"devices": {"half_duplex": "yes"}})", "devices.half_duplex: expected true or false"},
      {R"({"tools": {"disabled": "stop"}})", "tools.disabled: expected a list of strings"},
      {R"({"tools": {"disabled": ["stop", "set_volumn"]}})",
       "tools.disabled: [1]: unknown tool \"set_volumn\" (did you mean \"set_volume\"?)"},
      {R"({"models": {"llm": "/nonexistent/model.gguf"}})",
       "models.llm: file \"/nonexistent/model.gguf\" not found"},
      {R"({"models": {"asr": "/nonexistent/asr"}})",
       "models.asr: folder \"/nonexistent/asr\" not found"},
      {R"({"models": {"voice": "espeak:"}})", "models.voice: \"espeak:\" needs a voice name"},
      {R"({"models": {"voice": "voice.wav"}})", "neither \"espeak:<voice>\" nor a Piper voice"},
      {R"({"remote_llm": {"url": "ftp://x"}})", "remote_llm.url: \"ftp://x\" is not an http"},
      {R"({"remote_llm": {"api_key_env": "MY-KEY"}})",
       "remote_llm.api_key_env: \"MY-KEY\" is not an environment variable name"},
      {R"({"remote_llm": {"enabled": true}})",
       "remote_llm.url: required when remote_llm.enabled is true"},
      {R"({"endpoint": {"vad_trailing_silence_s": 0.2}})", "endpoint.vad_trailing_silence_s: 0.2"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of([&] { AssistantConfig::from_json(c.json, "test.json"); });
    EXPECT_NE(error.find(c.error_contains), std::string::npos) << c.json << "\n -> " << error;
    EXPECT_EQ(error.rfind("config test.json: ", 0), 0u) << error;
  }
}

TEST(Config, OverridesParseValidateAndLeaveTheConfigUnchangedOnError) {
  const struct {
    const char* key;
    const char* value;
    const char* printed;         // the key's value in to_json() afterwards, or nullptr for an error
    const char* error_contains;  // for errors
  } cases[] = {
      {"vad.threshold", "0.6", "0.6", ""},
      {"vad.threshold", " 0.25 ", "0.25", ""},
      {"vad.min_speech_ms", "120", "120", ""},
      {"devices.half_duplex", "on", "true", ""},
      {"devices.half_duplex", "0", "false", ""},
      {"tools.disabled", "stop, set_alarm", "[\"stop\",\"set_alarm\"]", ""},
      {"tools.disabled", "", "[]", ""},
      {"llm.system_prompt", "  keep my spaces ", "\"  keep my spaces \"", ""},
      {"vad.threshold", "abc", nullptr, "expected a number"},
      {"vad.threshold", "nan", nullptr, "expected a number"},
      {"vad.threshold", "2", nullptr, "must be more than 0 and at most 1"},
      {"vad.min_speech_ms", "12.5", nullptr, "expected a whole number"},
      {"vad.min_speech_ms", "", nullptr, "expected a whole number"},
      {"devices.half_duplex", "maybe", nullptr, "expected true/false"},
      {"vad.treshold", "0.6", nullptr,
       "unknown setting \"vad.treshold\" (did you mean \"vad.threshold\"?)"},
      {"tools.disabled", "stop,nope", nullptr, "[1]: unknown tool \"nope\""},
  };
  for (const auto& c : cases) {
    AssistantConfig config;
    const std::string before = config.to_json();
    const std::string error = error_of([&] { config.apply_override(c.key, c.value); });
    if (c.printed) {
      EXPECT_EQ(error, "(no error)") << c.key << "=" << c.value;
      const std::string key = c.key;
      const nlohmann::json j = nlohmann::json::parse(config.to_json());
      EXPECT_EQ(j[key.substr(0, key.find('.'))][key.substr(key.find('.') + 1)],
                nlohmann::json::parse(c.printed))
          << c.key << "=" << c.value;
    } else {
      EXPECT_NE(error.find(c.error_contains), std::string::npos)
          << c.key << "=" << c.value << " -> " << error;
      EXPECT_EQ(config.to_json(), before) << "a rejected override changes nothing";
    }
  }
  AssistantConfig config;
  config.apply_assignment("llm.system_prompt=a=b");
  EXPECT_EQ(config.llm.system_prompt, "a=b") << "only the first '=' splits";
  EXPECT_NE(error_of([&] { config.apply_assignment("novalue"); }).find("expected key=value"),
            std::string::npos);
}

TEST(Config, EffectiveConfigFromDefaultLocationFileAndOverrides) {
  const std::string home = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_config_home";
  std::filesystem::create_directories(home + "/parley");
  std::ofstream(home + "/parley/config.json")
      << R"({"vad": {"threshold": 0.7}, "wake": {"phrase": "computer"}})";
  const char* old_xdg = getenv("XDG_CONFIG_HOME");
  const std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CONFIG_HOME", home.c_str(), 1);
  EXPECT_EQ(default_config_path(), home + "/parley/config.json");

  std::string used;
  AssistantConfig c = load_effective_config("", {"vad.threshold=0.4"}, &used);
  EXPECT_EQ(used, home + "/parley/config.json");
  EXPECT_FLOAT_EQ(c.vad.threshold, 0.4f) << "--set wins over the file";
  EXPECT_EQ(c.wake.phrase, "computer");

  const std::string explicit_file =
      write_temp("parley_explicit.json", R"({"llm": {"max_tokens": 64}})");
  c = load_effective_config(explicit_file, {}, &used);
  EXPECT_EQ(used, explicit_file);
  EXPECT_EQ(c.llm.max_tokens, 64);
  EXPECT_EQ(c.wake.phrase, "") << "an explicit file replaces the default one";

  EXPECT_NE(error_of([&] {
              load_effective_config("/nonexistent/parley.json", {});
            }).find("/nonexistent/parley.json"),
            std::string::npos);
  // Overrides that break a cross-field rule are caught after all of them are applied.
  EXPECT_NE(error_of([&] {
              load_effective_config(explicit_file, {"remote_llm.enabled=true"});
            }).find("remote_llm.url"),
            std::string::npos);
  EXPECT_NO_THROW(load_effective_config(
      explicit_file, {"remote_llm.enabled=true", "remote_llm.url=http://h:1/v1"}));

  setenv("XDG_CONFIG_HOME", (home + "/empty").c_str(), 1);
  c = load_effective_config("", {}, &used);
  EXPECT_EQ(used, "") << "no default file: defaults";
  if (old_xdg) {
    setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CONFIG_HOME");
  }
  std::filesystem::remove_all(home);
  std::filesystem::remove(explicit_file);
}

TEST(Config, FieldTableDescribesEveryKey) {
  for (const ConfigFieldInfo& f : config_fields()) {
    EXPECT_NE(f.key.find('.'), std::string::npos) << f.key;
    EXPECT_FALSE(f.description.empty()) << f.key;
    if (f.kind == ConfigValueKind::kInt || f.kind == ConfigValueKind::kFloat) {
      EXPECT_FALSE(f.limits.empty()) << f.key;
    }
  }
}

}  // namespace
}  // namespace parley::assistant
