// libFuzzer target for the WebSocket layer: the frame decoder in both roles and the handshake
// response parser, each fed the same bytes whole and in random slices, which must agree, with
// the decoder's invariants checked after every call and every decoded message re-encoded and
// decoded again by the other side.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=function \
//     -I include tests/fuzz/fuzz_websocket.cpp -luring -o fuzz_websocket
//   ./fuzz_websocket -max_total_time=60 tests/fuzz/corpus/fuzz_websocket
//
// Input: byte 0 picks the size limit, byte 1 seeds the slice sizes, the rest is the stream.

#include <uring_cannon/websocket.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ws = uring_cannon::websocket;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_websocket: invariant broken: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

struct record {
  ws::decode_event event;
  ws::opcode op;
  std::string payload;
  std::uint16_t code;
  bool operator==(const record&) const = default;
};

struct run_result {
  std::vector<record> events;
  std::uint64_t frames = 0;
};

// Slice lengths from a small xorshift generator: mostly short, now and then long.
class slicer {
 public:
  explicit slicer(std::uint8_t seed) : state_(0x9E3779B97F4A7C15ull ^ seed) {}
  std::size_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const unsigned shift = unsigned(state_ % 11);  // up to 1 KiB
    return 1 + std::size_t((state_ >> 8) % (std::uint64_t(1) << shift));
  }

 private:
  std::uint64_t state_;
};

void check_event(const ws::message_decoder& d, ws::decode_event e, std::size_t max) {
  switch (e) {
    case ws::decode_event::message:
      check(d.payload().size() <= max, "message larger than the limit");
      check(d.message_opcode() == ws::opcode::text || d.message_opcode() == ws::opcode::binary, "message opcode");
      if (d.message_opcode() == ws::opcode::text) check(uring_cannon::detail::is_valid_utf8(d.payload_view()), "text is UTF-8");
      break;
    case ws::decode_event::ping:
    case ws::decode_event::pong: check(d.payload().size() <= ws::max_control_payload, "control payload size"); break;
    case ws::decode_event::close:
      check(d.payload().size() <= ws::max_control_payload, "close payload size");
      check(d.close_code() == 1005 ? d.payload().empty() : ws::is_valid_close_code(d.close_code()), "close code");
      check(uring_cannon::detail::is_valid_utf8(d.close_reason()), "close reason is UTF-8");
      break;
    case ws::decode_event::error: {
      const auto code = d.error_close_code();
      check(code == 1002 || code == 1007 || code == 1009, "error close code");
      check(d.error_message()[0] != '\0', "error message");
      break;
    }
    case ws::decode_event::need_more: break;
  }
}

record capture(const ws::message_decoder& d, ws::decode_event e) {
  record r{e, ws::opcode::continuation, {}, 0};
  if (e == ws::decode_event::message) r.op = d.message_opcode();
  if (e == ws::decode_event::error) {
    r.payload = d.error_message();
    r.code = d.error_close_code();
  } else {
    r.payload = std::string(d.payload_view());
  }
  if (e == ws::decode_event::close) r.code = d.close_code();
  return r;
}

// Decodes `stream` in slices (whole when `cuts` is null), checking every call.
run_result decode(ws::role role, std::string_view stream, std::size_t max, slicer* cuts) {
  ws::message_decoder d(role, max);
  run_result out;
  std::uint64_t frames = 0;
  std::size_t begin = 0;
  bool finished = false;
  while (begin < stream.size() && !finished) {
    const std::size_t len = cuts != nullptr ? std::min(cuts->next(), stream.size() - begin) : stream.size() - begin;
    const std::string slice(stream.substr(begin, len));  // its own allocation, so ASan sees overreads
    begin += len;
    std::string_view rest = slice;
    for (;;) {
      const auto r = d.decode({rest.data(), rest.size()});
      check(r.consumed <= rest.size(), "consumed past the slice");
      check(d.frames() >= frames, "frames went backwards");
      frames = d.frames();
      rest.remove_prefix(r.consumed);
      if (r.event == ws::decode_event::need_more) {
        check(rest.empty(), "need_more left bytes unconsumed");
        break;
      }
      check_event(d, r.event, max);
      out.events.push_back(capture(d, r.event));
      if (r.event == ws::decode_event::close || r.event == ws::decode_event::error) {
        const auto again = d.decode({rest.data(), rest.size()});
        check(again.consumed == 0 && again.event == r.event, "finished decoder is sticky");
        finished = true;
        break;
      }
    }
  }
  out.frames = d.frames();
  return out;
}

// What the peer would see if this side re-sent each decoded payload: it must come back intact.
void check_round_trip(const std::vector<record>& events, std::size_t max) {
  for (const auto& e : events) {
    ws::opcode op;
    switch (e.event) {
      case ws::decode_event::message: op = e.op; break;
      case ws::decode_event::ping: op = ws::opcode::ping; break;
      case ws::decode_event::pong: op = ws::opcode::pong; break;
      default: continue;
    }
    std::string frame(ws::frame_size(e.payload.size(), true), '\0');
    check(ws::encode_client_frame(frame, op, {e.payload.data(), e.payload.size()}, 0x5a3c9601) == frame.size(), "client encode size");
    ws::message_decoder server(ws::role::server, max);
    auto r = server.decode({frame.data(), frame.size()});
    check(r.consumed == frame.size() && server.payload_view() == e.payload, "client frame round trip");
    frame.assign(ws::frame_size(e.payload.size(), false), '\0');
    check(ws::encode_server_frame(frame, op, {e.payload.data(), e.payload.size()}) == frame.size(), "server encode size");
    ws::message_decoder client(ws::role::client, max);
    r = client.decode({frame.data(), frame.size()});
    check(r.consumed == frame.size() && client.payload_view() == e.payload, "server frame round trip");
  }
}

void fuzz_handshake(std::string_view stream, std::uint8_t seed) {
  static const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  ws::handshake_response_parser whole(key, 512);
  const auto w = whole.parse({stream.data(), stream.size()});
  check(w.consumed <= stream.size(), "handshake consumed past the input");
  check(w.event != ws::handshake_event::need_more || w.consumed == stream.size(), "handshake need_more consumes all");

  ws::handshake_response_parser sliced(key, 512);
  slicer cuts(seed);
  std::size_t begin = 0, consumed = 0;
  ws::handshake_result s{0, ws::handshake_event::need_more};
  while (begin < stream.size() && s.event == ws::handshake_event::need_more) {
    const std::size_t len = std::min(cuts.next(), stream.size() - begin);
    s = sliced.parse({stream.data() + begin, len});
    check(s.consumed <= len, "handshake slice consumed past the slice");
    consumed += s.consumed;
    begin += len;
  }
  check(s.event == w.event, "handshake verdict depends on slicing");
  check(sliced.error_message() == whole.error_message(), "handshake message depends on slicing");
  check(sliced.status() == whole.status(), "handshake status depends on slicing");
  if (w.event == ws::handshake_event::accepted) check(consumed == w.consumed, "handshake end depends on slicing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::size_t limits[8] = {0, 1, 16, 125, 126, 1000, 65536, 1u << 20};
  const std::size_t max = limits[data[0] & 7];
  const std::uint8_t seed = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  for (ws::role role : {ws::role::client, ws::role::server}) {
    const auto whole = decode(role, stream, max, nullptr);
    slicer cuts(seed);
    const auto sliced = decode(role, stream, max, &cuts);
    check(whole.events == sliced.events, "events depend on slicing");
    check(whole.frames == sliced.frames, "frame count depends on slicing");
    check_round_trip(whole.events, max);
  }
  fuzz_handshake(stream, seed);
  return 0;
}
