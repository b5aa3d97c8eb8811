// `parley serve` as a user starts it: a child process on a free port, found from its log line;
// refuses a public address without a key; answers; exits 0 on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "server_fixture.h"

namespace {

using nlohmann::json;

struct Child {
  pid_t pid = -1;
  int output_fd = -1;  // stdout + stderr
  std::string output;

  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    output_fd = fds[0];
  }
  ~Child() {
    if (pid > 0 && !exited) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (output_fd >= 0) close(output_fd);
  }
  // Reads output until `pattern` matches or `timeout` passes; returns the match's first group.
  std::string wait_for(const std::regex& pattern, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::smatch match;
    while (!std::regex_search(output, match, pattern)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{output_fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
      char buffer[4096];
      const ssize_t n = read(output_fd, buffer, sizeof buffer);
      if (n <= 0) return {};
      output.append(buffer, static_cast<size_t>(n));
    }
    return match.size() > 1 ? match[1].str() : match[0].str();
  }
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        char buffer[4096];
        ssize_t n;
        fcntl(output_fd, F_SETFL, O_NONBLOCK);
        while ((n = read(output_fd, buffer, sizeof buffer)) > 0)
          output.append(buffer, static_cast<size_t>(n));
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  bool exited = false;
};

// `parley serve --listen --simulated` on the tiny test models, with `extra` arguments.
std::vector<std::string> listen_command(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {PARLEY_BINARY, "serve", "--port", "0", "--threads-per-worker", "1", "--llm",
                                   parley::assistant::server::testing_support::random_chat_model_path(), "--asr",
                                   std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny", "--listen",
                                   "--simulated"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Server-sent events of a started `parley serve` until `done(events so far)` (or 30 s).
std::string read_events(const std::string& port, const std::function<bool(const std::string&)>& done) {
  httplib::Client client("127.0.0.1", std::stoi(port));
  client.set_read_timeout(30, 0);
  std::string events;
  client.Get("/events", [&](const char* data, size_t size) {
    events.append(data, size);
    return !done(events);
  });
  return events;
}

// The port a starting `parley serve` announces ("" when it does not within a minute).
std::string ready_port(Child& child) {
  return child.wait_for(std::regex(R"(ready: http://127\.0\.0\.1:(\d+))"), std::chrono::seconds(60));
}

TEST(ServeCli, RefusesAPublicAddressWithoutAKey) {
  Child child({PARLEY_BINARY, "serve", "--host", "0.0.0.0", "--port", "0", "--llm",
               parley::assistant::server::testing_support::random_chat_model_path()});
  const int code = child.wait_exit(std::chrono::seconds(30));
  EXPECT_NE(code, 0);
  EXPECT_NE(child.output.find("not a loopback address"), std::string::npos) << child.output;
  EXPECT_NE(child.output.find("--api-key"), std::string::npos) << child.output;
}

TEST(ServeCli, ServesThenExitsCleanlyOnSigterm) {
  Child child({PARLEY_BINARY, "serve", "--port", "0", "--api-key", "k", "--threads-per-worker", "1",
               "--llm", parley::assistant::server::testing_support::random_chat_model_path()});
  const std::string port = ready_port(child);
  ASSERT_FALSE(port.empty()) << child.output;
  httplib::Client client("127.0.0.1", std::stoi(port));
  EXPECT_EQ(client.Get("/health")->status, 200);
  EXPECT_EQ(client.Get("/ready")->status, 401);
  client.set_bearer_token_auth("k");
  EXPECT_EQ(client.Get("/ready")->status, 200);
  auto chat =
      client.Post("/v1/chat/completions",
                  R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":3,"seed":1})",
                  "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 200) << chat->body;
  kill(child.pid, SIGTERM);
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(30)), 0) << child.output;
  EXPECT_NE(child.output.find("received SIGTERM"), std::string::npos) << child.output;
  EXPECT_NE(child.output.find("http method=POST path=/v1/chat/completions status=200"),
            std::string::npos)
      << child.output;
}

TEST(ServeCli, ListenHoldsADeviceTurnAndPublishesItOnEvents) {
  if (std::system("espeak-ng --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "espeak-ng is not installed";
  const std::string question = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_listen_question.wav";
  ASSERT_EQ(std::system(("espeak-ng -w " + question + " 'what time is it'").c_str()), 0);
  Child child(listen_command({"--simulated-input", question, "--set", "llm.max_tokens=8"}));
  const std::string port = ready_port(child);
  ASSERT_FALSE(port.empty()) << child.output;
  // The question is spoken into the simulated microphone at start: its turn arrives on /events.
  const std::string events = read_events(port, [](const std::string& e) {
    return e.find("event: trace") != std::string::npos &&
           e.find("\n\n", e.find("event: trace")) != std::string::npos;
  });
  std::filesystem::remove(question);
  EXPECT_NE(events.find("event: final"), std::string::npos) << events;
  EXPECT_NE(events.find("event: speaking"), std::string::npos) << events;
  const size_t trace = events.find("event: trace");
  ASSERT_NE(trace, std::string::npos) << events << child.output;
  const size_t data = events.find("data: ", trace);
  const json turn = json::parse(events.substr(data + 6, events.find('\n', data) - data - 6));
  EXPECT_EQ(turn["source"], "device");
  EXPECT_FALSE(turn["transcript"].get<std::string>().empty());
  EXPECT_TRUE(turn["stages_ms"].contains("endpoint_to_first_audio")) << turn.dump();
  // The kiosk's Stop button: accepted while listening.
  httplib::Client client("127.0.0.1", std::stoi(port));
  auto stop = client.Post("/v1/stop", "", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 200) << stop->body;
  kill(child.pid, SIGTERM);
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(30)), 0) << child.output;
}

// The sound device vanishes while serving --listen and comes back: the kiosk hears of both on
// /events and operators see it in /metrics.
TEST(ServeCli, ListenReportsAVanishedDeviceOnEventsAndMetrics) {
  Child child(listen_command({"--simulated-outage", "2:0.5"}));
  const std::string port = ready_port(child);
  ASSERT_FALSE(port.empty()) << child.output;
  const std::string events =
      read_events(port, [](const std::string& e) { return e.find(R"("state":"back")") != std::string::npos; });
  const size_t lost = events.find(R"("state":"lost")");
  const size_t back = events.find(R"("state":"back")");
  ASSERT_NE(lost, std::string::npos) << events << child.output;
  ASSERT_NE(back, std::string::npos) << events << child.output;
  EXPECT_LT(lost, back);
  const size_t data = events.rfind("data: ", back);
  const json event = json::parse(events.substr(data + 6, events.find('\n', back) - data - 6));
  EXPECT_EQ(event["source"], "device");
  // Back within 2 s of the device returning (issue 12), and not before it returned.
  EXPECT_GE(event["outage_ms"].get<int64_t>(), 450) << event.dump();
  EXPECT_LE(event["outage_ms"].get<int64_t>(), 2500) << event.dump();
  httplib::Client client("127.0.0.1", std::stoi(port));
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(parley_errors_total{kind="device_lost"} 1)"), std::string::npos)
      << metrics->body;
  kill(child.pid, SIGTERM);
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(30)), 0) << child.output;
  EXPECT_NE(child.output.find("sound device lost"), std::string::npos) << child.output;
}

TEST(ServeCli, ABadSimulatedOutageFailsBeforeLoadingModels) {
  Child child({PARLEY_BINARY, "serve", "--port", "0", "--listen", "--simulated", "--simulated-outage", "soon"});
  EXPECT_NE(child.wait_exit(std::chrono::seconds(30)), 0) << child.output;
  EXPECT_NE(child.output.find("serve: --simulated-outage 'soon': expected AT:SECONDS"), std::string::npos)
      << child.output;
}

TEST(ServeCli, StopWithoutListenIsAConflict) {
  parley::assistant::server::testing_support::TestServer server;
  auto stop = server.client().Post("/v1/stop", "", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 409);
  EXPECT_NE(stop->body.find("not_listening"), std::string::npos) << stop->body;
}

}  // namespace
