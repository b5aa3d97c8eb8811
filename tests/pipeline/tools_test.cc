// Tool registry and built-in tools on a simulated clock: the embedded schema, every way a call
// can be wrong (each answered with an error result naming the problem, never a crash), timers
// set -> due -> announced, alarms, list, cancel, volume, stop, and the duration / time parsers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assistant/core/assistant_tools.h"
#include "assistant/core/tool_call_parser.h"
#include "assistant/core/tool_registry.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

using json = nlohmann::json;

// Sunday 2026-11-29 07:05:09 local.
CivilTime morning() {
  return {2026, 11, 29, 7, 5, 9, 0};
}

struct Fixture {
  SimulatedClock clock{morning()};
  std::vector<std::string> announcements;
  TimerService timers{
      clock, [this](const TimerInfo& t) { announcements.push_back(timer_announcement(t)); }};
  VolumeControl volume{50};
  int stops = 0;
  ToolRegistry registry = builtin_tool_registry(
      {.clock = &clock, .timers = &timers, .volume = &volume, .on_stop = [this] { ++stops; }}, {});
  ToolResult call(const std::string& body) { return registry.call_text(body); }
};

TEST(Tools, BuiltinSchemaHasEveryToolAndEveryToolHasAHandler) {
  Fixture f;
  const std::vector<std::string> expected = {"get_time",   "get_date",      "set_timer",
                                             "set_alarm",  "list_timers",   "cancel_timer",
                                             "set_volume", "change_volume", "stop"};
  ASSERT_EQ(f.registry.schemas().size(), expected.size());
  for (const std::string& name : expected) {
    EXPECT_NE(f.registry.find(name), nullptr) << name;
    EXPECT_TRUE(f.registry.has_handler(name)) << name;
  }
  const json schema = json::parse(f.registry.enabled_schema_json());
  EXPECT_EQ(schema.size(), expected.size());
}

struct BadCall {
  const char* body;
  const char* error_contains;
};

TEST(Tools, BadCallsBecomeErrorResults) {
  Fixture f;
  const BadCall cases[] = {
      {"", "not valid JSON"},
      {"{\"name\": \"get_time\", ", "not valid JSON"},
      {"[1, 2]", "needs a \"name\""},
      {"{\"arguments\": {}}", "needs a \"name\""},
      {"{\"name\": 42}", "needs a \"name\""},
      {"{\"name\": \"launch_rocket\", \"arguments\": {}}", "unknown tool 'launch_rocket'"},
      {"{\"name\": \"set_volumn\", \"arguments\": {\"level\": 3}}", "did you mean \"set_volume\""},
      {"{\"name\": \"set_volume\", \"arguments\": []}", "must be an object"},
      {"{\"name\": \"set_volume\", \"arguments\": \"{nope\"}", "not valid JSON"},
      {"{\"name\": \"set_volume\", \"arguments\": {}}", "missing required argument 'level'"},
      {"{\"name\": \"set_volume\", \"arguments\": {\"level\": \"loud\"}}", "must be an integer"},
      {"{\"name\": \"set_volume\", \"arguments\": {\"level\": 150}}", "between 0 and 100, got 150"},
      {"{\"name\": \"set_volume\", \"arguments\": {\"level\": 2.5}}", "whole number"},
      {"{\"name\": \"set_volume\", \"arguments\": {\"volume\": 3}}", "unknown argument 'volume'"},
      {"{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}", "it takes no arguments"},
      {"{\"name\": \"set_timer\", \"arguments\": {\"duration\": 300}}", "must be a string"},
      {"{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"soon\"}}", "not a duration"},
      {"{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"9 days\"}}", "not a duration"},
      {"{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"200 hours\"}}",
       "longer than a week"},
      {"{\"name\": \"set_alarm\", \"arguments\": {\"time\": \"25:00\"}}", "not a time of day"},
      {"{\"name\": \"cancel_timer\", \"arguments\": {}}", "no timer or alarm is running"},
      {"{\"name\": \"cancel_timer\", \"arguments\": {\"id\": 99}}", "no timer or alarm with id 99"},
      {"{\"name\": \"cancel_timer\", \"arguments\": {\"id\": 0}}", "at least 1"},
  };
  for (const BadCall& c : cases) {
    const ToolResult r = f.call(c.body);
    EXPECT_FALSE(r.ok) << c.body;
    EXPECT_NE(r.error.find(c.error_contains), std::string::npos) << c.body << " -> " << r.error;
    const json message = json::parse(tool_message(r).content);
    EXPECT_EQ(message["ok"], false);
    EXPECT_EQ(message["error"], r.error);
  }
  EXPECT_TRUE(f.timers.list().empty()) << "no bad call may leave a timer behind";
  EXPECT_EQ(f.volume.percent(), 50);
}

