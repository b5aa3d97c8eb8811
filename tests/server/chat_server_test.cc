// `parley serve` in process on a free port, driven with httplib::Client: health/ready, models,
// chat (whole and streamed) checked against the in-process runner, auth, malformed requests,
// limits, disconnects, admission queue, events, metrics, access log, shutdown.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "assistant/server/chat_runner.h"
#include "assistant/server/sse.h"
#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "llm/model.h"
#include "llm/random_model.h"
#include "server_fixture.h"

namespace parley::assistant::server {
namespace {

using nlohmann::json;
using testing_support::chat_body;
using testing_support::json_normalized;
using testing_support::TestServer;

struct StreamResult {
  int status = 0;
  std::vector<SseEvent> events;
  std::string content;  // concatenated deltas
  json last_chunk;      // the one with finish_reason
  bool done = false;    // saw [DONE] last
};

StreamResult post_stream(httplib::Client& client, const std::string& body) {
  StreamResult result;
  SseParser parser;
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/chat/completions";
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.response_handler = [&](const httplib::Response& r) {
    result.status = r.status;
    return true;
  };
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    for (SseEvent& e : parser.feed(std::string_view(data, size)))
      result.events.push_back(std::move(e));
    return true;
  };
  auto response = client.send(request);
  EXPECT_TRUE(response) << httplib::to_string(response.error());
  for (size_t i = 0; i < result.events.size(); ++i) {
    const std::string& data = result.events[i].data;
    if (data == "[DONE]") {
      result.done = i + 1 == result.events.size();
      continue;
    }
    const json chunk = json::parse(data);
    if (!chunk.contains("choices") || chunk["choices"].empty()) continue;
    const json& choice = chunk["choices"][0];
    if (choice["delta"].contains("content"))
      result.content += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) result.last_chunk = chunk;
  }
  return result;
}

json error_of(const httplib::Result& response) {
  EXPECT_TRUE(response);
  if (!response) return {};
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(response->body, nullptr, false);
  EXPECT_TRUE(body.is_object() && body.contains("error")) << response->body;
  if (!body.is_object() || !body.contains("error")) return {};
  const json& e = body["error"];
  EXPECT_TRUE(e["message"].is_string());
  EXPECT_TRUE(e["type"].is_string());
  EXPECT_TRUE(e.contains("param"));
  EXPECT_TRUE(e.contains("code"));
  return e;
}

// The reference: the runner called directly, with the job the server builds for this body.
ChatOutcome reference_reply(const llm::Model& model, const std::string& user, int max_tokens,
                            uint64_t seed, double temperature) {
  kernels::ThreadPool pool(1);
  ChatJob job;
  job.messages = {{"system", "You are terse."}, {"user", user}};
  job.max_tokens = max_tokens;
  job.sampler.temperature = static_cast<float>(temperature);
  job.sampler.top_p = 1.0f;
  job.sampler.top_k = 0;
  job.sampler.min_p = 0.0f;
  job.sampler.seed = seed;
  return run_chat(model, pool, job, {});
}

// The runner with a job's tools decodes calls under their grammar: on requests where the shipped
// default model, left alone, writes a broken call (an unterminated label — read from its second
// held-out set's failures), every call now parses and names a tool with its required arguments.
TEST(ChatRunner, ToolGrammarTurnsTheDefaultModelsBrokenCallsIntoValidOnes) {
  const std::string root = PARLEY_SOURCE_DIR;
  auto model = llm::Model::load(root + "/models/llm/parley-chat.gguf");
  std::ifstream tools_file(root + "/models/recipes/llm/tools.json");
  const json tools = json::parse(tools_file);
  const char* requests[] = {"hi parley, get a countdown going for 5 hours and fifty one minutes if you can",
                            "excuse me, a timer please, 24 minutes and five seconds if you can"};
  kernels::ThreadPool pool(1);
  auto call_of = [](const std::string& text) {
    const size_t open = text.find("<tool_call>");
    const size_t close = text.find("</tool_call>");
    if (open == std::string::npos || close == std::string::npos) return json();
    return json::parse(text.substr(open + 11, close - open - 11), nullptr, /*allow_exceptions=*/false);
  };
  int broken_alone = 0;
  for (const char* request : requests) {
    ChatJob job;
    job.messages = {{"system", tools.at("system_prompt").get<std::string>()}, {"user", request}};
    job.max_tokens = 80;
    job.sampler.temperature = 0.0f;
    const json alone = call_of(run_chat(*model, pool, job, {}).text);
    broken_alone += !alone.is_object();
    job.tool_calls = llm::tool_call_specs_from_json(tools.at("tools"), "tools.json");
    const std::string text = run_chat(*model, pool, job, {}).text;
    const json call = call_of(text);
    ASSERT_TRUE(call.is_object()) << request << " -> " << text;
    const std::string name = call.at("name").get<std::string>();
    EXPECT_TRUE(name == "set_timer" || name == "set_alarm") << text;
    EXPECT_TRUE(call.at("arguments").contains(name == "set_timer" ? "duration" : "time")) << text;
  }
  EXPECT_GE(broken_alone, 2) << "the model alone no longer breaks these calls: pick other requests";
}

