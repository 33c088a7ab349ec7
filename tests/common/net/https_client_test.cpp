// The shared HTTP client against a scripted server on loopback: what it sends, kept-alive
// reuse, the transparent retry when the server had closed an idle connection, cancel(),
// the answer size limit and a refused connection. Plain HTTP; the TLS side is covered by
// the agent/collector integration tests and the webhook's https tests.
#include "common/net/https_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace posture::net;

namespace {

struct Step {
  enum class Kind { Answer, AnswerThenDrop, Silent } kind = Kind::Answer;
  std::string body = "ok";
};

// Serves `script` in order, one step per request, then stops. AnswerThenDrop answers
// without saying so and closes the connection; Silent reads the request and waits for the
// client to go away.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Step> script) : script_(std::move(script)) {
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    if (thread_.joinable()) thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  // After the script has run (joins the server).
  const std::vector<std::string>& heads() {
    if (thread_.joinable()) thread_.join();
    return heads_;
  }
  int accepts() {
    if (thread_.joinable()) thread_.join();
    return accepts_;
  }

 private:
  // One request's head, its body skipped; false at the end of the connection.
  static bool readRequest(tcp::socket& s, std::string& pending, std::string& head) {
    boost::system::error_code ec;
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      char buf[4096];
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) return false;
      pending.append(buf, n);
    }
    head = pending.substr(0, end + 4);
    std::size_t length = 0;
    auto at = head.find("Content-Length: ");
    if (at != std::string::npos) length = std::stoul(head.substr(at + 16));
    while (pending.size() < end + 4 + length) {
      char buf[4096];
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) return false;
      pending.append(buf, n);
    }
    pending.erase(0, end + 4 + length);
    return true;
  }

  void run() {
    std::size_t step = 0;
    while (step < script_.size()) {
      tcp::socket s(io_);
      acceptor_.accept(s);
      ++accepts_;
      std::string pending, head;
      while (step < script_.size() && readRequest(s, pending, head)) {
        heads_.push_back(head);
        const Step& now = script_[step++];
        boost::system::error_code ec;
        if (now.kind == Step::Kind::Silent) {
          char buf[256];
          while (!ec) s.read_some(asio::buffer(buf), ec);
          break;
        }
        std::string answer = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(now.body.size()) + "\r\n\r\n" + now.body;
        asio::write(s, asio::buffer(answer), ec);
        if (now.kind == Step::Kind::AnswerThenDrop) break;
      }
    }
  }

  std::vector<Step> script_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::thread thread_;
  std::vector<std::string> heads_;
  int accepts_ = 0;
};

// Runs `requests` posts in turn on one client; the failure's message, if one failed.
struct Run {
  std::vector<ClientResponse> answers;
  std::string error;
};
Run postAll(const std::string& port, int requests, ClientOptions options = {},
            std::chrono::milliseconds cancelAfter = std::chrono::milliseconds::zero()) {
  asio::io_context io;
  HttpsClient client(io.get_executor(), nullptr, "127.0.0.1", port, std::move(options));
  Run run;
  asio::steady_timer canceller(io);
  if (cancelAfter.count() > 0) {
    canceller.expires_after(cancelAfter);
    canceller.async_wait([&](boost::system::error_code ec) {
      if (!ec) client.cancel();
    });
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < requests; ++i) {
          run.answers.push_back(co_await client.post("/hook?n=" + std::to_string(i), "application/json",
                                                     "{\"n\":" + std::to_string(i) + "}",
                                                     std::chrono::seconds(20)));
        }
        canceller.cancel();
        client.close();
      },
      [&](std::exception_ptr e) {
        canceller.cancel();
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const NetError& x) {
          run.error = x.what();
        }
      });
  io.run();
  return run;
}

}  // namespace

TEST_CASE("http client: what it sends, and two requests on one kept-alive connection") {
  ScriptedServer server({{Step::Kind::Answer, "first"}, {Step::Kind::Answer, "second"}});
  ClientOptions options;
  options.peer = "webhook";
  options.userAgent = "posture-collector";
  options.headers = {{"Accept", "*/*"}};
  auto run = postAll(server.port(), 2, options);
  REQUIRE_MESSAGE(run.error.empty(), run.error);
  REQUIRE(run.answers.size() == 2);
  CHECK(run.answers[0].status == 201);
  CHECK(run.answers[0].reason == "Created");
  CHECK(run.answers[0].contentType == "text/plain");
  CHECK(run.answers[1].body == "second");
  CHECK(server.accepts() == 1);
  const auto& head = server.heads().at(0);
  CHECK(head.rfind("POST /hook?n=0 HTTP/1.1\r\n", 0) == 0);
  CHECK(head.find("\r\nHost: 127.0.0.1:" + server.port() + "\r\n") != std::string::npos);
  CHECK(head.find("\r\nUser-Agent: posture-collector\r\n") != std::string::npos);
  CHECK(head.find("\r\nAccept: */*\r\n") != std::string::npos);
  CHECK(head.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
}

TEST_CASE("http client: a connection the server dropped while idle is made again, the request sent once") {
  ScriptedServer server({{Step::Kind::AnswerThenDrop, "one"}, {Step::Kind::Answer, "two"}});
  auto run = postAll(server.port(), 2);
  REQUIRE_MESSAGE(run.error.empty(), run.error);
  REQUIRE(run.answers.size() == 2);
  CHECK(run.answers[1].body == "two");
  CHECK(server.accepts() == 2);
  CHECK(server.heads().size() == 2);
}

TEST_CASE("http client: cancel() ends a request the server never answers, naming it") {
  ScriptedServer server({{Step::Kind::Silent, ""}});
  ClientOptions options;
  options.peer = "webhook";
  auto run = postAll(server.port(), 1, options, std::chrono::milliseconds(200));
  CHECK(run.answers.empty());
  CHECK(run.error == "request to webhook 127.0.0.1:" + server.port() + " cancelled");
}

// Beast 1.74's eager response parsing skips the limit on a Content-Length; the client reads
// the head on its own first.
TEST_CASE("http client: an answer over the size limit fails the request") {
  ScriptedServer server({{Step::Kind::AnswerThenDrop, std::string(5000, 'x')}});
  ClientOptions options;
  options.bodyLimit = 1000;
  auto run = postAll(server.port(), 1, options);
  CHECK(run.answers.empty());
  CHECK_MESSAGE(run.error.find("request to collector 127.0.0.1:" + server.port() + " failed") == 0,
                run.error);
}

TEST_CASE("http client: a refused connection names the server and the addresses tried") {
  std::string port;
  {
    asio::io_context io;
    tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = std::to_string(closed.local_endpoint().port());
  }
  ClientOptions options;
  options.peer = "webhook";
  auto run = postAll(port, 1, options);
  CHECK(run.answers.empty());
  CHECK_MESSAGE(run.error.find("cannot connect to webhook 127.0.0.1:" + port +
                               " (tried IPv4 127.0.0.1): ") == 0,
                run.error);
}
