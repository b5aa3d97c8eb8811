#include "tts/voice_config.h"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/error.h"
#include "tts/utf8.h"

namespace parley::tts {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(std::string_view source, std::string_view field, std::string_view what) {
  throw Error(std::string(source) + ": " + std::string(field) + ": " + std::string(what));
}

// The object member `key` of `parent`, or nullptr when absent or null.
const Json* member(const Json& parent, const char* key) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json& require_object(const Json& value, std::string_view source, std::string_view field) {
  if (!value.is_object()) fail(source, field, "expected an object");
  return value;
}

float read_float(const Json& value, std::string_view source, std::string_view field,
                 float min_value, float max_value) {
  if (!value.is_number()) fail(source, field, "expected a number");
  const double number = value.get<double>();
  if (!(number >= min_value && number <= max_value)) {
    fail(source, field,
         "value " + std::to_string(number) + " outside [" + std::to_string(min_value) + ", " +
             std::to_string(max_value) + "]");
  }
  return static_cast<float>(number);
}

int read_int(const Json& value, std::string_view source, std::string_view field, int64_t min_value,
             int64_t max_value) {
  if (!value.is_number_integer()) fail(source, field, "expected an integer");
  const int64_t number = value.get<int64_t>();
  if (number < min_value || number > max_value) {
    fail(source, field,
         "value " + std::to_string(number) + " outside [" + std::to_string(min_value) + ", " +
             std::to_string(max_value) + "]");
  }
  return static_cast<int>(number);
}

// A map key or value that must be exactly one code point.
char32_t single_code_point(const std::string& text, std::string_view source,
                           std::string_view field) {
  const std::u32string code_points = utf8_decode(text);
  if (code_points.size() != 1) {
    fail(source, field, "expected exactly one code point, got \"" + text + "\"");
  }
  return code_points[0];
}

void read_phoneme_id_map(const Json& value, VoiceConfig& config) {
  const std::string_view source = config.source_name;
  require_object(value, source, "phoneme_id_map");
  if (value.empty()) fail(source, "phoneme_id_map", "is empty");
  for (const auto& [key, ids_json] : value.items()) {
    const std::string field = "phoneme_id_map['" + key + "']";
    const char32_t phoneme = single_code_point(key, source, field);
    if (!ids_json.is_array() || ids_json.empty())
      fail(source, field, "expected a non-empty array of integers");
    std::vector<int64_t> ids;
    for (const Json& id : ids_json) {
      const int64_t limit =
          config.num_symbols > 0 ? config.num_symbols - 1 : (int64_t{1} << 31) - 1;
      ids.push_back(read_int(id, source, field, 0, limit));
    }
    config.phoneme_id_map.emplace(phoneme, std::move(ids));
  }
  for (char32_t required : {kPiperPad, kPiperBos, kPiperEos}) {
    if (!config.phoneme_id_map.contains(required)) {
      std::string symbol;
      utf8_append(required, symbol);
      fail(source, "phoneme_id_map", "missing Piper's '" + symbol + "' symbol");
    }
  }
}

void read_phoneme_map(const Json& value, VoiceConfig& config) {
  const std::string_view source = config.source_name;
  require_object(value, source, "phoneme_map");
  for (const auto& [key, replacement_json] : value.items()) {
    const std::string field = "phoneme_map['" + key + "']";
    const char32_t phoneme = single_code_point(key, source, field);
    if (!replacement_json.is_array()) fail(source, field, "expected an array of phonemes");
    std::u32string replacement;
    for (const Json& item : replacement_json) {
      if (!item.is_string()) fail(source, field, "expected an array of strings");
      replacement.push_back(single_code_point(item.get<std::string>(), source, field));
    }
    config.phoneme_map.emplace(phoneme, std::move(replacement));
  }
}

}  // namespace

const std::vector<int64_t>* VoiceConfig::find_phoneme_ids(char32_t phoneme) const {
  auto it = phoneme_id_map.find(phoneme);
  return it == phoneme_id_map.end() ? nullptr : &it->second;
}

