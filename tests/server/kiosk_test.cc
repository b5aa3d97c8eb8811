// The kiosk page (GET /): served in-process with its Content-Security-Policy and nothing
// external; then headless Chromium (tests/server/kiosk_chromium.mjs, playwright-core) drives a
// push-to-talk turn with an espeak-ng WAV as the fake microphone against a server with ASR
// (tests/asr/fixtures/lstm_tiny, random weights: gibberish but non-empty transcripts), the
// stories260K chat model and the espeak voice. Skips when chromium, node, playwright-core,
// espeak-ng or the model are missing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "assistant/server/kiosk_page.h"
#include "server_fixture.h"

namespace {

using parley::assistant::server::kiosk_content_security_policy;
using parley::assistant::server::kiosk_page_html;
using parley::assistant::server::HttpServer;
using parley::assistant::server::ModelPaths;
using parley::assistant::server::ServerContext;
using parley::assistant::server::ServerOptions;
using parley::assistant::server::testing_support::TestServer;

std::string run_command(const std::string& command, int* code) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *code = -1;
    return {};
  }
  std::string output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST(KioskPage, NonceIsSubstitutedEverywhere) {
  const std::string page = kiosk_page_html("abc123");
  EXPECT_EQ(page.find("__CSP_NONCE__"), std::string::npos);
  EXPECT_NE(page.find("<script nonce=\"abc123\">"), std::string::npos);
  EXPECT_NE(page.find("<style nonce=\"abc123\">"), std::string::npos);
  const std::string csp = kiosk_content_security_policy("abc123");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'nonce-abc123'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
}

TEST(KioskPage, ServedAtRootSelfContainedWithCsp) {
  TestServer server;
  auto client = server.client();
  auto response = client.Get("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = response->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("http"), std::string::npos) << csp;
  EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff");
  const std::string& page = response->body;
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("//fonts."), std::string::npos);
  EXPECT_EQ(std::regex_search(page, std::regex(R"(<script[^>]*\bsrc=)")), false);
  EXPECT_EQ(std::regex_search(page, std::regex(R"(<link[^>]*rel="stylesheet")")), false);
  EXPECT_EQ(std::regex_search(page, std::regex(R"(\son[a-z]+=")")), false)
      << "inline event handlers would be blocked by the CSP";
  // The nonce in the header is the one on the page's script and style.
  std::smatch nonce;
  ASSERT_TRUE(std::regex_search(csp, nonce, std::regex(R"('nonce-([A-Za-z0-9+/=]+)')")));
  EXPECT_NE(page.find("<script nonce=\"" + nonce[1].str() + "\">"), std::string::npos);
  EXPECT_NE(page.find("<style nonce=\"" + nonce[1].str() + "\">"), std::string::npos);
  for (const char* id : {"id=\"state\"", "id=\"transcript\"", "id=\"reply\"", "id=\"talk\"",
                         "id=\"stop\"", "id=\"latency\"", "aria-live"})
    EXPECT_NE(page.find(id), std::string::npos) << id;
  // A fresh nonce per response.
  auto again = client.Get("/");
  ASSERT_TRUE(again);
  EXPECT_NE(again->get_header_value("Content-Security-Policy"), csp);
  // The rest of the API is still routed.
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

std::string chromium_path() {
  for (const char* p : {"/usr/lib/chromium/chromium", "/usr/bin/chromium"})
    if (std::filesystem::exists(p)) return p;
  return {};
}

TEST(KioskChromium, PushToTalkTurnInHeadlessChromium) {
  const std::string chromium = chromium_path();
  if (chromium.empty()) GTEST_SKIP() << "chromium not found (apt-get install chromium)";
  if (std::system("command -v node > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
  if (std::system("command -v espeak-ng > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "espeak-ng not found";
  if (!std::filesystem::exists(std::string(PARLEY_REFS_DIR) + "/playwright-core/package.json"))
    GTEST_SKIP() << "playwright-core is not in " << PARLEY_REFS_DIR
                 << " (run scripts/reference_tools.sh)";
  const std::string llm = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-f32.gguf";
  if (!std::filesystem::exists(llm)) GTEST_SKIP() << llm << " not found";

  const std::string dir = ::testing::TempDir() + "parley_kiosk_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string question = dir + "/question.wav";
  const std::string screenshot = dir + "/kiosk.png";
  int code = 0;
  const std::string espeak = run_command(
      "espeak-ng -v en-us -w '" + question + "' 'What is the weather like in the kitchen today?' 2>&1",
      &code);
  ASSERT_EQ(code, 0) << espeak;

  // stories260K has a 128-token context: a short system prompt and reply leave room for the
  // (gibberish) transcript.
  ServerOptions options;
  options.port = 0;
  options.threads_per_worker = 2;
  parley::assistant::AssistantConfig config;
  config.llm.system_prompt = "Be brief.";
  config.llm.max_tokens = 24;
  auto log = std::make_shared<parley::assistant::server::testing_support::CapturingSink>();
  auto logger = std::make_shared<spdlog::logger>("kiosk-test", log);
  logger->set_pattern("%v");
  ServerContext context(options, config, logger);
  context.load_models(ModelPaths{
      .llm = llm,
      .asr = std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny",
      .voice = "espeak:en-us"});
  HttpServer http(context);
  const int port = http.bind();
  http.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const std::string command = "PARLEY_KIOSK_URL='" + url + "' PARLEY_FAKE_MIC='" + question +
                              "' PARLEY_SCREENSHOT='" + screenshot + "' PARLEY_REFS_DIR='" +
                              PARLEY_REFS_DIR + "' PARLEY_CHROMIUM='" + chromium + "' node '" +
                              PARLEY_SOURCE_DIR + "/tests/server/kiosk_chromium.mjs' 2>&1";
  const std::string output = run_command(command, &code);
  if (code == 77) GTEST_SKIP() << output;
  EXPECT_EQ(code, 0) << output << "\nserver log:\n" << log->text();
  EXPECT_NE(output.find("kiosk chromium: ok"), std::string::npos) << output;
  EXPECT_TRUE(std::filesystem::exists(screenshot));
  std::printf("%s", output.c_str());
  std::printf("kiosk screenshot: %s\n", screenshot.c_str());
  http.stop();
}

}  // namespace
