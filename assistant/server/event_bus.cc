#include "assistant/server/event_bus.h"

#include <algorithm>

namespace parley::assistant::server {

EventBus::Subscription::~Subscription() {
  if (bus_ != nullptr) bus_->unsubscribe(this);
}

std::optional<ServerEvent> EventBus::Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !buffer_.empty() || closed_; });
  if (buffer_.empty()) return std::nullopt;
  ServerEvent event = std::move(buffer_.front());
  buffer_.pop_front();
  return event;
}

bool EventBus::Subscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_ && buffer_.empty();
}

uint64_t EventBus::Subscription::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

EventBus::~EventBus() {
  close();
  std::lock_guard lock(mutex_);
  for (Subscription* s : subscribers_) s->bus_ = nullptr;  // outliving subscriptions detach
}

std::unique_ptr<EventBus::Subscription> EventBus::subscribe(size_t capacity) {
  std::unique_ptr<Subscription> subscription(new Subscription(this, std::max<size_t>(capacity, 1)));
  std::lock_guard lock(mutex_);
  if (closed_)
    subscription->closed_ = true;
  else
    subscribers_.push_back(subscription.get());
  return subscription;
}

void EventBus::unsubscribe(Subscription* subscription) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription),
                     subscribers_.end());
}

uint64_t EventBus::publish(std::string type, nlohmann::json data) {
  if (!data.is_object()) data = nlohmann::json{{"value", std::move(data)}};
  data["time_unix_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::lock_guard lock(mutex_);
  if (closed_) return 0;
  const uint64_t id = next_id_++;
  for (Subscription* s : subscribers_) {
    {
      std::lock_guard sub_lock(s->mutex_);
      if (s->buffer_.size() >= s->capacity_) {
        s->buffer_.pop_front();
        ++s->dropped_;
      }
      s->buffer_.push_back(ServerEvent{id, type, data});
    }
    s->ready_.notify_one();
  }
  return id;
}

void EventBus::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (Subscription* s : subscribers_) {
    {
      std::lock_guard sub_lock(s->mutex_);
      s->closed_ = true;
    }
    s->ready_.notify_all();
  }
}

size_t EventBus::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace parley::assistant::server