int VoiceConfig::speaker_id(std::string_view speaker) const {
  if (auto it = speaker_id_map.find(std::string(speaker)); it != speaker_id_map.end())
    return it->second;
  int id = -1;
  const auto [end, error] = std::from_chars(speaker.data(), speaker.data() + speaker.size(), id);
  if (error == std::errc() && end == speaker.data() + speaker.size() && id >= 0 &&
      id < num_speakers) {
    return id;
  }
  throw Error(source_name + ": speaker '" + std::string(speaker) + "' not in speaker_id_map (" +
              std::to_string(num_speakers) + " speakers)");
}

VoiceConfig parse_voice_config(std::string_view json_text, std::string_view source_name) {
  VoiceConfig config;
  config.source_name = std::string(source_name);
  const std::string_view source = config.source_name;
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::exception& error) {  // parse_error, out_of_range (1e999)
    fail(source, "(document)", std::string("not valid JSON: ") + error.what());
  }
  require_object(root, source, "(document)");

  const Json* audio = member(root, "audio");
  if (audio == nullptr) fail(source, "audio", "missing");
  require_object(*audio, source, "audio");
  const Json* sample_rate = member(*audio, "sample_rate");
  if (sample_rate == nullptr) fail(source, "audio.sample_rate", "missing");
  config.sample_rate_hz = read_int(*sample_rate, source, "audio.sample_rate", 1000, 384000);

  if (const Json* type = member(root, "phoneme_type")) {
    if (!type->is_string()) fail(source, "phoneme_type", "expected a string");
    config.phoneme_type = type->get<std::string>();
    if (config.phoneme_type != "espeak" && config.phoneme_type != "text") {
      fail(source, "phoneme_type",
           "unsupported value \"" + config.phoneme_type + "\" (espeak or text)");
    }
  }
  if (const Json* espeak = member(root, "espeak")) {
    require_object(*espeak, source, "espeak");
    const Json* voice = member(*espeak, "voice");
    if (voice == nullptr || !voice->is_string() || voice->get<std::string>().empty()) {
      fail(source, "espeak.voice", "expected a non-empty string");
    }
    config.espeak_voice = voice->get<std::string>();
  } else if (config.phoneme_type == "espeak") {
    fail(source, "espeak", "missing (required when phoneme_type is espeak)");
  }

  if (const Json* inference = member(root, "inference")) {
    require_object(*inference, source, "inference");
    if (const Json* v = member(*inference, "noise_scale")) {
      config.noise_scale = read_float(*v, source, "inference.noise_scale", 0.0f, 10.0f);
    }
    if (const Json* v = member(*inference, "length_scale")) {
      config.length_scale = read_float(*v, source, "inference.length_scale", 0.01f, 100.0f);
    }
    if (const Json* v = member(*inference, "noise_w")) {
      config.noise_w = read_float(*v, source, "inference.noise_w", 0.0f, 10.0f);
    }
  }
  if (const Json* v = member(root, "num_symbols")) {
    config.num_symbols = read_int(*v, source, "num_symbols", 1, 1 << 20);
  }
  if (const Json* v = member(root, "num_speakers")) {
    config.num_speakers = read_int(*v, source, "num_speakers", 1, 1 << 20);
  }
  if (const Json* speakers = member(root, "speaker_id_map")) {
    require_object(*speakers, source, "speaker_id_map");
    for (const auto& [name, id] : speakers->items()) {
      config.speaker_id_map.emplace(
          name, read_int(id, source, "speaker_id_map['" + name + "']", 0, config.num_speakers - 1));
    }
  }

  const Json* id_map = member(root, "phoneme_id_map");
  if (id_map == nullptr) fail(source, "phoneme_id_map", "missing");
  read_phoneme_id_map(*id_map, config);
  if (const Json* phoneme_map = member(root, "phoneme_map")) read_phoneme_map(*phoneme_map, config);
  return config;
}

VoiceConfig load_voice_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open voice config");
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw Error(path + ": read failed");
  return parse_voice_config(contents.str(), path);
}

}  // namespace parley::tts
