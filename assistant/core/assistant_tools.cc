#include "assistant/core/assistant_tools.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/error.h"

namespace parley::assistant {

namespace {

using json = nlohmann::json;

std::string lower_trimmed(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t begin = out.find_first_not_of(" \t\n\r");
  if (begin == std::string::npos) return "";
  const size_t end = out.find_last_not_of(" \t\n\r.");
  return out.substr(begin, end - begin + 1);
}

// Seconds per unit word; 0 for an unknown word.
double unit_seconds(std::string_view unit) {
  static constexpr struct {
    std::string_view name;
    double seconds;
  } kUnits[] = {{"s", 1},    {"sec", 1},   {"secs", 1},   {"second", 1},  {"seconds", 1},
                {"m", 60},   {"min", 60},  {"mins", 60},  {"minute", 60}, {"minutes", 60},
                {"h", 3600}, {"hr", 3600}, {"hrs", 3600}, {"hour", 3600}, {"hours", 3600}};
  for (const auto& u : kUnits) {
    if (u.name == unit) return u.seconds;
  }
  return 0;
}

std::string two_digits(int n) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d", n);
  return buffer;
}

std::string spoken_clock_time(int hour, int minute) {
  const int h12 = hour % 12 == 0 ? 12 : hour % 12;
  return std::to_string(h12) + ":" + two_digits(minute) + (hour < 12 ? " AM" : " PM");
}

std::string string_argument(const json& arguments, const char* name) {
  return arguments.contains(name) ? arguments[name].get<std::string>() : std::string();
}

json timer_json(const TimerInfo& t) {
  json out = {{"id", t.id},
              {"kind", t.kind == TimerKind::kAlarm ? "alarm" : "timer"},
              {"label", t.label},
              {"remaining_seconds", std::lround(std::max(0.0, t.remaining_seconds))}};
  if (t.kind == TimerKind::kAlarm)
    out["time"] = two_digits(t.alarm_hour) + ":" + two_digits(t.alarm_minute);
  return out;
}

}  // namespace

int VolumeControl::set(int percent) {
  const int level = clamp(percent);
  percent_.store(level, std::memory_order_relaxed);
  return level;
}

int VolumeControl::change(int delta_percent) {
  int current = percent_.load(std::memory_order_relaxed);
  int next = clamp(current + delta_percent);
  while (!percent_.compare_exchange_weak(current, next, std::memory_order_relaxed))
    next = clamp(current + delta_percent);
  return next;
}

std::optional<double> parse_duration_seconds(std::string_view text) {
  const std::string s = lower_trimmed(text);
  if (s == "half an hour" || s == "half hour") return 1800.0;
  // Tokens: numbers and words, split at spaces and at digit/letter boundaries ("1h30m").
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) tokens.push_back(current);
    current.clear();
  };
  for (char c : s) {
    const bool numeric = std::isdigit(static_cast<unsigned char>(c)) || c == '.';
    if (c == ' ' || c == ',') {
      flush();
    } else if (!current.empty() &&
               numeric != (std::isdigit(static_cast<unsigned char>(current.back())) ||
                           current.back() == '.')) {
      flush();
      current += c;
    } else {
      current += c;
    }
  }
  flush();
  double total = 0;
  double amount = 0;
  bool has_amount = false;  // a number waiting for its unit
  for (const std::string& token : tokens) {
    if (token == "and") continue;
    if (token == "a" || token == "an" || token == "one") {
      if (has_amount) return std::nullopt;
      amount = 1;
      has_amount = true;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(token[0])) || token[0] == '.') {
      if (has_amount) return std::nullopt;  // two numbers in a row
      char* end = nullptr;
      const double value = std::strtod(token.c_str(), &end);
      if (end != token.c_str() + token.size() || !std::isfinite(value) || value < 0)
        return std::nullopt;
      amount = value;
      has_amount = true;
      continue;
    }
    const double unit = unit_seconds(token);
    if (unit == 0 || !has_amount) return std::nullopt;  // unknown word, or a unit without a number
    total += amount * unit;
    has_amount = false;
  }
  if (has_amount) total += amount;  // a bare trailing number is seconds
  if (!(total > 0)) return std::nullopt;
  return total;
}