TEST(Tools, TimeAndDateComeFromTheClock) {
  Fixture f;
  ToolResult r = f.call(R"({"name": "get_time", "arguments": {}})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["time"], "07:05");
  EXPECT_EQ(r.value["spoken"], "7:05 AM");
  f.clock.advance_seconds(11 * 3600);     // 18:05:09
  r = f.call(R"({"name": "get_time"})");  // no arguments at all is fine
  EXPECT_EQ(r.value["spoken"], "6:05 PM");
  f.clock.advance_seconds(6 * 3600);  // past midnight: Monday
  r = f.call(R"({"name": "get_date", "arguments": {}})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.value["date"], "2026-11-30");
  EXPECT_EQ(r.value["weekday"], "Monday");
  EXPECT_EQ(r.value["spoken"], "Monday, November 30, 2026");
  const llm::ChatMessage message = tool_message(r);
  EXPECT_EQ(message.role, "tool");
  EXPECT_EQ(json::parse(message.content)["result"]["weekday"], "Monday");
}

TEST(Tools, TimerSetDueAnnouncedThroughTheStreamParser) {
  Fixture f;
  // The model's reply, streamed in pieces.
  ToolCallStreamParser parser;
  std::string speakable;
  std::vector<ToolCallText> calls;
  for (const char* piece :
       {"Sure, five minutes. <tool_", "call>{\"name\": \"set_timer\", \"arguments\": ",
        "{\"duration\": \"5 minutes\", \"label\": \"tea\"}}</tool_call>"}) {
    parser.push(piece, speakable, calls);
  }
  parser.finish(speakable, calls);
  EXPECT_EQ(speakable, "Sure, five minutes. ");
  ASSERT_EQ(calls.size(), 1u);
  const ToolResult r = f.registry.call_text(calls[0].body);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.value["id"], 1);
  EXPECT_DOUBLE_EQ(r.value["duration_seconds"].get<double>(), 300.0);
  f.clock.advance_seconds(299.9);
  EXPECT_EQ(f.timers.poll(), 0u);
  EXPECT_TRUE(f.announcements.empty());
  f.clock.advance_seconds(0.1);
  EXPECT_EQ(f.timers.poll(), 1u);
  ASSERT_EQ(f.announcements.size(), 1u);
  EXPECT_EQ(f.announcements[0], "Your tea timer is done.");
  EXPECT_EQ(f.timers.poll(), 0u) << "a timer fires once";
}

TEST(Tools, TimersAndAlarmsListCancelAndFireInOrder) {
  Fixture f;
  ASSERT_TRUE(f.call(R"({"name": "set_timer", "arguments": {"duration": "10 minutes"}})").ok);
  ASSERT_TRUE(
      f.call(R"({"name": "set_alarm", "arguments": {"time": "7:30 am", "label": "leave"}})").ok);
  ASSERT_TRUE(
      f.call(R"({"name": "set_timer", "arguments": {"duration": "1h", "label": "Bread"}})").ok);
  ToolResult listed = f.call(R"({"name": "list_timers", "arguments": {}})");
  ASSERT_TRUE(listed.ok);
  const json& timers = listed.value["timers"];
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[0]["id"], 1);  // by deadline: 10 min, 07:30 (24 min 51 s), 1 h
  EXPECT_EQ(timers[0]["remaining_seconds"], 600);
  EXPECT_EQ(timers[1]["kind"], "alarm");
  EXPECT_EQ(timers[1]["time"], "07:30");
  EXPECT_EQ(timers[1]["remaining_seconds"], 24 * 60 + 51);
  EXPECT_EQ(timers[2]["label"], "Bread");

  ToolResult ambiguous = f.call(R"({"name": "cancel_timer", "arguments": {}})");
  EXPECT_FALSE(ambiguous.ok);
  EXPECT_NE(ambiguous.error.find("3 timers and alarms are running"), std::string::npos);
  ToolResult by_label = f.call(R"({"name": "cancel_timer", "arguments": {"label": "bread"}})");
  ASSERT_TRUE(by_label.ok) << by_label.error;
  EXPECT_EQ(by_label.value["cancelled"], json::array({3}));

  f.clock.advance_seconds(3600);
  EXPECT_EQ(f.timers.poll(), 2u);
  ASSERT_EQ(f.announcements.size(), 2u);
  EXPECT_EQ(f.announcements[0], "Your 10 minute timer is done.");
  EXPECT_EQ(f.announcements[1], "It's 07:30. Alarm: leave.");
  EXPECT_TRUE(f.timers.list().empty());
}

