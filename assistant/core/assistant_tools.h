// The built-in tools: time and date, timers and alarms, volume, stop — the handlers behind the
// names in tools.json, working in every mode (listen, converse, serve, pipe).
//
// Results (the "result" object the model reads back):
//   get_time      {"time": "07:05", "hour": 7, "minute": 5, "spoken": "7:05 AM"}
//   get_date      {"date": "2026-11-29", "weekday": "Sunday", "spoken": "Sunday, November 29,
//   2026"} set_timer     {"id": 1, "duration_seconds": 300, "label": "tea", "spoken": "5 minutes"}
//   set_alarm     {"id": 2, "time": "07:30", "label": "", "in_seconds": 3600}
//   list_timers   {"timers": [{"id": 1, "kind": "timer", "label": "tea", "remaining_seconds": 240},
//   ...]} cancel_timer  {"cancelled": [1]} set_volume / change_volume   {"volume": 60} stop
//   {"stopped": true}
// Input the schema cannot check ("soon", "25:00", "cancel which of the two timers?") is answered
// with ToolInputError, which the registry turns into an error result.
//
// Usage
//   VolumeControl volume(50);
//   TimerService timers(clock, [&](const TimerInfo& t) { announce(timer_announcement(t)); });
//   ToolRegistry registry = builtin_tool_registry(
//       {.clock = &clock, .timers = &timers, .volume = &volume,
//        .on_stop = [&] { pipeline.stop_speaking(); }},
//       config.tools.disabled);
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/core/clock.h"
#include "assistant/core/timers.h"
#include "assistant/core/tool_registry.h"

namespace parley::assistant {

// The speaker volume in percent (0..100), read by the playback stage. Thread-safe.
class VolumeControl {
 public:
  explicit VolumeControl(int percent = 70) : percent_(clamp(percent)) {}
  int percent() const { return percent_.load(std::memory_order_relaxed); }
  int set(int percent);           // clamps to 0..100, returns the new level
  int change(int delta_percent);  // clamps, returns the new level
  float gain() const { return static_cast<float>(percent()) / 100.0f; }  // linear, for playback

 private:
  static int clamp(int percent) { return percent < 0 ? 0 : percent > 100 ? 100 : percent; }
  std::atomic<int> percent_;
};

struct BuiltinToolContext {
  const Clock* clock = nullptr;     // required
  TimerService* timers = nullptr;   // required
  VolumeControl* volume = nullptr;  // required
  std::function<void()> on_stop;    // stop speaking, silence ringing; may be empty
};

// Installs a handler for every built-in tool that `registry`'s schema names. The handlers keep
// the context's pointers: clock, timers and volume must outlive the registry. Throws
// parley::Error when a required context member is null.
void register_builtin_tools(ToolRegistry& registry, const BuiltinToolContext& context);

// The shipped schema (ToolRegistry::builtin()) with every handler installed and the tools named
// in `disabled` (config tools.disabled) switched off — what every mode of the assistant uses.
// Throws parley::Error for a null required context member or an unknown disabled name.
ToolRegistry builtin_tool_registry(const BuiltinToolContext& context,
                                   const std::vector<std::string>& disabled);

// "5 minutes", "1 hour 30 minutes", "1h30m", "90 s", "90", "an hour", "half an hour",
// "2.5 minutes" -> seconds. std::nullopt for anything else (or a total of 0).
std::optional<double> parse_duration_seconds(std::string_view text);

struct TimeOfDay {
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
};
// "07:30", "7:30", "7:30 am", "7 pm", "12 am" (midnight), "19.05", "noon", "midnight".
std::optional<TimeOfDay> parse_time_of_day(std::string_view text);

}  // namespace parley::assistant