TEST(ChatServer, HealthReadyAndModels) {
  TestServer server;
  auto client = server.client();
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client.Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["models"]["llm"], server.context->llm_model_id);

  auto models = client.Get("/v1/models");
  ASSERT_TRUE(models);
  ASSERT_EQ(models->status, 200);
  const json list = json::parse(models->body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_GE(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], server.context->llm_model_id);
  EXPECT_EQ(list["data"][0]["object"], "model");
  auto one = client.Get("/v1/models/" + server.context->llm_model_id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200) << one->body;
  EXPECT_EQ(json::parse(one->body)["id"], server.context->llm_model_id);
  auto missing = client.Get("/v1/models/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(error_of(missing)["code"], "model_not_found");
}

TEST(ChatServer, ReadyIs503UntilModelsLoad) {
  TestServer server({}, {}, /*load=*/false);
  auto client = server.client();
  auto ready = client.Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_TRUE(ready->has_header("Retry-After"));
  EXPECT_EQ(client.Get("/health")->status, 200);
  server.context->load_models({.llm = testing_support::random_chat_model_path()});
  EXPECT_EQ(client.Get("/ready")->status, 200);
}

TEST(ChatServer, WholeReplyMatchesTheInProcessRunner) {
  TestServer server;
  auto client = server.client();
  auto response = client.Post("/v1/chat/completions", chat_body("Tell me a story.", 24, 11),
                              "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  const json body = json::parse(response->body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], server.context->llm_model_id);
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  const json& choice = body["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");

  const ChatOutcome reference =
      reference_reply(*server.context->llm_model, "Tell me a story.", 24, 11, 0.8);
  EXPECT_EQ(choice["message"]["content"], json_normalized(reference.text));
  EXPECT_EQ(choice["finish_reason"], reference.finish_reason);
  EXPECT_EQ(body["usage"]["prompt_tokens"], reference.prompt_tokens);
  EXPECT_EQ(body["usage"]["completion_tokens"], reference.completion_tokens);
  EXPECT_EQ(body["usage"]["total_tokens"], reference.prompt_tokens + reference.completion_tokens);
  EXPECT_EQ(body["usage"]["prompt_tokens"],
            static_cast<int>(
                chat_prompt_tokens(*server.context->llm_model,
                                   {{"system", "You are terse."}, {"user", "Tell me a story."}})
                    .size()));

  // Same seed → same reply; another seed → (almost surely) another one.
  auto again = client.Post("/v1/chat/completions", chat_body("Tell me a story.", 24, 11),
                           "application/json");
  EXPECT_EQ(json::parse(again->body)["choices"][0]["message"]["content"],
            choice["message"]["content"]);
  auto other = client.Post("/v1/chat/completions", chat_body("Tell me a story.", 24, 12),
                           "application/json");
  EXPECT_NE(json::parse(other->body)["choices"][0]["message"]["content"],
            choice["message"]["content"]);
}

TEST(ChatServer, LengthLimitAndStopStrings) {
  TestServer server;
  auto client = server.client();
  // Greedy, many tokens: find a reply, then stop on a piece of it.
  auto response = client.Post("/v1/chat/completions", chat_body("Go on.", 12, 1, false, 0.0),
                              "application/json");
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  const ChatOutcome reference = reference_reply(*server.context->llm_model, "Go on.", 12, 1, 0.0);
  ASSERT_EQ(body["choices"][0]["finish_reason"], reference.finish_reason);
  if (reference.finish_reason == "length") {
    EXPECT_EQ(body["usage"]["completion_tokens"], 12);
  }
  const std::string text = reference.text;
  if (text.size() < 8) GTEST_SKIP() << "greedy reply too short to cut: '" << text << "'";
  const std::string stop = text.substr(text.size() / 2, 3);
  json request = json::parse(chat_body("Go on.", 12, 1, false, 0.0));
  request["stop"] = stop;
  auto stopped = client.Post("/v1/chat/completions", request.dump(), "application/json");
  ASSERT_EQ(stopped->status, 200);
  const json s = json::parse(stopped->body);
  EXPECT_EQ(s["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(s["choices"][0]["message"]["content"],
            json_normalized(text.substr(0, text.find(stop))));
}

TEST(ChatServer, StreamedReplyFramingUsageAndDone) {
  TestServer server;
  auto client = server.client();
  json request = json::parse(chat_body("Tell me a story.", 24, 11, true));
  request["stream_options"] = {{"include_usage", true}};
  const StreamResult streamed = post_stream(client, request.dump());
  EXPECT_EQ(streamed.status, 200);
  ASSERT_GE(streamed.events.size(), 4u);  // role, ..., finish, usage, [DONE]
  EXPECT_TRUE(streamed.done);
  const json first = json::parse(streamed.events.front().data);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");

  auto whole = client.Post("/v1/chat/completions", chat_body("Tell me a story.", 24, 11),
                           "application/json");
  const json w = json::parse(whole->body);
  EXPECT_EQ(streamed.content, w["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_EQ(streamed.last_chunk["choices"][0]["finish_reason"], w["choices"][0]["finish_reason"]);
  EXPECT_EQ(streamed.last_chunk["usage"], w["usage"]);
  // The include_usage chunk: empty choices, usage set, right before [DONE].
  const json usage_chunk = json::parse(streamed.events[streamed.events.size() - 2].data);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"], w["usage"]);
  // Every chunk carries the same id.
  for (const SseEvent& e : streamed.events) {
    if (e.data != "[DONE]") {
      EXPECT_EQ(json::parse(e.data)["id"], first["id"]);
    }
  }
}

TEST(ChatServer, AuthRules) {
  ServerOptions options;
  options.api_key = "s3cret-key";
  TestServer server(options);
  auto anonymous = server.client();
  auto health = anonymous.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  for (const char* path : {"/ready", "/v1/models", "/metrics"}) {
    auto r = anonymous.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(error_of(r)["type"], "authentication_error");
  }
  auto post = anonymous.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  auto wrong = server.client("s3cret-kez");
  EXPECT_EQ(wrong.Get("/v1/models")->status, 401);
  auto right = server.client("s3cret-key");
  EXPECT_EQ(right.Get("/v1/models")->status, 200);
  auto chat = right.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 200);
}

TEST(ChatServer, NonLoopbackWithoutKeyIsRefused) {
  ServerOptions options;
  options.host = "0.0.0.0";
  EXPECT_THROW(ServerContext(options, AssistantConfig{}, nullptr), Error);
}

// Tools in a request go into the prompt and, decoded under their grammar, constrain the calls: a
// good schema is served, a named tool_choice makes the reply that call (even from random
// weights), and a schema the grammar cannot read is a 400 naming "tools".
TEST(ChatServer, RequestToolsAreDecodedUnderTheirGrammarToolChoiceForcesACall) {
  const std::string path = ::testing::TempDir() + "parley_server_tools_" + std::to_string(::getpid()) + ".gguf";
  llm::RandomModelSpec spec;
  spec.name = "serve-tools";
  spec.n_vocab = 512;
  spec.n_embd = 32;
  spec.n_layer = 1;
  spec.n_head = 2;
  spec.n_head_kv = 1;
  spec.n_ff = 64;
  spec.context_length = 2048;  // the tools' system prompt alone is ~640 tokens of this vocabulary
  spec.weight_type = "f32";
  spec.chat_template =
      "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
      "{% endfor %}{% if tools %}<tools>{{ tools }}</tools>{% endif %}";
  llm::write_random_model(spec, path);
  {
    TestServer server({}, {.llm = path});
    auto client = server.client();
    const std::string good = R"({"messages": [{"role": "user", "content": "time?"}], "max_tokens": 4,
      "tools": [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}]})";
    auto ok = client.Post("/v1/chat/completions", good, "application/json");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    // A named tool_choice: even random weights must answer with that call, whole and valid.
    const std::string forced = R"({"messages": [{"role": "user", "content": "time?"}], "max_tokens": 160,
      "tools": [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
                {"type": "function", "function": {"name": "set_volume", "parameters": {"type": "object",
                  "properties": {"level": {"type": "integer"}}, "required": ["level"]}}}],
      "tool_choice": {"type": "function", "function": {"name": "get_time"}}})";
    auto call = client.Post("/v1/chat/completions", forced, "application/json");
    ASSERT_TRUE(call);
    ASSERT_EQ(call->status, 200) << call->body;
    const json choice = json::parse(call->body)["choices"][0];
    EXPECT_EQ(choice["finish_reason"], "tool_calls") << call->body;
    ASSERT_TRUE(choice["message"].contains("tool_calls")) << call->body;
    EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["name"], "get_time") << call->body;
    EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["arguments"], "{}") << call->body;
    const std::string bad = R"({"messages": [{"role": "user", "content": "time?"}], "max_tokens": 4,
      "tools": [{"type": "function", "function": {"name": "get_time", "parameters": {"properties": [1]}}}]})";
    auto r = client.Post("/v1/chat/completions", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    const json e = error_of(r);
    EXPECT_EQ(e["param"], "tools");
    EXPECT_NE(e["message"].get<std::string>().find("tools[0].function.parameters.properties"), std::string::npos)
        << e["message"];
  }
  std::remove(path.c_str());
}