TEST(Tools, AlarmEarlierThanNowRingsTomorrow) {
  Fixture f;  // 07:05:09
  ToolResult r = f.call(R"({"name": "set_alarm", "arguments": {"time": "07:05"}})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.value["in_seconds"], 24 * 3600 - 9);
  r = f.call(R"({"name": "set_alarm", "arguments": {"time": "noon"}})");
  EXPECT_EQ(r.value["in_seconds"], 4 * 3600 + 54 * 60 + 51);
}

TEST(Tools, VolumeAndStop) {
  Fixture f;
  EXPECT_EQ(f.call(R"({"name": "set_volume", "arguments": {"level": 80}})").value["volume"], 80);
  EXPECT_EQ(f.call(R"({"name": "change_volume", "arguments": {"delta": 30}})").value["volume"],
            100);
  EXPECT_EQ(f.call(R"({"name": "change_volume", "parameters": {"delta": "-25"}})").value["volume"],
            75)
      << "Llama-3.1 style 'parameters' and a numeric string are accepted";
  EXPECT_EQ(f.call(R"({"name": "set_volume", "arguments": "{\"level\": 10}"})").value["volume"], 10)
      << "OpenAI style arguments string";
  EXPECT_FLOAT_EQ(f.volume.gain(), 0.1f);
  const ToolResult stop = f.call(R"({"name": "stop", "arguments": {}})");
  EXPECT_TRUE(stop.ok);
  EXPECT_EQ(f.stops, 1);
}

TEST(Tools, DisabledToolsAnswerAsUnknownAndMissingHandlersAsUnavailable) {
  Fixture f;
  f.registry.set_enabled("set_alarm", false);
  const ToolResult r = f.call(R"({"name": "set_alarm", "arguments": {"time": "07:00"}})");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("unknown tool 'set_alarm'"), std::string::npos);
  EXPECT_EQ(r.error.find("set_alarm,"), std::string::npos)
      << "not listed as available: " << r.error;
  EXPECT_EQ(json::parse(f.registry.enabled_schema_json()).size(), 8u);
  EXPECT_THROW(f.registry.set_enabled("nope", false), Error);

  ToolRegistry bare = ToolRegistry::builtin();
  const ToolResult unavailable = bare.call_text(R"({"name": "get_time", "arguments": {}})");
  EXPECT_FALSE(unavailable.ok);
  EXPECT_NE(unavailable.error.find("not available"), std::string::npos);
  EXPECT_THROW(bare.set_handler("nope", [](const json&) { return json(); }), Error);
}

TEST(Tools, BuiltinRegistrySwitchesOffTheConfiguredTools) {
  Fixture f;
  const ToolRegistry registry = builtin_tool_registry(
      {.clock = &f.clock, .timers = &f.timers, .volume = &f.volume, .on_stop = {}}, {"set_alarm", "stop"});
  EXPECT_EQ(json::parse(registry.enabled_schema_json()).size(), 7u);
  EXPECT_FALSE(registry.call_text(R"({"name": "stop", "arguments": {}})").ok);
  const ToolResult time = registry.call_text(R"({"name": "get_time", "arguments": {}})");
  ASSERT_TRUE(time.ok) << time.error;
  EXPECT_EQ(time.value["time"], "07:05");
  EXPECT_THROW(builtin_tool_registry({.clock = &f.clock, .timers = &f.timers, .volume = &f.volume, .on_stop = {}},
                                     {"no_such_tool"}),
               Error);
  EXPECT_THROW(builtin_tool_registry({.clock = &f.clock, .timers = nullptr, .volume = nullptr, .on_stop = {}}, {}), Error);
}

TEST(Tools, HandlerExceptionsBecomeResults) {
  ToolRegistry registry = ToolRegistry::builtin();
  registry.set_handler("get_time",
                       [](const json&) -> json { throw std::runtime_error("clock unplugged"); });
  const ToolResult r = registry.call_text(R"({"name": "get_time"})");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("clock unplugged"), std::string::npos);
}

