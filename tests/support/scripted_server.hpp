#pragma once
// An in-process HTTP responder on 127.0.0.1 with a free port, running its own scheduler on its
// own thread, that answers every request (a block ending in a blank line) with a fixed reply, or
// misbehaves on purpose. The load engine's tests drive it; it counts what it answered.

#include "loopback.hpp"

#include <uring_cannon.hpp>

#include <arpa/inet.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace test_support {

enum class server_behaviour {
  answer,    ///< reply to each request with `reply`
  silent,    ///< accept and read, never reply
  garbage,   ///< reply to each request with bytes that are not HTTP
  hang_up,   ///< close each connection as soon as a request arrives
  answer_then_close,  ///< reply to the first request, then close (close-delimited bodies)
  answer_slowly,      ///< reply to each request 20 ms after the previous reply (a server that stalls)
};

class scripted_server {
 public:
  explicit scripted_server(server_behaviour behaviour = server_behaviour::answer,
                           std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
      : behaviour_(behaviour), reply_(std::move(reply)), listener_(loopback_listener()),
        port_(listener_.local_endpoint().port()) {
    thread_ = std::thread([this] { serve(); });
    while (!ready_.load()) std::this_thread::yield();
  }
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;
  ~scripted_server() {
    sched_.load()->request_stop();
    thread_.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// Requests answered so far.
  std::uint64_t answered() const noexcept { return answered_.load(); }
  /// Connections accepted so far.
  std::uint64_t accepted() const noexcept { return accepted_.load(); }
  /// The distinct client addresses (without ports) connections came from.
  std::set<std::string> peer_addresses() const {
    std::lock_guard lock(peers_mutex_);
    return peers_;
  }

 private:
  void serve() {
    uring_cannon::scheduler s;
    auto& buffers = s.make_buffer_ring(1024, 4096);
    sched_.store(&s);
    ready_.store(true);
    s.spawn(accept_loop(s, buffers));
    s.run();
  }

  uring_cannon::task<> accept_loop(uring_cannon::scheduler& s, uring_cannon::buffer_ring& buffers) {
    auto accepts = listener_.accepts(s);
    for (;;) {
      auto fd = co_await accepts.next();
      if (!fd) continue;
      ++accepted_;
      note_peer(*fd);
      s.spawn(connection(uring_cannon::tcp_stream(s, *fd), buffers));
    }
  }

  uring_cannon::task<> connection(uring_cannon::tcp_stream conn, uring_cannon::buffer_ring& buffers) {
    auto incoming = conn.receiver(buffers);
    std::string pending;   // the tail of a request head that a read split
    std::string replies;   // one batch of replies, alive until its send completes
    for (;;) {
      auto chunk = co_await incoming.next();
      if (!chunk || chunk->empty()) co_return;
      pending.append(chunk->chars());
      chunk->reset();
      std::size_t requests = 0, end;
      while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
        pending.erase(0, end + 4);
        ++requests;
      }
      if (requests == 0) continue;
      switch (behaviour_) {
        case server_behaviour::silent: continue;
        case server_behaviour::hang_up: co_return;
        case server_behaviour::garbage: replies.assign(requests, '\x01'); break;
        case server_behaviour::answer_then_close:
          if (co_await conn.send_all(reply_)) ++answered_;
          co_return;
        case server_behaviour::answer_slowly:
          for (std::size_t i = 0; i < requests; ++i) {
            (void)co_await uring_cannon::sleep_for(*sched_.load(), std::chrono::milliseconds(20));
            if (!co_await conn.send_all(reply_)) co_return;
            ++answered_;
          }
          continue;
        case server_behaviour::answer:
          replies.clear();
          for (std::size_t i = 0; i < requests; ++i) replies += reply_;
          break;
      }
      if (!co_await conn.send_all(replies)) co_return;
      answered_ += requests;
    }
  }

  void note_peer(int fd) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 || peer.ss_family != AF_INET) return;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
    std::lock_guard lock(peers_mutex_);
    peers_.insert(text);
  }

  server_behaviour behaviour_;
  std::string reply_;
  uring_cannon::listener listener_;
  std::uint16_t port_;
  std::atomic<uring_cannon::scheduler*> sched_{nullptr};
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> answered_{0}, accepted_{0};
  mutable std::mutex peers_mutex_;
  std::set<std::string> peers_;
  std::thread thread_;
};

}  // namespace test_support
