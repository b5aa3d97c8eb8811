// EventBus — turn events fanned out to every GET /events subscriber (the kiosk screen).
//
//   EventBus bus;
//   auto subscription = bus.subscribe();                  // one per SSE client
//   bus.publish("token", {{"request_id", id}, {"text", " the"}});
//   while (auto event = subscription->next(std::chrono::seconds(15))) send(*event);
//
// Event types (the "event:" field of the SSE stream; data is a JSON object):
//   request    a model request was admitted    {request_id, route, model}
//   token      a reply piece                   {request_id, text}
//   turn       a reply finished, with timing   {request_id, route, finish_reason,
//              prompt_tokens, completion_tokens, queue_ms, ttft_ms, total_ms, tokens_per_s}
//   error      a request failed                {request_id, message}
//   listening / partial / final / speaking / barge_in / tool / timer / trace: published by the
//              voice pipeline and converse routes ({text}, {name, arguments, result}, ...).
//   device     the sound device of `serve --listen` vanished or came back {state, outage_ms}
//   wake       a Wyoming client's audio held the wake phrase   {request_id, name}
//
// Contracts
//   * publish() never blocks: each subscriber has a bounded buffer (capacity at subscribe());
//     when a slow subscriber's buffer is full its oldest event is dropped and counted.
//   * Event ids increase by one per publish() across the bus (SSE "id:").
//   * close() ends every subscription: next() returns std::nullopt once its buffer is drained.
//   * A Subscription unsubscribes when destroyed. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace parley::assistant::server {

struct ServerEvent {
  uint64_t id = 0;
  std::string type;
  nlohmann::json data;  // an object; publish() adds "time_unix_ms"
};

class EventBus {
 public:
  class Subscription {
   public:
    ~Subscription();
    // Waits up to `timeout` for the next event; nullopt on timeout or when the bus closed and
    // the buffer is drained (closed() tells which).
    std::optional<ServerEvent> next(std::chrono::milliseconds timeout);
    bool closed() const;
    uint64_t dropped() const;

   private:
    friend class EventBus;
    Subscription(EventBus* bus, size_t capacity) : bus_(bus), capacity_(capacity) {}
    EventBus* bus_;
    size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<ServerEvent> buffer_;
    uint64_t dropped_ = 0;
    bool closed_ = false;
  };

  EventBus() = default;
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  std::unique_ptr<Subscription> subscribe(size_t capacity = 256);
  uint64_t publish(std::string type, nlohmann::json data);
  void close();
  size_t subscriber_count() const;

 private:
  void unsubscribe(Subscription* subscription);
  mutable std::mutex mutex_;
  std::vector<Subscription*> subscribers_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace parley::assistant::server
