// Response parsing throughput: uring_cannon::http::response_parser against Debian's http_parser
// 2.9 on the same buffers, in the same run, fed the same 4 KiB slices a recv would hand over.
//
//   (a) small pipelined responses: a typical "200 OK" with a 2-byte body, ~36 in each slice;
//   (b) chunked responses: 16 chunks of 256 bytes each.
//
// Each round runs both parsers over the workload (alternating which goes first) and times each by
// the thread's CPU clock, so that other work on a shared machine counts less; the figures are
// medians over the rounds, and the ratio is uring_cannon over http_parser, per round. Both parsers count
// responses and body bytes, and the two counts are printed side by side when they differ.
//
//   g++ -std=c++20 -O2 -Iinclude benchmarks/http_parser_bench.cpp -lhttp_parser -o http_parser_bench &&
//   ./http_parser_bench [--rounds 21] [--megabytes 16] [--slice 4096]

#include <uring_cannon/http_response_parser.hpp>

#include <http_parser.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace http = uring_cannon::http;

struct tally {
  std::uint64_t responses = 0;
  std::uint64_t body_bytes = 0;
  bool failed = false;
};

/// One workload: a stream of whole responses (about 1 MiB), parsed `repeats` times as one
/// continuous stream; slices cut across responses wherever they fall.
struct workload {
  const char* name;
  std::string buffer;
  std::size_t responses_per_buffer;
  std::size_t repeats;
};

std::string small_response() {
  return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nServer: x\r\n"
         "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nOK";
}

std::string chunked_response() {
  std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nServer: x\r\n"
      "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n";
  for (int i = 0; i < 16; ++i) r += "100\r\n" + std::string(256, 'c') + "\r\n";
  return r + "0\r\n\r\n";
}

workload make_workload(const char* name, const std::string& response, std::size_t megabytes) {
  workload w{name, {}, 0, 0};
  while (w.buffer.size() < (std::size_t(1) << 20)) {
    w.buffer += response;
    ++w.responses_per_buffer;
  }
  w.repeats = std::max<std::size_t>(1, (megabytes << 20) / w.buffer.size());
  return w;
}

/// Feeds `buffer` in slices of `slice` bytes, the way recv completions would arrive.
template <class Feed>
void for_each_slice(const std::string& buffer, std::size_t slice, Feed&& feed) {
  for (std::size_t at = 0; at < buffer.size(); at += slice)
    feed(std::string_view(buffer).substr(at, std::min(slice, buffer.size() - at)));
}

tally run_uring_cannon(const workload& w, std::size_t slice) {
  tally t;
  http::response_parser parser;
  for (std::size_t r = 0; r < w.repeats && !t.failed; ++r) {
    for_each_slice(w.buffer, slice, [&](std::string_view data) {
      while (!data.empty()) {
        const auto [consumed, event] = parser.parse(data);
        data.remove_prefix(consumed);
        if (event == http::parse_event::need_more) break;
        if (event == http::parse_event::error) {
          t.failed = true;
          break;
        }
        ++t.responses;
        t.body_bytes += parser.last_response().body_bytes;
      }
    });
  }
  return t;
}

int on_body(::http_parser* p, const char*, std::size_t length) {
  static_cast<tally*>(p->data)->body_bytes += length;
  return 0;
}
int on_message_complete(::http_parser* p) {
  ++static_cast<tally*>(p->data)->responses;
  return 0;
}

tally run_http_parser(const workload& w, std::size_t slice) {
  tally t;
  ::http_parser parser;
  ::http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &t;
  ::http_parser_settings settings;
  ::http_parser_settings_init(&settings);
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  for (std::size_t r = 0; r < w.repeats && !t.failed; ++r) {
    for_each_slice(w.buffer, slice, [&](std::string_view data) {
      const std::size_t parsed = ::http_parser_execute(&parser, &settings, data.data(), data.size());
      if (parsed != data.size() || parser.http_errno != HPE_OK) t.failed = true;
    });
  }
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// CPU time of this thread: unlike the wall clock, it leaves out the time other processes on a
/// shared machine held the core.
double thread_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

template <class Run>
double timed(Run&& run, const workload& w, std::size_t slice, tally& into) {
  const double start = thread_seconds();
  into = run(w, slice);
  return thread_seconds() - start;
}

void measure(const workload& w, int rounds, std::size_t slice) {
  const double bytes = double(w.buffer.size()) * double(w.repeats);
  const double responses = double(w.responses_per_buffer) * double(w.repeats);
  std::vector<double> ours_s, theirs_s, ratios;
  tally ours, theirs;
  run_uring_cannon(w, slice);  // warm-up
  run_http_parser(w, slice);
  for (int round = 0; round < rounds; ++round) {
    double a = 0, b = 0;
    if (round % 2 == 0) {
      a = timed(run_uring_cannon, w, slice, ours);
      b = timed(run_http_parser, w, slice, theirs);
    } else {
      b = timed(run_http_parser, w, slice, theirs);
      a = timed(run_uring_cannon, w, slice, ours);
    }
    ours_s.push_back(a);
    theirs_s.push_back(b);
    ratios.push_back(b / a);
  }
  std::printf("%s: %zu-byte responses, %.1f per %zu-byte slice; %.0f MB per parser per round, %d rounds\n",
              w.name, w.buffer.size() / w.responses_per_buffer,
              double(slice) * double(w.responses_per_buffer) / double(w.buffer.size()), slice, bytes / 1e6, rounds);
  auto line = [&](const char* who, double seconds) {
    std::printf("  %-13s %8.2f M responses/s  %6.2f GB/s   (median, per CPU second)\n", who,
                responses / seconds / 1e6, bytes / seconds / 1e9);
  };
  line("uring_cannon", median(ours_s));
  line("http_parser", median(theirs_s));
  std::sort(ratios.begin(), ratios.end());
  std::printf("  ratio uring_cannon/http_parser: median %.2fx (min %.2f max %.2f)\n", median(ratios), ratios.front(),
              ratios.back());
  if (ours.failed || theirs.failed || ours.responses != theirs.responses || ours.body_bytes != theirs.body_bytes)
    std::printf("  COUNTS DIFFER: uring_cannon %llu responses, %llu body bytes%s; http_parser %llu, %llu%s\n",
                static_cast<unsigned long long>(ours.responses), static_cast<unsigned long long>(ours.body_bytes),
                ours.failed ? " (error)" : "", static_cast<unsigned long long>(theirs.responses),
                static_cast<unsigned long long>(theirs.body_bytes), theirs.failed ? " (error)" : "");
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 21;
  std::size_t megabytes = 16, slice = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--rounds") rounds = std::max(1, int(value));
    else if (flag == "--megabytes") megabytes = std::max<std::size_t>(1, value);
    else if (flag == "--slice") slice = std::max<std::size_t>(1, value);
    else {
      std::fprintf(stderr, "usage: %s [--rounds N] [--megabytes N] [--slice BYTES]\n", argv[0]);
      return 2;
    }
  }
  std::printf("http_parser_bench: http_parser %d.%d against uring_cannon::http::response_parser\n\n",
              HTTP_PARSER_VERSION_MAJOR, HTTP_PARSER_VERSION_MINOR);
  measure(make_workload("small pipelined responses", small_response(), megabytes), rounds, slice);
  measure(make_workload("chunked responses (16 x 256-byte chunks)", chunked_response(), megabytes), rounds, slice);
}
