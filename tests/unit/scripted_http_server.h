// ScriptedHttpServer: a real HTTP/1.1 server for client tests, in-process on 127.0.0.1 and
// an OS-chosen port, answering each request with the next scripted Reply (then the
// default): a status with optional Retry-After and body, after an optional delay, or never
// (it reads and discards until the client gives up), or by closing the connection after
// answering. It records every request. Runs on the test's io_context, on the test's thread;
// its coroutines share its state, so it may be destroyed before the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace logpulse::testing {

struct Reply {
  unsigned status = 200;
  std::string retry_after{};  // empty: no header
  std::string body{};
  std::chrono::milliseconds delay{0};
  bool never_answer = false;
  bool close_after = false;  // answer, then close the connection (keep-alive header kept)
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string body{};
  std::map<std::string, std::string> headers;  // lower-case names
  std::size_t connection = 0;                   // which accepted connection carried it
  std::chrono::steady_clock::time_point at;
};

class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(boost::asio::io_context& io, std::uint16_t port = 0);
  ~ScriptedHttpServer();

  std::uint16_t port() const { return state_->port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  void script(std::vector<Reply> replies) { state_->script.assign(replies.begin(), replies.end()); }
  void set_default(Reply reply) { state_->fallback = std::move(reply); }
  const std::vector<ReceivedRequest>& requests() const { return state_->requests; }
  std::size_t connections() const { return state_->connections; }

  struct State {
    explicit State(boost::asio::io_context& io) : acceptor(io) {}
    boost::asio::ip::tcp::acceptor acceptor;
    std::uint16_t port = 0;
    std::deque<Reply> script;
    Reply fallback;
    std::vector<ReceivedRequest> requests;
    std::size_t connections = 0;
    bool closed = false;
  };

 private:
  std::shared_ptr<State> state_;
};

// A loopback port that nothing listens on (bound once, then released).
std::uint16_t closed_port();

// Runs `io` until `done()` or `timeout`; returns done(). Never sleeps: it waits in the
// io_context for the next handler, at most 5 ms at a time.
template <class Predicate>
bool run_until(boost::asio::io_context& io, Predicate done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace logpulse::testing
