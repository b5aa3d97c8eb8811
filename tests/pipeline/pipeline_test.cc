// Pipeline orchestration with scripted engines on a simulated clock (no models, no sound
// hardware): trace order of a full turn, barge-in, tools and timers, several turns.

#include "assistant/core/pipeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>

#include "asr/energy_vad.h"
#include "assistant/core/assistant_tools.h"
#include "assistant/core/chat_backend.h"
#include "assistant/core/device_watch.h"
#include "assistant/core/pipeline_driver.h"

namespace parley::assistant {
namespace {

constexpr int kRate = 16000;

// Loud noise: speech for the energy VAD.
std::vector<float> speech(double seconds, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-0.2f, 0.2f);
  std::vector<float> samples(static_cast<size_t>(seconds * kRate));
  for (float& s : samples) s = noise(rng);
  return samples;
}

std::vector<float> silence(double seconds) {
  return std::vector<float>(static_cast<size_t>(seconds * kRate), 0.0f);
}

std::string last_content(const std::vector<llm::ChatMessage>& messages, const std::string& role) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->role == role) return it->content;
  return "";
}

// A reply long enough to be interrupted while the LLM is still writing it (150 ms a word).
const std::string kStory =
    "Once upon a time there was a little robot, who lived in a kitchen and made tea for "
    "everyone. Every morning it woke up early, boiled the water, and sang a song about the "
    "weather while the cups warmed up on the shelf by the window.";

// The story for every question but `short_question`, which gets `short_answer`.
ScriptedChat::Script story_unless(std::string short_question, std::string short_answer) {
  return [q = std::move(short_question), a = std::move(short_answer)](const std::vector<llm::ChatMessage>& m) {
    return last_content(m, "user") == q ? a : kStory;
  };
}

