#include "audio/portaudio_device.h"

#include <alsa/asoundlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <portaudio.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "audio/error.h"

namespace parley::audio {
namespace {

constexpr const char* kNoHardwareHint =
    "no sound hardware found; use the simulated (file/null) device instead";

// ALSA prints a line to stderr for every card PortAudio probes and does not find ("ALSA lib
// ... cannot find card"); on a machine without sound hardware that is dozens of lines before our
// own clear message. PortAudio reports real failures through its error codes, so ALSA's own
// messages are dropped unless PARLEY_ALSA_DEBUG is set.
void ignore_alsa_message(const char*, int, const char*, int, const char*, ...) {}

// JACK, probed by PortAudio too, writes straight to stderr when no JACK server runs. While
// PortAudio starts and stops, stderr is pointed at /dev/null (unless PARLEY_ALSA_DEBUG is set).
class QuietStderr {
 public:
  QuietStderr() {
    if (std::getenv("PARLEY_ALSA_DEBUG") != nullptr) return;
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);
    if (null_fd >= 0) ::close(null_fd);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

// Pa_Initialize / Pa_Terminate, reference counted across every user in the process.
class PortAudioLibrary {
 public:
  PortAudioLibrary() {
    std::lock_guard lock(mutex());
    if (count() == 0) {
      if (std::getenv("PARLEY_ALSA_DEBUG") == nullptr) snd_lib_error_set_handler(ignore_alsa_message);
      PaError error;
      {
        QuietStderr quiet;
        error = Pa_Initialize();
      }
      if (error != paNoError) {
        throw Error(std::string("PortAudio: cannot initialize (") + Pa_GetErrorText(error) +
                    "): " + kNoHardwareHint);
      }
    }
    ++count();
  }
  ~PortAudioLibrary() {
    std::lock_guard lock(mutex());
    if (--count() == 0) {
      QuietStderr quiet;
      Pa_Terminate();
    }
  }
  PortAudioLibrary(const PortAudioLibrary&) = delete;
  PortAudioLibrary& operator=(const PortAudioLibrary&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static int& count() {
    static int c = 0;
    return c;
  }
};

// One library reference for every PortAudioStream (and list_sound_devices) alive.
std::shared_ptr<PortAudioLibrary> acquire_library() {
  static std::mutex mutex;
  static std::weak_ptr<PortAudioLibrary> shared;
  std::lock_guard lock(mutex);
  std::shared_ptr<PortAudioLibrary> library = shared.lock();
  if (!library) {
    library = std::make_shared<PortAudioLibrary>();
    shared = library;
  }
  return library;
}

std::vector<SoundDeviceInfo> enumerate_devices() {
  std::vector<SoundDeviceInfo> devices;
  const PaDeviceIndex count = Pa_GetDeviceCount();
  if (count < 0) {
    throw Error(std::string("PortAudio: cannot list devices (") + Pa_GetErrorText(count) + ")");
  }
  const PaDeviceIndex default_input = Pa_GetDefaultInputDevice();
  const PaDeviceIndex default_output = Pa_GetDefaultOutputDevice();
  for (PaDeviceIndex index = 0; index < count; ++index) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    if (info == nullptr) continue;
    SoundDeviceInfo device;
    device.index = index;
    device.name = info->name ? info->name : "";
    const PaHostApiInfo* host = Pa_GetHostApiInfo(info->hostApi);
    device.host_api = host && host->name ? host->name : "";
    device.max_input_channels = info->maxInputChannels;
    device.max_output_channels = info->maxOutputChannels;
    device.default_sample_rate_hz = info->defaultSampleRate;
    device.is_default_input = index == default_input;
    device.is_default_output = index == default_output;
    devices.push_back(std::move(device));
  }
  return devices;
}

// The device for one direction: by name substring when given, else the default.
PaDeviceIndex choose_device(const std::string& wanted_name, bool input, int channels) {
  const std::vector<SoundDeviceInfo> devices = enumerate_devices();
  const char* direction = input ? "capture" : "playback";
  if (devices.empty()) throw Error(std::string("PortAudio: ") + kNoHardwareHint);
  if (wanted_name.empty()) {
    const PaDeviceIndex index = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (index == paNoDevice) {
      throw Error(std::string("PortAudio: no default ") + direction + " device; " +
                  kNoHardwareHint);
    }
    return index;
  }
  for (const SoundDeviceInfo& device : devices) {
    const int available = input ? device.max_input_channels : device.max_output_channels;
    if (device.name.find(wanted_name) != std::string::npos && available >= channels) {
      return device.index;
    }
  }
  throw Error(std::string("PortAudio: no ") + direction + " device named '" + wanted_name +
              "' with " + std::to_string(channels) + " channels (see `parley devices`)");
}

}  // namespace

std::vector<SoundDeviceInfo> list_sound_devices() {
  const std::shared_ptr<PortAudioLibrary> library = acquire_library();
  return enumerate_devices();
}

PortAudioStream::PortAudioStream(const StreamConfig& config, RetryPolicy retry, LogLine log)
    : AudioStream(config), retry_(retry), log_(std::move(log)) {
  if (retry_.open_attempts < 1) throw Error("RetryPolicy: open_attempts must be at least 1");
  if (!log_) log_ = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  library_ = acquire_library();
}

PortAudioStream::~PortAudioStream() {
  stop();
}

void PortAudioStream::on_device_block(const void* input, void* output, unsigned long frames,
                                      unsigned long status_flags) noexcept {
  if (status_flags & paInputOverflow) note_backend_input_overflow();
  if (status_flags & paOutputUnderflow) note_backend_output_underflow();
  process_block(static_cast<const float*>(input), static_cast<float*>(output), frames);
}

void PortAudioStream::open_and_start_once() {
  const StreamConfig& c = config();
  PaStreamParameters input_parameters{}, output_parameters{};
  PaStreamParameters* input = nullptr;
  PaStreamParameters* output = nullptr;
  std::string description = "PortAudio";
  if (c.capture_channels > 0) {
    input_parameters.device = choose_device(c.capture_device, true, c.capture_channels);
    input_parameters.channelCount = c.capture_channels;
    input_parameters.sampleFormat = paFloat32;
    input_parameters.suggestedLatency =
        Pa_GetDeviceInfo(input_parameters.device)->defaultLowInputLatency;
    input = &input_parameters;
    description += std::string(" in '") + Pa_GetDeviceInfo(input_parameters.device)->name + "'";
  }
  if (c.playback_channels > 0) {
    output_parameters.device = choose_device(c.playback_device, false, c.playback_channels);
    output_parameters.channelCount = c.playback_channels;
    output_parameters.sampleFormat = paFloat32;
    output_parameters.suggestedLatency =
        Pa_GetDeviceInfo(output_parameters.device)->defaultLowOutputLatency;
    output = &output_parameters;
    description += std::string(" out '") + Pa_GetDeviceInfo(output_parameters.device)->name + "'";
  }
  // A captureless lambda inside a member function may call the private member.
  PaStreamCallback* trampoline = [](const void* in, void* out, unsigned long frames,
                                    const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags flags,
                                    void* user) -> int {
    static_cast<PortAudioStream*>(user)->on_device_block(in, out, frames, flags);
    return paContinue;
  };
  PaStream* stream = nullptr;
  PaError error =
      Pa_OpenStream(&stream, input, output, c.sample_rate_hz,
                    static_cast<unsigned long>(c.frames_per_block), paNoFlag, trampoline, this);
  if (error != paNoError) {
    throw Error("PortAudio: cannot open " + description + " at " + c.to_string() + " (" +
                Pa_GetErrorText(error) + ")");
  }
  error = Pa_StartStream(stream);
  if (error != paNoError) {
    Pa_CloseStream(stream);
    throw Error("PortAudio: cannot start " + description + " (" + Pa_GetErrorText(error) + ")");
  }
  stream_ = stream;
  opened_description_ = description + ", " + c.to_string();
}

void PortAudioStream::open_and_start_with_retry() {
  int backoff_ms = retry_.initial_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    try {
      open_and_start_once();
      return;
    } catch (const Error& error) {
      if (attempt >= retry_.open_attempts) {
        log_(std::string(error.what()) + " — giving up after " + std::to_string(attempt) +
             " attempts");
        throw;
      }
      log_(std::string(error.what()) + " — retry " + std::to_string(attempt) + "/" +
           std::to_string(retry_.open_attempts - 1) + " in " + std::to_string(backoff_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, retry_.max_backoff_ms);
  }
}

void PortAudioStream::start() {
  if (stream_ != nullptr) return;
  wanted_running_ = true;
  try {
    open_and_start_with_retry();
  } catch (...) {
    wanted_running_ = false;
    throw;
  }
}

void PortAudioStream::close_stream() noexcept {
  if (stream_ == nullptr) return;
  PaStream* stream = static_cast<PaStream*>(stream_);
  stream_ = nullptr;
  Pa_AbortStream(stream);  // stop now; pending playback is not worth waiting for
  Pa_CloseStream(stream);
}

void PortAudioStream::stop() {
  wanted_running_ = false;
  close_stream();
}

bool PortAudioStream::is_running() const {
  return stream_ != nullptr && Pa_IsStreamActive(static_cast<PaStream*>(stream_)) == 1;
}

std::string PortAudioStream::description() const {
  return stream_ != nullptr ? opened_description_ : "PortAudio (closed), " + config().to_string();
}

bool PortAudioStream::check_and_recover() {
  if (!wanted_running_) return false;
  if (is_running()) return true;
  if (stream_ != nullptr) {
    log_("PortAudio: stream " + opened_description_ + " stopped unexpectedly; reopening");
    close_stream();
  }
  try {
    // PortAudio lists devices once, at initialization: a replugged USB device is only found after
    // a fresh Pa_Initialize, possible when no other stream in the process holds the library.
    if (library_.use_count() <= 1) {
      library_.reset();
      library_ = acquire_library();
    }
    open_and_start_once();
  } catch (const Error& error) {
    if (error.what() != last_recovery_error_) log_(std::string(error.what()) + " — will retry");
    last_recovery_error_ = error.what();
    return false;
  }
  last_recovery_error_.clear();
  log_("PortAudio: reopened " + opened_description_);
  note_recovery();
  return true;
}

}  // namespace parley::audio