TEST(ChatServer, BadRequestsGetTheDocumented4xx) {
  ServerOptions options;
  options.max_body_bytes = 4096;
  TestServer server(options);
  auto client = server.client();
  struct Case {
    std::string body;
    int status;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"{\"messages\": [", 400, "invalid_json"},
      {R"({"messages": "hello"})", 400, "invalid_type"},
      {R"({"messages": []})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"})", 400,
       "invalid_type"},
      {R"({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})", 404,
       "model_not_found"},
      {R"({"messages": [{"role": "user", "content": ")" + std::string(5000, 'a') + R"("}]})", 413,
       "request_too_large"},
  };
  for (const Case& c : cases) {
    auto r = client.Post("/v1/chat/completions", c.body, "application/json");
    ASSERT_TRUE(r) << c.code;
    EXPECT_EQ(r->status, c.status) << c.body.substr(0, 80);
    EXPECT_EQ(error_of(r)["code"], c.code) << r->body;
  }
  auto unknown = client.Get("/v2/nothing");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(error_of(unknown)["code"], "unknown_route");
  // A prompt longer than the model's context (512 tokens).
  std::string long_text;
  for (int i = 0; i < 700; ++i) long_text += "word ";
  ServerOptions big;
  TestServer roomy(big);
  auto long_prompt = roomy.client().Post(
      "/v1/chat/completions",
      json{{"messages", {{{"role", "user"}, {"content", long_text}}}}}.dump(), "application/json");
  ASSERT_TRUE(long_prompt);
  EXPECT_EQ(long_prompt->status, 400);
  EXPECT_EQ(error_of(long_prompt)["code"], "context_length_exceeded");
  // Streamed too: refused before the stream starts, with the status and the error object.
  auto long_stream = roomy.client().Post(
      "/v1/chat/completions",
      json{{"messages", {{{"role", "user"}, {"content", long_text}}}}, {"stream", true}}.dump(),
      "application/json");
  ASSERT_TRUE(long_stream);
  EXPECT_EQ(long_stream->status, 400);
  EXPECT_EQ(error_of(long_stream)["code"], "context_length_exceeded");
  // Still serving.
  EXPECT_EQ(client.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json")->status,
            200);
}

