// An io_uring echo server: one thread, multishot accept, multishot recv, provided buffers.
//   echo_server [--port N]     (default 0: a free port, printed on start)
#include <uring_cannon.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uc = uring_cannon;

static uc::scheduler* running = nullptr;

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = std::atoi(argv[++i]);

  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(4096, 4096);
  auto l = uc::listener::bind(*uc::endpoint::from_literal("127.0.0.1", std::uint16_t(port)));
  std::printf("echo_server listening on %s\n", l.local_endpoint().to_string().c_str());
  std::fflush(stdout);

  running = &s;
  std::signal(SIGINT, [](int) { running->request_stop(); });
  std::signal(SIGTERM, [](int) { running->request_stop(); });
  s.spawn(uc::echo_server(s, l, buffers));
  s.run();
}
