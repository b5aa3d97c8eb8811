// The process-wide libespeak-ng instance shared by the phonemizer and the espeak-ng voice.
//
// libespeak-ng keeps global state (current voice, parameters, synth callback) and is not
// thread-safe, so every call into it must hold espeak_mutex(). EspeakSession takes the lock and
// initializes the library once (synchronous mode, native 22050 Hz output; the data directory is
// espeak-ng's default or $ESPEAK_DATA_PATH).
//
//   parley::tts::EspeakSession session;          // locks; throws parley::Error if init fails
//   session.select_voice("en-us");               // throws for an unknown voice
//   ... espeak_TextToPhonemes(...) ...           // any espeak_* call while `session` lives
#pragma once

#include <mutex>
#include <string>

namespace parley::tts {

class EspeakSession {
 public:
  EspeakSession();  // locks the library mutex, initializing libespeak-ng on first use
  ~EspeakSession() = default;
  EspeakSession(const EspeakSession&) = delete;
  EspeakSession& operator=(const EspeakSession&) = delete;

  // Selects an espeak-ng voice by name ("en-us", "en-us+f3"); throws parley::Error if unknown.
  void select_voice(const std::string& voice_name);
  // espeak-ng's native output rate (22050 Hz for every espeak-ng voice).
  int sample_rate_hz() const;

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace parley::tts