TEST(ChatServer, ASlowClientIsCutOffByTheReadTimeout) {
  ServerOptions options;
  options.read_timeout_s = 1;
  TestServer server(options);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string partial =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess";
  ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  // The body never completes: the server gives up after its read timeout and closes.
  const auto start = std::chrono::steady_clock::now();
  timeval wait{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) {
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  close(fd);
  EXPECT_EQ(n, 0) << "the connection was not closed";
  EXPECT_GE(seconds, 0.5);
  EXPECT_LT(seconds, 8.0);
  EXPECT_EQ(server.client().Get("/health")->status, 200);
}

TEST(ChatServer, ClientDisconnectMidStreamStopsGenerationAndServerKeepsServing) {
  ServerOptions options;
  options.model_workers = 1;
  TestServer server(options);
  {
    auto client = server.client();
    int chunks = 0;
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = chat_body("Keep going forever.", 400, 3, true, 1.0);
    request.set_header("Content-Type", "application/json");
    request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      return ++chunks < 3;
    };
    auto response = client.send(request);  // the receiver returning false closes the connection
    EXPECT_FALSE(response);
  }
  // The worker is released quickly (generation stopped), so a new request is admitted at once.
  const auto start = std::chrono::steady_clock::now();
  auto client = server.client();
  auto after = client.Post("/v1/chat/completions", chat_body("hi", 4, 1), "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  for (int i = 0; i < 200 && server.context->work_queue.busy() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server.context->work_queue.busy(), 0);
  const std::string log = server.wait_for_log("client went away");
  EXPECT_NE(log.find("client went away"), std::string::npos) << log;
}

TEST(ChatServer, FullQueueGets429AndTimeoutGets503WithRetryAfter) {
  ServerOptions options;
  options.model_workers = 1;
  options.queue_capacity = 1;
  options.queue_wait_ms = 60000;
  options.retry_after_s = 3;
  TestServer server(options);
  // Hold the only worker and the only waiting place from the test itself.
  auto held = server.context->work_queue.acquire(std::chrono::milliseconds(0));
  ASSERT_TRUE(held.lease);
  std::atomic<int> waiter_status{0};
  std::thread waiter([&] {
    auto client = server.client();
    auto r = client.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
    waiter_status = r ? r->status : -1;
  });
  while (server.context->work_queue.waiting() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto client = server.client();
  auto full = client.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 429);
  EXPECT_EQ(full->get_header_value("Retry-After"), "3");
  EXPECT_EQ(error_of(full)["code"], "queue_full");
  EXPECT_EQ(error_of(full)["type"], "rate_limit_error");
  held.lease.reset();
  waiter.join();
  EXPECT_EQ(waiter_status.load(), 200);

  ServerOptions impatient;
  impatient.queue_capacity = 4;
  impatient.queue_wait_ms = 50;
  TestServer server2(impatient);
  auto held2 = server2.context->work_queue.acquire(std::chrono::milliseconds(0));
  auto timed_out =
      server2.client().Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 503);
  EXPECT_TRUE(timed_out->has_header("Retry-After"));
  EXPECT_EQ(error_of(timed_out)["code"], "queue_timeout");
}