std::optional<TimeOfDay> parse_time_of_day(std::string_view text) {
  std::string s = lower_trimmed(text);
  if (s == "noon" || s == "midday") return TimeOfDay{12, 0};
  if (s == "midnight") return TimeOfDay{0, 0};
  // Suffix am / pm / a.m. / p.m.
  std::optional<bool> pm;
  for (const auto& [suffix, is_pm] : {std::pair{"a.m", false}, std::pair{"p.m", true},
                                      std::pair{"am", false}, std::pair{"pm", true}}) {
    const std::string_view sv(suffix);
    if (s.size() > sv.size() && s.compare(s.size() - sv.size(), sv.size(), sv) == 0) {
      pm = is_pm;
      s = lower_trimmed(s.substr(0, s.size() - sv.size()));
      break;
    }
  }
  int hour = 0;
  int minute = 0;
  const size_t separator = s.find_first_of(":.");
  auto parse_int = [](const std::string& digits, int& out) {
    if (digits.empty() || digits.size() > 2) return false;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    out = std::stoi(digits);
    return true;
  };
  if (separator == std::string::npos) {
    if (!parse_int(s, hour)) return std::nullopt;
  } else {
    if (!parse_int(s.substr(0, separator), hour)) return std::nullopt;
    const std::string minutes = s.substr(separator + 1);
    if (minutes.size() != 2 || !parse_int(minutes, minute)) return std::nullopt;
  }
  if (pm) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (*pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return std::nullopt;
  return TimeOfDay{hour, minute};
}

ToolRegistry builtin_tool_registry(const BuiltinToolContext& context,
                                   const std::vector<std::string>& disabled) {
  ToolRegistry registry = ToolRegistry::builtin();
  register_builtin_tools(registry, context);
  for (const std::string& name : disabled) registry.set_enabled(name, false);
  return registry;
}

void register_builtin_tools(ToolRegistry& registry, const BuiltinToolContext& context) {
  if (!context.clock || !context.timers || !context.volume) {
    throw Error("register_builtin_tools: clock, timers and volume are required");
  }
  const Clock& clock = *context.clock;
  TimerService& timers = *context.timers;
  VolumeControl& volume = *context.volume;
  auto install = [&](const char* name, ToolRegistry::Handler handler) {
    if (registry.find(name)) registry.set_handler(name, std::move(handler));
  };

  install("get_time", [&clock](const json&) {
    const CivilTime now = clock.wall_time();
    return json{{"time", two_digits(now.hour) + ":" + two_digits(now.minute)},
                {"hour", now.hour},
                {"minute", now.minute},
                {"spoken", spoken_clock_time(now.hour, now.minute)}};
  });
  install("get_date", [&clock](const json&) {
    const CivilTime now = clock.wall_time();
    return json{{"date", now.iso_date()},
                {"weekday", now.weekday_name()},
                {"spoken", std::string(now.weekday_name()) + ", " + now.month_name() + " " +
                               std::to_string(now.day) + ", " + std::to_string(now.year)}};
  });
  install("set_timer", [&timers](const json& arguments) {
    const std::string text = string_argument(arguments, "duration");
    const std::optional<double> seconds = parse_duration_seconds(text);
    if (!seconds)
      throw ToolInputError("duration \"" + text +
                           "\" is not a duration like \"5 minutes\" or \"1 hour 30 minutes\"");
    if (*seconds > TimerService::kMaxTimerSeconds)
      throw ToolInputError("duration \"" + text + "\" is longer than a week");
    const std::string label = string_argument(arguments, "label");
    const int64_t id = timers.add_timer(*seconds, label);
    return json{{"id", id},
                {"duration_seconds", *seconds},
                {"label", label},
                {"spoken", spoken_duration(*seconds)}};
  });
  install("set_alarm", [&timers](const json& arguments) {
    const std::string text = string_argument(arguments, "time");
    const std::optional<TimeOfDay> time = parse_time_of_day(text);
    if (!time)
      throw ToolInputError("time \"" + text +
                           "\" is not a time of day like \"07:30\" or \"7:30 am\"");
    const std::string label = string_argument(arguments, "label");
    const int64_t id = timers.add_alarm(time->hour, time->minute, label);
    double in_seconds = 0;
    for (const TimerInfo& t : timers.list()) {
      if (t.id == id) in_seconds = t.remaining_seconds;
    }
    return json{{"id", id},
                {"time", two_digits(time->hour) + ":" + two_digits(time->minute)},
                {"label", label},
                {"in_seconds", std::lround(in_seconds)}};
  });
  install("list_timers", [&timers](const json&) {
    json list = json::array();
    for (const TimerInfo& t : timers.list()) list.push_back(timer_json(t));
    return json{{"timers", list}};
  });
  install("cancel_timer", [&timers](const json& arguments) {
    const std::vector<TimerInfo> running = timers.list();
    std::vector<int64_t> matches;
    if (arguments.contains("id")) {
      const int64_t id = arguments["id"].get<int64_t>();
      for (const TimerInfo& t : running) {
        if (t.id == id) matches.push_back(id);
      }
      if (matches.empty()) throw ToolInputError("no timer or alarm with id " + std::to_string(id));
    } else if (arguments.contains("label")) {
      const std::string label = lower_trimmed(arguments["label"].get<std::string>());
      for (const TimerInfo& t : running) {
        if (lower_trimmed(t.label) == label) matches.push_back(t.id);
      }
      if (matches.empty())
        throw ToolInputError("no timer or alarm labelled \"" +
                             arguments["label"].get<std::string>() + "\"");
    } else {
      if (running.empty()) throw ToolInputError("no timer or alarm is running");
      if (running.size() > 1) {
        throw ToolInputError(std::to_string(running.size()) +
                             " timers and alarms are running; say which (id or label)");
      }
      matches.push_back(running.front().id);
    }
    for (int64_t id : matches) timers.cancel(id);
    return json{{"cancelled", matches}};
  });
  install("set_volume", [&volume](const json& arguments) {
    return json{{"volume", volume.set(static_cast<int>(arguments["level"].get<int64_t>()))}};
  });
  install("change_volume", [&volume](const json& arguments) {
    return json{{"volume", volume.change(static_cast<int>(arguments["delta"].get<int64_t>()))}};
  });
  install("stop", [on_stop = context.on_stop](const json&) {
    if (on_stop) on_stop();
    return json{{"stopped", true}};
  });
}

}  // namespace parley::assistant
