// The control, LLM and TTS stages of Pipeline (pipeline.h); capture and ASR are in pipeline.cc.

#include <algorithm>

#include "assistant/core/pipeline.h"
#include "assistant/core/tool_call_parser.h"
#include "kernels/error.h"
#include "tts/text_shaping.h"

namespace parley::assistant {

namespace {

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

// ---- control stage ------------------------------------------------------------------------------

bool Pipeline::control_step() {
  bool progressed = false;
  while (std::optional<Event> event = events_->try_pop()) {
    handle_event(*event);
    progressed = true;
  }
  if (stop_speaking_requested_.exchange(false)) {
    const TurnState state = turns_->state();
    if (state == TurnState::kThinking || state == TurnState::kSpeaking) {
      apply_actions(turns_->on_event(TurnEvent::kCancel), Event{});
    } else {
      interrupt_reply(false);
    }
    progressed = true;
  }

  const audio::StreamCounters counters = stream_.counters();
  const auto consumed =
      static_cast<int64_t>(counters.played_samples + counters.playback_flushed_samples);
  if (control_reply_ >= 0 && !first_audio_seen_ &&
      reply_audio_start_reply_.load(std::memory_order_acquire) == control_reply_ &&
      consumed > reply_audio_start_.load(std::memory_order_acquire)) {
    first_audio_seen_ = true;
    speaking_.store(true, std::memory_order_release);
    if (!control_reply_is_notice_) turns_->on_event(TurnEvent::kFirstAudioOut);
    std::lock_guard lock(status_mutex_);
    status_.first_audio_out_us = clock_.now_us();
    if (!control_reply_is_notice_) ++status_.replies_heard;
    progressed = true;
  }
  if (awaiting_flush_written_ >= 0 && consumed >= awaiting_flush_written_) {
    awaiting_flush_written_ = -1;
    turns_->on_event(TurnEvent::kPlaybackDone);
    progressed = true;
  }
  if (control_reply_ >= 0 && tts_done_reply_.load(std::memory_order_acquire) == control_reply_ &&
      consumed >= tts_done_written_.load(std::memory_order_acquire)) {
    // The reply was spoken to its end.
    const int64_t reply = control_reply_;
    control_reply_ = -1;
    active_reply_.store(-1, std::memory_order_release);
    speaking_.store(false, std::memory_order_release);
    if (!control_reply_is_notice_) {
      if (TurnTrace* trace = turns_->current()) trace->reply = ledger_.full_text();
      turns_->on_event(TurnEvent::kPlaybackDone);
    }
    (void)reply;
    std::lock_guard lock(status_mutex_);
    status_.first_audio_out_us = -1;
    progressed = true;
  }

  if (engines_.timers) {
    if (engines_.timers->poll() > 0) progressed = true;
  }
  {
    std::lock_guard lock(notices_mutex_);
    for (std::string& text : incoming_notices_) pending_notices_.push_back(std::move(text));
    incoming_notices_.clear();
  }
  if (!pending_notices_.empty() && control_reply_ < 0 && awaiting_flush_written_ < 0 &&
      turns_->state() == TurnState::kListening) {
    std::string text = std::move(pending_notices_.front());
    pending_notices_.erase(pending_notices_.begin());
    begin_reply(next_reply_id_++, std::move(text), true);
    progressed = true;
  }

  std::lock_guard lock(status_mutex_);
  status_.state = turns_->state();
  status_.reply_active = control_reply_ >= 0 || awaiting_flush_written_ >= 0;
  return progressed;
}

void Pipeline::handle_event(const Event& event) {
  // User speech over an announcement stops it (announcements are not turns).
  if (control_reply_ >= 0 && control_reply_is_notice_ &&
      (event.event == TurnEvent::kSpeechStart || event.event == TurnEvent::kBargeInOnset)) {
    interrupt_reply(false);
    if (event.event == TurnEvent::kBargeInOnset) return;
  }
  if (event.event == TurnEvent::kFinalTranscript) {
    if (TurnTrace* trace = turns_->current()) trace->transcript = event.text;
    std::lock_guard lock(status_mutex_);
    status_.partial = event.text;  // the latest transcript is now the final one
    status_.final_text = event.text;
    ++status_.finals;
  }
  const TurnTransition transition =
      event.at_us >= 0 ? turns_->on_event(event.event, event.at_us) : turns_->on_event(event.event);
  if (transition.accepted) apply_actions(transition, event);
}

void Pipeline::apply_actions(TurnTransition transition, const Event& event) {
  const TurnAction actions = transition.actions;
  if (has_action(actions, TurnAction::kBeginTurn)) {
    std::lock_guard lock(tool_calls_mutex_);
    turn_tool_calls_.clear();
  }
  if (has_action(actions, TurnAction::kCancelReply) ||
      has_action(actions, TurnAction::kFlushPlayback) ||
      has_action(actions, TurnAction::kDropSpeechQueue)) {
    interrupt_reply(true);
  }
  if (has_action(actions, TurnAction::kStartReply)) {
    std::string text = event.text;
    if (!is_blank(text) && wake_) {
      // With a wake phrase: asleep, only "<phrase> <request>" is answered (the phrase removed).
      WakePhraseGate::Decision decision = wake_->admit(text, clock_.now_us());
      text = decision.verdict == WakePhraseGate::Verdict::kAnswer ? std::move(decision.text) : std::string();
    }
    if (is_blank(text)) {
      // Nothing understood (or not addressed to us): the turn ends without a reply.
      apply_actions(turns_->on_event(TurnEvent::kCancel), Event{});
    } else {
      {
        std::lock_guard lock(tool_calls_mutex_);
        turn_tool_calls_.clear();
      }
      begin_reply(next_reply_id_++, std::move(text), false);
    }
  }
}

void Pipeline::begin_reply(int64_t reply_id, std::string text, bool notice) {
  control_reply_ = reply_id;
  control_reply_is_notice_ = notice;
  first_audio_seen_ = false;
  reply_epoch_.store(reply_id, std::memory_order_release);
  active_reply_.store(reply_id, std::memory_order_release);
  push_waiting(*llm_queue_,
               LlmItem{notice ? LlmItem::kNotice : LlmItem::kReply, reply_id, std::move(text)},
               kControlStage);
}

void Pipeline::interrupt_reply(bool from_turn) {
  const int64_t reply = control_reply_;
  if (reply < 0) return;
  // Nothing of this reply may be spoken from now on.
  reply_epoch_.store(0, std::memory_order_release);
  clause_queue_->clear();
  if (llm_reply_.load(std::memory_order_acquire) == reply) engines_.chat->request_cancel();

  const audio::StreamCounters counters = stream_.counters();
  const auto consumed =
      static_cast<int64_t>(counters.played_samples + counters.playback_flushed_samples);
  int64_t played = 0;
  if (reply_audio_start_reply_.load(std::memory_order_acquire) == reply)
    played = std::max<int64_t>(0, consumed - reply_audio_start_.load(std::memory_order_acquire));
  std::vector<ClauseSpan> clauses = ledger_.clauses();
  {
    std::lock_guard lock(current_clause_mutex_);
    if (!current_clause_.text.empty()) clauses.push_back(current_clause_);
  }
  std::string heard = tts_reply_snapshot_matches(reply) ? heard_text(clauses, played) : "";
  stream_.request_playback_flush();
  awaiting_flush_written_ = written_total_.load(std::memory_order_acquire);

  control_reply_ = -1;
  first_audio_seen_ = false;
  active_reply_.store(-1, std::memory_order_release);
  speaking_.store(false, std::memory_order_release);
  if (from_turn) {
    if (TurnTrace* trace = turns_->interrupted()) trace->reply = heard;
  }
  push_waiting(*llm_queue_, LlmItem{LlmItem::kTruncate, reply, std::move(heard)}, kControlStage);
}

bool Pipeline::tts_reply_snapshot_matches(int64_t reply) const {
  return ledger_reply_.load(std::memory_order_acquire) == reply;
}

// ---- LLM stage ----------------------------------------------------------------------------------

bool Pipeline::llm_step() {
  std::optional<LlmItem> item = llm_queue_->try_pop();
  if (!item) return false;
  switch (item->kind) {
    case LlmItem::kTruncate: {
      std::lock_guard lock(history_mutex_);
      const auto begin = reply_history_begin_.find(item->reply_id);
      if (begin == reply_history_begin_.end()) break;
      // Keep the user's words, tool calls and results; replace what was said by what was heard.
      std::vector<llm::ChatMessage> kept(history_.begin(),
                                         history_.begin() + static_cast<ptrdiff_t>(begin->second));
      for (size_t i = begin->second; i < history_.size(); ++i) {
        const llm::ChatMessage& message = history_[i];
        const bool spoken = message.role == "assistant" &&
                            message.content.find(kToolCallOpenTag) == std::string::npos;
        if (!spoken) kept.push_back(message);
      }
      if (!is_blank(item->text)) kept.push_back({"assistant", item->text});
      history_ = std::move(kept);
      reply_history_begin_.erase(begin);
      break;
    }
    case LlmItem::kNotice: {
      {
        std::lock_guard lock(history_mutex_);
        reply_history_begin_[item->reply_id] = history_.size();
        history_.push_back({"assistant", item->text});
      }
      std::string shaped = tts::shape_text_for_speech(item->text);
      if (!is_blank(shaped))
        push_waiting(*clause_queue_, ClauseItem{item->reply_id, std::move(shaped), false},
                     kLlmStage);
      push_waiting(*clause_queue_, ClauseItem{item->reply_id, "", true}, kLlmStage);
      break;
    }
    case LlmItem::kReply:
      run_reply(*item);
      break;
  }
  return true;
}

void Pipeline::run_reply(const LlmItem& item) {
  const int64_t id = item.reply_id;
  llm_reply_.store(id, std::memory_order_release);
  {
    std::lock_guard lock(history_mutex_);
    while (reply_history_begin_.size() > 8) reply_history_begin_.erase(reply_history_begin_.begin());
    reply_history_begin_[id] = history_.size() + 1;
    history_.push_back({"user", item.text});
  }
  auto current = [&] { return reply_epoch_.load(std::memory_order_acquire) == id; };
  bool first_token = true;
  bool first_clause = true;
  auto emit_clauses = [&](std::vector<std::string>& chunks) {
    for (std::string& chunk : chunks) {
      std::string shaped = tts::shape_text_for_speech(chunk);
      if (is_blank(shaped) || !current()) continue;
      if (first_clause) {
        first_clause = false;
        push_waiting(*events_, Event{TurnEvent::kFirstClause, -1, ""}, kLlmStage);
      }
      push_waiting(*clause_queue_, ClauseItem{id, std::move(shaped), false}, kLlmStage);
    }
    chunks.clear();
  };

  for (int round = 0; round <= options_.max_tool_rounds && current(); ++round) {
    ToolCallStreamParser parser;
    tts::ClauseChunker chunker(options_.chunker);
    std::vector<ToolCallText> calls;
    std::vector<std::string> chunks;
    std::string speakable;
    const std::vector<llm::ChatMessage> messages = history();
    std::string text;
    try {
      text = engines_.chat->generate(messages, [&](std::string_view piece) {
        if (!current()) return false;
        if (first_token) {
          first_token = false;
          push_waiting(*events_, Event{TurnEvent::kFirstToken, -1, ""}, kLlmStage);
        }
        speakable.clear();
        parser.push(piece, speakable, calls);
        chunker.push(speakable, chunks);
        emit_clauses(chunks);
        return current();
      });
    } catch (const std::exception& error) {
      record_error("llm", error);
      text.clear();
      calls.clear();
      if (current()) {
        chunks.push_back("Sorry, something went wrong.");
        emit_clauses(chunks);
      }
    }
    if (current()) {
      speakable.clear();
      parser.finish(speakable, calls);
      chunker.push(speakable, chunks);
      chunker.finish(chunks);
      emit_clauses(chunks);
    }
    {
      std::lock_guard lock(history_mutex_);
      history_.push_back({"assistant", text});
    }
    if (calls.empty() || !current()) break;
    for (const ToolCallText& call : calls) {
      ToolResult result;
      if (engines_.tools) {
        result = engines_.tools->call_text(call.body);
      } else {
        result.ok = false;
        result.error = "tools are not available on this device";
      }
      {
        std::lock_guard lock(tool_calls_mutex_);
        turn_tool_calls_.push_back(result.to_json());
      }
      std::lock_guard lock(history_mutex_);
      history_.push_back(tool_message(result));
    }
  }
  llm_reply_.store(-1, std::memory_order_release);
  push_waiting(*clause_queue_, ClauseItem{id, "", true}, kLlmStage);
}

// ---- TTS stage ----------------------------------------------------------------------------------

bool Pipeline::tts_step() {
  std::optional<ClauseItem> item = clause_queue_->try_pop();
  if (!item) return false;
  const int64_t id = item->reply_id;
  if (reply_epoch_.load(std::memory_order_acquire) != id) return true;  // a dropped reply
  if (id != tts_reply_) {
    tts_reply_ = id;
    reply_written_ = 0;
    ledger_.clear();
    ledger_reply_.store(id, std::memory_order_release);
  }
  if (item->end_of_reply) {
    tts_done_written_.store(written_total_.load(std::memory_order_acquire),
                            std::memory_order_release);
    tts_done_reply_.store(id, std::memory_order_release);
    return true;
  }
  const int64_t begin = reply_written_;
  {
    std::lock_guard lock(current_clause_mutex_);
    current_clause_ = {item->text, begin, begin};
  }
  const bool complete = engines_.tts->synthesize(
      item->text, [&](std::span<const float> samples) { return write_playback(samples, id); });
  {
    std::lock_guard lock(current_clause_mutex_);
    current_clause_ = {};
  }
  if (complete) ledger_.append(item->text, reply_written_ - begin);
  return true;
}

bool Pipeline::write_playback(std::span<const float> samples, int64_t reply_id) {
  size_t done = 0;
  while (done < samples.size()) {
    if (reply_epoch_.load(std::memory_order_acquire) != reply_id || stop_requested_.load()) {
      stream_.request_playback_flush();
      return false;
    }
    const uint64_t g = generation();
    if (reply_written_ == 0) {
      reply_audio_start_.store(written_total_.load(std::memory_order_relaxed),
                               std::memory_order_release);
      reply_audio_start_reply_.store(reply_id, std::memory_order_release);
    }
    const size_t n = stream_.playback().try_write(samples.subspan(done));
    if (n == 0) {
      stage_wait(kTtsStage, g);
      continue;
    }
    done += n;
    reply_written_ += static_cast<int64_t>(n);
    written_total_.fetch_add(static_cast<int64_t>(n), std::memory_order_acq_rel);
    {
      std::lock_guard lock(current_clause_mutex_);
      current_clause_.end_sample = reply_written_;
    }
    // A barge-in between the check above and this write: flush what was just written too.
    if (reply_epoch_.load(std::memory_order_acquire) != reply_id) {
      stream_.request_playback_flush();
      return false;
    }
  }
  return true;
}

}  // namespace parley::assistant