TEST(Tools, MalformedSchemasNameTheField) {
  struct Case {
    const char* schema;
    const char* error_contains;
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {"{\"x\": 1}", "expected an array"},
      {"[{\"description\": \"no name\"}]", "tools[0].name"},
      {"[{\"name\": \"a\", \"parameters\": {\"properties\": {\"x\": {\"type\": \"date\"}}}}]",
       "properties.x.type"},
      {"[{\"name\": \"a\", \"parameters\": {\"properties\": {}, \"required\": [\"x\"]}}]",
       "required"},
      {"[{\"name\": \"a\"}, {\"name\": \"a\"}]", "duplicate name a"},
  };
  for (const Case& c : cases) {
    try {
      ToolRegistry::from_json(c.schema, "test.json");
      ADD_FAILURE() << c.schema;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.error_contains), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
    }
  }
  // The OpenAI form and {"tools": [...]} load too, with enum and number checks.
  ToolRegistry openai = ToolRegistry::from_json(
      R"({"tools": [{"type": "function", "function": {"name": "light", "parameters": {"type": "object",
          "properties": {"room": {"type": "string", "enum": ["kitchen", "hall"]}, "level": {"type": "number", "maximum": 1}},
          "required": ["room"]}}}]})",
      "openai.json");
  openai.set_handler("light", [](const json& a) { return a; });
  EXPECT_TRUE(
      openai.call_text(R"({"name": "light", "arguments": {"room": "hall", "level": 0.5}})").ok);
  EXPECT_NE(openai.call_text(R"({"name": "light", "arguments": {"room": "attic"}})")
                .error.find("must be one of"),
            std::string::npos);
  EXPECT_NE(openai.call_text(R"({"name": "light", "arguments": {"room": "hall", "level": 2}})")
                .error.find("at most 1"),
            std::string::npos);
}

TEST(Tools, ParseDurationTable) {
  const struct {
    const char* text;
    double seconds;  // 0: rejected
  } cases[] = {
      {"5 minutes", 300},
      {"1 hour 30 minutes", 5400},
      {"1h30m", 5400},
      {"90 s", 90},
      {"90", 90},
      {"an hour", 3600},
      {"half an hour", 1800},
      {"2.5 minutes", 150},
      {"1 minute and 5 seconds", 65},
      {"10 MIN.", 600},
      {"1 hr, 2 mins", 3720},
      {"soon", 0},
      {"", 0},
      {"0 minutes", 0},
      {"minutes", 0},
      {"5 5 minutes", 0},
      {"3 weeks", 0},
      {"-5 minutes", 0},
      {"1e3", 0},
  };
  for (const auto& c : cases) {
    const std::optional<double> parsed = parse_duration_seconds(c.text);
    if (c.seconds == 0) {
      EXPECT_FALSE(parsed.has_value()) << c.text << " -> " << parsed.value_or(-1);
    } else {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_DOUBLE_EQ(*parsed, c.seconds) << c.text;
    }
  }
}

TEST(Tools, ParseTimeOfDayTable) {
  const struct {
    const char* text;
    int hour;  // -1: rejected
    int minute;
  } cases[] = {
      {"07:30", 7, 30}, {"7:30", 7, 30},  {"7:30 am", 7, 30}, {"7:30 PM", 19, 30},
      {"7 pm", 19, 0},  {"12 am", 0, 0},  {"12 pm", 12, 0},   {"12:15 a.m.", 0, 15},
      {"19.05", 19, 5}, {"noon", 12, 0},  {"midnight", 0, 0}, {"23:59", 23, 59},
      {"24:00", -1, 0}, {"13 pm", -1, 0}, {"7:5", -1, 0},     {"7:60", -1, 0},
      {"seven", -1, 0}, {"", -1, 0},      {"0 am", -1, 0},    {"123", -1, 0},
  };
  for (const auto& c : cases) {
    const std::optional<TimeOfDay> parsed = parse_time_of_day(c.text);
    if (c.hour < 0) {
      EXPECT_FALSE(parsed.has_value()) << c.text;
    } else {
      ASSERT_TRUE(parsed.has_value()) << c.text;
      EXPECT_EQ(parsed->hour, c.hour) << c.text;
      EXPECT_EQ(parsed->minute, c.minute) << c.text;
    }
  }
}

TEST(Tools, SpokenDurations) {
  EXPECT_EQ(spoken_duration(300), "5 minutes");
  EXPECT_EQ(spoken_duration(5400), "1 hour 30 minutes");
  EXPECT_EQ(spoken_duration(61), "1 minute 1 second");
  EXPECT_EQ(spoken_duration(0.2), "0 seconds");
  TimerInfo t;
  t.duration_seconds = 60;
  EXPECT_EQ(timer_announcement(t), "Your 1 minute timer is done.");
  t.duration_seconds = 90;
  EXPECT_EQ(timer_announcement(t), "Your 1 minute 30 seconds timer is done.");
}

}  // namespace
}  // namespace parley::assistant