TEST(ChatServer, EventsStreamCarriesTheChatLifecycle) {
  TestServer server;
  std::vector<SseEvent> events;
  std::atomic<bool> subscribed{false};
  std::thread listener([&] {
    auto client = server.client();
    SseParser parser;
    client.Get("/events", [&](const char* data, size_t size) {
      subscribed = true;
      for (SseEvent& e : parser.feed(std::string_view(data, size))) {
        events.push_back(e);
        if (e.event == "turn") return false;  // done listening
      }
      return true;
    });
  });
  while (!subscribed || server.context->events.subscriber_count() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto client = server.client();
  auto r =
      client.Post("/v1/chat/completions", chat_body("Tell me a story.", 8, 5), "application/json");
  ASSERT_EQ(r->status, 200);
  listener.join();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().event, "request");
  const json turn = json::parse(events.back().data);
  EXPECT_EQ(events.back().event, "turn");
  const json reply = json::parse(r->body);
  EXPECT_EQ(turn["request_id"], reply["id"]);
  EXPECT_EQ(turn["completion_tokens"], reply["usage"]["completion_tokens"]);
  EXPECT_GE(turn["total_ms"].get<double>(), 0.0);
  std::string tokens;
  for (const SseEvent& e : events)
    if (e.event == "token") tokens += json::parse(e.data)["text"].get<std::string>();
  EXPECT_EQ(tokens, reply["choices"][0]["message"]["content"].get<std::string>());
  // Ids increase.
  for (size_t i = 1; i < events.size(); ++i)
    EXPECT_GT(std::stoull(events[i].id), std::stoull(events[i - 1].id));
}