struct Rig {
  explicit Rig(std::vector<std::string> transcripts, ScriptedChat::Script script,
               int64_t token_us = 20'000, PipelineOptions options = {})
      : clock({.year = 2026, .month = 11, .day = 29, .hour = 7}),
        mic(audio::StreamConfig{.sample_rate_hz = kRate}, size_t{kRate} * 600),
        ears(std::move(transcripts), kRate,
             [this] { pipeline->wait_on_clock_until(Pipeline::kAsrStage, clock.now_us() + 40'000); }),
        brain(std::move(script),
              [this, token_us] {
                pipeline->wait_on_clock_until(Pipeline::kLlmStage, clock.now_us() + token_us);
              }),
        voice(kRate, 40.0),
        registry(ToolRegistry::builtin()),
        timers(clock, [this](const TimerInfo& t) { pipeline->announce(timer_announcement(t)); }) {
    register_builtin_tools(registry, {.clock = &clock, .timers = &timers, .volume = &volume, .on_stop = {}});
    options.system_prompt = "You are a test.";
    pipeline = std::make_unique<Pipeline>(
        mic, clock,
        PipelineEngines{.asr = &ears, .chat = &brain, .tts = &voice, .vad = &vad,
                        .tools = &registry, .timers = &timers},
        options);
    pipeline->set_on_turn([this](const TurnResult& r) {
      std::lock_guard lock(mutex);
      turns.push_back(r);
    });
    pipeline->start();
    driver = std::make_unique<ConversationDriver>(*pipeline, mic, clock, DrivePacing::kLockstep);
    driver->say(silence(0.5));  // the energy VAD learns the noise floor
  }
  ~Rig() { pipeline->stop(); }

  size_t turn_count() {
    std::lock_guard lock(mutex);
    return turns.size();
  }
  // Runs until `count` turns ended and the pipeline is quiet.
  bool run_turns(size_t count, double max_seconds = 60) {
    return driver->run_until(
        [&] {
          const PipelineStatus s = pipeline->status();
          return turn_count() >= count && !s.reply_active && s.state == TurnState::kListening;
        },
        max_seconds);
  }

  SimulatedClock clock;
  ScriptedMicStream mic;
  asr::EnergyVad vad;
  ScriptedRecognizer ears;
  ScriptedChat brain;
  ToneSynthesizer voice;
  ToolRegistry registry;
  VolumeControl volume;
  TimerService timers;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<ConversationDriver> driver;
  std::mutex mutex;
  std::vector<TurnResult> turns;
};

TEST(PipelineTest, FullTurnTraceIsInStageOrder) {
  Rig rig({"what time is it"},
          [](const auto&) { return std::string("It is seven o'clock in the morning. Have a nice day."); });
  rig.driver->say(speech(1.0));
  ASSERT_TRUE(rig.run_turns(1, 30));
  ASSERT_EQ(rig.turns.size(), 1u);
  const TurnTrace& t = rig.turns[0].trace;
  EXPECT_EQ(t.transcript, "what time is it");
  EXPECT_EQ(t.reply, "It is seven o'clock in the morning. Have a nice day.");
  EXPECT_FALSE(t.interrupted);
  using M = TraceMark;
  const std::vector<M> order = {M::kSpeechStart, M::kSpeechEnd,  M::kEndpoint,
                                M::kFinalTranscript, M::kFirstToken, M::kFirstClause,
                                M::kFirstAudioOut, M::kTurnEnd};
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    ASSERT_TRUE(t.at(order[i]) && t.at(order[i + 1])) << trace_mark_name(order[i]);
    EXPECT_LT(*t.at(order[i]), *t.at(order[i + 1]))
        << trace_mark_name(order[i]) << " vs " << trace_mark_name(order[i + 1]) << ": "
        << t.to_json_line();
  }
  // Onset of the speech at 0.5 s, sample-accurate within one VAD window.
  EXPECT_NEAR(static_cast<double>(*t.at(M::kSpeechStart)), 500'000.0, 32'000.0);
  EXPECT_NEAR(static_cast<double>(*t.at(M::kSpeechEnd)), 1'500'000.0, 64'000.0);
  // The recognizer got the utterance audio (pre-roll included).
  EXPECT_GE(rig.ears.samples_accepted(), kRate * 9 / 10);
  // The whole reply was played: the speaker recording holds it.
  const std::vector<float>& played = rig.mic.recorded_playback();
  int64_t nonzero = 0;
  for (float s : played) nonzero += s != 0.0f;
  EXPECT_GT(nonzero, rig.voice.samples_for("It is seven o'clock in the morning.") / 2);
  const auto history = rig.pipeline->history();
  EXPECT_EQ(last_content(history, "user"), "what time is it");
  EXPECT_EQ(last_content(history, "assistant"), t.reply);
  EXPECT_TRUE(rig.pipeline->errors().empty());
  EXPECT_EQ(rig.driver->idle_timeouts(), 0);
}

TEST(PipelineTest, BargeInStopsPlaybackCancelsLlmAndKeepsHeardText) {
  const std::string long_reply = kStory;
  Rig rig({"tell me a story", "stop"}, story_unless("stop", "Okay."), /*token_us=*/150'000);
  rig.driver->say(silence(0.2));
  rig.driver->say(speech(0.8, 2));
  ASSERT_TRUE(rig.driver->run_until([&] { return rig.pipeline->status().first_audio_out_us >= 0; },
                                    20));
  rig.driver->run_for(1.5);
  const double onset_s = rig.driver->now_seconds();
  rig.driver->say(speech(0.8, 3));
  ASSERT_TRUE(rig.run_turns(2, 30));
  ASSERT_EQ(rig.turns.size(), 2u);

  const TurnTrace& cut = rig.turns[0].trace;
  EXPECT_TRUE(cut.interrupted) << cut.to_json_line();
  ASSERT_TRUE(cut.at(TraceMark::kBargeIn));
  EXPECT_NEAR(static_cast<double>(*cut.at(TraceMark::kBargeIn)) * 1e-6, onset_s, 0.033);
  const std::optional<double> stop_ms = cut.stage_ms(kTraceStages[7]);  // barge_in_to_stop
  ASSERT_TRUE(stop_ms);
  EXPECT_LE(*stop_ms, 100.0);
  // On the speaker: nothing of the first reply later than 100 ms after the onset.
  const std::vector<float>& played = rig.mic.recorded_playback();
  const auto onset = static_cast<size_t>(onset_s * kRate);
  const int64_t second_reply_us = *rig.turns[1].trace.at(TraceMark::kFirstAudioOut);
  const auto second_start =
      std::min(played.size(), static_cast<size_t>(second_reply_us * kRate / 1'000'000) - 320);
  size_t last_loud = onset;
  for (size_t i = onset; i < second_start; ++i)
    if (played[i] != 0.0f) last_loud = i;
  EXPECT_LE(static_cast<double>(last_loud - onset) / kRate, 0.100);
  // The LLM was still writing (150 ms a word) and was cancelled.
  EXPECT_EQ(rig.brain.cancelled_replies(), 1);
  // History: only the heard part, a non-empty prefix of the reply.
  const auto history = rig.pipeline->history();
  ASSERT_GE(history.size(), 5u);
  const std::string heard = history[2].content;
  EXPECT_EQ(history[2].role, "assistant");
  EXPECT_FALSE(heard.empty());
  EXPECT_LT(heard.size(), long_reply.size() / 2);
  EXPECT_EQ(long_reply.substr(0, heard.size()), heard);
  EXPECT_EQ(cut.reply, heard);
  EXPECT_EQ(history[3].content, "stop");
  EXPECT_EQ(history[4].content, "Okay.");
  EXPECT_EQ(rig.turns[1].trace.reply, "Okay.");
}

// Fault: the sound device vanishes while a reply is being spoken and comes back 1.5 s later. The
// DeviceWatch notices, stops the reply (the listener heard only its start; the history keeps that
// part), reopens the device within about a second of its return, and the next turn runs normally.
TEST(PipelineTest, DeviceLostMidReplyIsReopenedAndTheNextTurnWorks) {
  const std::string long_reply = kStory;
  Rig rig({"tell me a story", "what time is it"}, story_unless("what time is it", "It is seven."),
          /*token_us=*/150'000);
  rig.mic.start();  // a device the command opened (the watch only guards a running device)
  std::vector<std::string> log;
  DeviceWatch watch(rig.mic, rig.clock, [&](const std::string& line) { log.push_back(line); },
                    [&] { rig.pipeline->stop_speaking(); });
  // The command's control loop: the watch looks at the device before every block.
  const auto run_watched = [&](const std::function<bool()>& done, double seconds) {
    return rig.driver->run_until(
        [&] {
          watch.poll();
          return done();
        },
        seconds);
  };
  rig.driver->say(speech(0.8, 2));
  ASSERT_TRUE(run_watched([&] { return rig.pipeline->status().first_audio_out_us >= 0; }, 20));
  run_watched([] { return false; }, 1.0);
  const size_t played_before_loss = rig.mic.recorded_playback().size();

  rig.mic.unplug();
  run_watched([] { return false; }, 1.5);
  EXPECT_TRUE(watch.status().lost);
  EXPECT_EQ(watch.status().losses, 1);
  EXPECT_EQ(rig.mic.recorded_playback().size(), played_before_loss);  // nothing ran meanwhile
  EXPECT_EQ(rig.brain.cancelled_replies(), 1);  // the reply was stopped at once (LLM still writing)

  rig.mic.plug_in();
  const double back_at = rig.driver->now_seconds();
  ASSERT_TRUE(run_watched([&] { return !watch.status().lost; }, 3.0));
  EXPECT_LE(rig.driver->now_seconds() - back_at, 1.05);  // the bound is 2 s
  EXPECT_EQ(watch.status().recoveries, 1);
  EXPECT_EQ(rig.mic.counters().recoveries, 1u);
  EXPECT_NEAR(static_cast<double>(watch.status().last_outage_us) * 1e-6, 1.5 + 0.5, 0.55);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0].find("sound device lost"), std::string::npos) << log[0];
  EXPECT_NE(log[1].find("sound device back after"), std::string::npos) << log[1];
  const size_t at_recovery = rig.mic.recorded_playback().size();

  // The cut turn ends once the device confirms the flush; then the next question is answered.
  ASSERT_TRUE(rig.run_turns(1, 5));
  const size_t before_second = rig.mic.recorded_playback().size();
  rig.driver->say(speech(0.8, 4));
  ASSERT_TRUE(rig.run_turns(2, 30));
  ASSERT_EQ(rig.turns.size(), 2u);
  EXPECT_EQ(rig.turns[1].trace.transcript, "what time is it");
  EXPECT_EQ(rig.turns[1].trace.reply, "It is seven.");
  EXPECT_FALSE(rig.turns[1].trace.interrupted);
  // The speaker recording has no blocks for the outage: nothing of the first reply after the
  // device came back (flushed), then the whole second reply.
  const std::vector<float>& played = rig.mic.recorded_playback();
  size_t loud_after_recovery = 0, loud_second = 0;
  for (size_t i = at_recovery; i < before_second; ++i) loud_after_recovery += played[i] != 0.0f;
  for (size_t i = before_second; i < played.size(); ++i) loud_second += played[i] != 0.0f;
  EXPECT_EQ(loud_after_recovery, 0u);
  EXPECT_GT(static_cast<int64_t>(loud_second), rig.voice.samples_for("It is seven.") / 2);
  // History: the heard start of the story, then the second exchange whole.
  const auto history = rig.pipeline->history();
  ASSERT_GE(history.size(), 5u);
  EXPECT_EQ(history[2].role, "assistant");
  EXPECT_FALSE(history[2].content.empty());
  EXPECT_LT(history[2].content.size(), long_reply.size());
  EXPECT_EQ(long_reply.substr(0, history[2].content.size()), history[2].content);
  EXPECT_EQ(history[3].content, "what time is it");
  EXPECT_EQ(history[4].content, "It is seven.");
  EXPECT_TRUE(rig.pipeline->errors().empty());
}

TEST(PipelineTest, TimerToolIsSetThenAnnouncedAloudWhenDue) {
  Rig rig({"set a timer for three seconds"}, [](const std::vector<llm::ChatMessage>& m) {
    if (m.back().role == "tool") return std::string("Your timer is set.");
    return std::string(
        "<tool_call>{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"3 seconds\", "
        "\"label\": \"tea\"}}</tool_call>");
  });
  rig.driver->say(speech(0.8));
  ASSERT_TRUE(rig.run_turns(1, 30));
  ASSERT_EQ(rig.turns[0].tool_calls.size(), 1u);
  EXPECT_NE(rig.turns[0].tool_calls[0].find("\"ok\":true"), std::string::npos)
      << rig.turns[0].tool_calls[0];
  EXPECT_EQ(rig.turns[0].trace.reply, "Your timer is set.");
  ASSERT_EQ(rig.timers.list().size(), 1u);
  rig.driver->run_for(4.0);
  rig.run_turns(1, 10);
  EXPECT_TRUE(rig.timers.list().empty());
  const std::vector<std::string> spoken = rig.voice.spoken();
  ASSERT_FALSE(spoken.empty());
  EXPECT_NE(spoken.back().find("tea timer is done"), std::string::npos) << spoken.back();
  // The tool call text itself is never spoken.
  for (const std::string& s : spoken) EXPECT_EQ(s.find("tool_call"), std::string::npos) << s;
}

TEST(PipelineTest, UnknownToolAndMalformedJsonAreAnsweredGracefully) {
  Rig rig({"open the pod bay doors", "and now"}, [](const std::vector<llm::ChatMessage>& m) {
    if (m.back().role == "tool") {
      const bool failed = m.back().content.find("\"ok\":false") != std::string::npos;
      return std::string(failed ? "I can't do that." : "Done.");
    }
    if (last_content(m, "user") == "and now")
      return std::string("<tool_call>{\"name\": \"set_timer\", \"arguments\": {\"dur");
    return std::string("<tool_call>{\"name\": \"open_doors\", \"arguments\": {}}</tool_call>");
  });
  rig.driver->say(speech(0.8));
  ASSERT_TRUE(rig.run_turns(1, 30));
  rig.driver->say(speech(0.8, 5));
  ASSERT_TRUE(rig.run_turns(2, 30));
  for (const TurnResult& turn : rig.turns) {
    ASSERT_EQ(turn.tool_calls.size(), 1u) << turn.trace.to_json_line();
    EXPECT_NE(turn.tool_calls[0].find("\"ok\":false"), std::string::npos) << turn.tool_calls[0];
    EXPECT_EQ(turn.trace.reply, "I can't do that.");
  }
  EXPECT_TRUE(rig.pipeline->errors().empty());
}

TEST(PipelineTest, SeveralTurnsKeepTheConversation) {
  Rig rig({"one", "two", "three"}, [](const std::vector<llm::ChatMessage>& m) {
    return "You said " + last_content(m, "user") + ".";
  });
  TraceSummary summary;
  for (int i = 0; i < 3; ++i) {
    rig.driver->say(speech(0.6, 10 + static_cast<uint32_t>(i)));
    ASSERT_TRUE(rig.run_turns(static_cast<size_t>(i + 1), 30)) << "turn " << i + 1;
  }
  for (const TurnResult& turn : rig.turns) summary.add(turn.trace);
  EXPECT_EQ(rig.turns[2].trace.reply, "You said three.");
  EXPECT_EQ(rig.turns[2].trace.turn_index, 3);
  const auto history = rig.pipeline->history();
  ASSERT_EQ(history.size(), 7u);  // system + 3 x (user, assistant)
  EXPECT_EQ(history[3].content, "two");
  EXPECT_EQ(summary.turns(), 3u);
  for (const StageSummary& stage : summary.stages())
    if (stage.name == "endpoint_to_first_audio") {
      EXPECT_EQ(stage.count, 3u);
    }
}

TEST(PipelineTest, WakePhraseGatesRequestsAndKeepsAFollowUpWindow) {
  PipelineOptions options;
  options.wake_phrase = "hey parley";
  options.wake_window_seconds = 3.0;
  Rig rig({"what time is it", "Hey Parley, what time is it?", "and the date", "and now"},
          [](const std::vector<llm::ChatMessage>& m) { return "You said " + last_content(m, "user"); },
          20'000, options);
  for (int i = 0; i < 4; ++i) {
    if (i == 3) rig.driver->run_for(5.0);  // the follow-up window closes
    rig.driver->say(speech(0.6, 20 + static_cast<uint32_t>(i)));
    ASSERT_TRUE(rig.run_turns(static_cast<size_t>(i + 1), 30)) << "turn " << i + 1;
  }
  EXPECT_EQ(rig.turns[0].trace.reply, "");  // asleep: not addressed to us
  EXPECT_TRUE(rig.turns[0].trace.cancelled);
  EXPECT_EQ(rig.turns[1].trace.reply, "You said what time is it?");  // the phrase removed
  EXPECT_EQ(rig.turns[2].trace.reply, "You said and the date");      // within the window
  EXPECT_EQ(rig.turns[3].trace.reply, "");                           // asleep again
  const auto history = rig.pipeline->history();
  ASSERT_EQ(history.size(), 5u);  // system + 2 x (user, assistant)
}

TEST(PipelineTest, HalfDuplexIgnoresSpeechDuringPlayback) {
  PipelineOptions options;
  options.half_duplex = true;
  Rig rig({"hello", "ignored"}, [](const auto&) {
    return std::string("Hello there, this reply is long enough to talk over it for a while.");
  }, 20'000, options);
  rig.driver->say(speech(0.6));
  ASSERT_TRUE(rig.driver->run_until([&] { return rig.pipeline->status().first_audio_out_us >= 0; },
                                    20));
  rig.driver->say(speech(0.6, 7));
  ASSERT_TRUE(rig.run_turns(1, 30));
  rig.driver->run_for(1.0);
  ASSERT_EQ(rig.turns.size(), 1u);
  EXPECT_FALSE(rig.turns[0].trace.interrupted);
  EXPECT_EQ(rig.ears.utterances(), 1);
}

TEST(PipelineTest, RejectsMismatchedRates) {
  SimulatedClock clock;
  ScriptedMicStream mic(audio::StreamConfig{.sample_rate_hz = kRate}, 0);
  asr::EnergyVad vad;
  ScriptedRecognizer ears({}, 8000);
  ScriptedChat brain([](const auto&) { return std::string(); });
  ToneSynthesizer voice(kRate);
  EXPECT_THROW(Pipeline(mic, clock, {.asr = &ears, .chat = &brain, .tts = &voice, .vad = &vad}, {}),
               Error);
}


TEST(PipelineTest, RealEnginesRunOnTestdata) {
  const std::string data = PARLEY_SHARED_TESTDATA;
  const std::string asr_dir = data + "/asr/zipformer2_small_random";
  const std::string gguf = data + "/llm/stories260K-f32.gguf";
  if (!std::filesystem::exists(asr_dir + "/tokens.txt") || !std::filesystem::exists(gguf))
    GTEST_SKIP() << "needs " << asr_dir << " and " << gguf;
  std::unique_ptr<VoiceEngine> voice;
  try {
    voice = std::make_unique<VoiceEngine>("espeak:en-us", kRate);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "espeak-ng voice unavailable: " << e.what();
  }
  RecognizerEngine ears(asr_dir, kRate);  // random weights: the transcript is noise
  LlmChatEngine brain(gguf, {.max_tokens = 12, .temperature = 0, .threads = 1});
  SimulatedClock clock;
  ScriptedMicStream mic(audio::StreamConfig{.sample_rate_hz = kRate}, size_t{kRate} * 120);
  asr::EnergyVad vad;
  PipelineOptions options;
  options.system_prompt = "Once upon a time";
  Pipeline pipeline(mic, clock, {.asr = &ears, .chat = &brain, .tts = voice.get(), .vad = &vad},
                    options);
  std::vector<TurnResult> turns;
  std::mutex mutex;
  pipeline.set_on_turn([&](const TurnResult& r) {
    std::lock_guard lock(mutex);
    turns.push_back(r);
  });
  pipeline.start();
  ConversationDriver driver(pipeline, mic, clock, DrivePacing::kLockstep);
  driver.say(silence(0.5));
  std::vector<float> question;
  voice->synthesize("What time is it?", [&](std::span<const float> samples) {
    question.insert(question.end(), samples.begin(), samples.end());
    return true;
  });
  ASSERT_FALSE(question.empty());
  driver.say(question);
  const bool done = driver.run_until(
      [&] {
        std::lock_guard lock(mutex);
        const PipelineStatus s = pipeline.status();
        return !turns.empty() && !s.reply_active && s.state == TurnState::kListening;
      },
      60);
  pipeline.stop();
  ASSERT_TRUE(done);
  EXPECT_TRUE(pipeline.errors().empty()) << pipeline.errors().front();
  const TurnTrace& t = turns[0].trace;
  EXPECT_TRUE(t.at(TraceMark::kSpeechStart) && t.at(TraceMark::kEndpoint)) << t.to_json_line();
  if (!t.transcript.empty() && !t.cancelled) {
    EXPECT_TRUE(t.at(TraceMark::kFirstToken)) << t.to_json_line();
  }
}

}  // namespace
}  // namespace parley::assistant

namespace parley::assistant {
namespace {

// The pipeline's local brain decodes tool calls under the grammar of the tools the configuration
// enables (local_tool_call_specs, as open_chat_engine does): on requests where the shipped
// default model alone writes a broken call, the engine's calls parse and name a timer or alarm.
TEST(LlmChatEngineTest, DefaultModelsCallsParseUnderTheConfiguredToolGrammar) {
  const std::string gguf = std::string(PARLEY_SOURCE_DIR) + "/models/llm/parley-chat.gguf";
  AssistantConfig config;
  const char* requests[] = {"hi parley, get a countdown going for 5 hours and fifty one minutes if you can",
                            "excuse me, a timer please, 24 minutes and five seconds if you can"};
  auto call_of = [](const std::string& text) {
    const size_t open = text.find("<tool_call>");
    const size_t close = text.find("</tool_call>");
    if (open == std::string::npos || close == std::string::npos) return nlohmann::json();
    return nlohmann::json::parse(text.substr(open + 11, close - open - 11), nullptr, false);
  };
  auto replies = [&](bool constrain) {
    config.tools.constrain_calls = constrain;
    LlmChatEngine brain(gguf, {.max_tokens = 80, .temperature = 0, .threads = 1,
                               .tool_calls = local_tool_call_specs(config)});
    std::vector<std::string> out;
    for (const char* request : requests)
      out.push_back(brain.generate({{"system", config.llm.system_prompt}, {"user", request}}, {}));
    return out;
  };
  int broken_alone = 0;
  for (const std::string& text : replies(false)) broken_alone += !call_of(text).is_object();
  EXPECT_GE(broken_alone, 2) << "the model alone no longer breaks these calls: pick other requests";
  for (const std::string& text : replies(true)) {
    const nlohmann::json call = call_of(text);
    ASSERT_TRUE(call.is_object()) << text;
    const std::string name = call["name"].get<std::string>();
    EXPECT_TRUE(name == "set_timer" || name == "set_alarm") << text;
  }
}

}  // namespace
}  // namespace parley::assistant