TEST(ChatServer, MetricsAndAccessLog) {
  TestServer server;
  auto client = server.client();
  ASSERT_EQ(client.Post("/v1/chat/completions", chat_body("hi", 4, 1), "application/json")->status,
            200);
  ASSERT_EQ(client.Post("/v1/chat/completions", "{oops", "application/json")->status, 400);
  client.Get("/health");
  // A request is counted by the access log, which runs just after its response went out, on
  // whichever server thread served it: poll until all three are counted (the 200 of the first
  // request may land after the later ones).
  const std::string chat_ok =
      "parley_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"200\"}";
  const std::string chat_bad =
      "parley_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"400\"}";
  std::string m;
  for (int i = 0; i < 300; ++i) {
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    ASSERT_EQ(metrics->status, 200);
    EXPECT_EQ(metrics->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    m = metrics->body;
    if (m.find("route=\"/health\"") != std::string::npos && m.find(chat_ok) != std::string::npos &&
        m.find(chat_bad) != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(m.find("parley_http_requests_total{route=\"/v1/chat/"
                   "completions\",method=\"POST\",status=\"200\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("parley_http_requests_total{route=\"/v1/chat/"
                   "completions\",method=\"POST\",status=\"400\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("parley_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 1\n"),
      std::string::npos);
  EXPECT_NE(m.find("parley_chat_seconds_count 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("# TYPE parley_chat_ttft_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("parley_errors_total{kind=\"invalid_json\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("parley_queue_depth 0\n"), std::string::npos);
  const std::string log = server.wait_for_log("path=/v1/chat/completions status=400 bytes=");
  EXPECT_NE(log.find("http method=POST path=/v1/chat/completions status=400 bytes="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("client=127.0.0.1:"), std::string::npos) << log;
}

TEST(ChatServer, ShutdownLetsARunningStreamFinishThenRefusesWork) {
  ServerOptions options;
  options.shutdown_grace_ms = 20000;
  auto server = std::make_unique<TestServer>(options);
  StreamResult streamed;
  std::atomic<bool> started{false};
  std::thread streamer([&] {
    auto client = server->client();
    started = true;
    streamed = post_stream(client, chat_body("Tell me a long story.", 200, 9, true, 1.0));
  });
  while (server->context->work_queue.busy() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server->http->stop();  // returns after the stream finished
  streamer.join();
  EXPECT_EQ(streamed.status, 200);
  EXPECT_TRUE(streamed.done);
  EXPECT_FALSE(streamed.last_chunk.is_null());
  EXPECT_TRUE(server->context->stopping.load());
  EXPECT_FALSE(server->context->cancel_model_work.load());
}

TEST(ChatServer, ShutdownGraceOverEndsTheStreamWithAFinalEvent) {
  ServerOptions options;
  options.shutdown_grace_ms = 0;
  auto server = std::make_unique<TestServer>(options);
  StreamResult streamed;
  std::thread streamer([&] {
    auto client = server->client();
    json body = json::parse(chat_body("Tell me a long story.", 480, 9, true, 1.0));
    streamed = post_stream(client, body.dump());
  });
  while (server->context->work_queue.busy() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server->http->stop();
  streamer.join();
  EXPECT_TRUE(server->context->cancel_model_work.load());
  EXPECT_EQ(streamed.status, 200);
  EXPECT_TRUE(streamed.done);
  ASSERT_GE(streamed.events.size(), 2u);
  // The event before [DONE] is either the normal finish (it raced to the end) or the error object.
  const json last = json::parse(streamed.events[streamed.events.size() - 2].data);
  if (last.contains("error"))
    EXPECT_EQ(last["error"]["code"], "shutting_down");
  else
    EXPECT_FALSE(last["choices"][0]["finish_reason"].is_null());
}

}  // namespace
}  // namespace parley::assistant::server
