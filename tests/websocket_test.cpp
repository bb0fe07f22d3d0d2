// The WebSocket layer (RFC 6455): the handshake on both sides, frame encoding, and the
// incremental decoder, checked on the RFC's own examples, on every way a stream can be sliced,
// and on every error path.

#include <uring_cannon/websocket.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ws = uring_cannon::websocket;
using ws::decode_event;
using ws::opcode;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(char(v));
  return out;
}

std::span<const char> span_of(std::string_view s) { return {s.data(), s.size()}; }

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char((i * 31 + 7) & 0xFF);
  return s;
}

// What one decode event said, in a form that compares and prints.
struct record {
  decode_event event;
  opcode op = opcode::continuation;  // message opcode, for `message`
  std::string payload;               // payload; close: the reason; error: the message
  std::uint16_t code = 0;            // close: close_code(); error: error_close_code()
  bool operator==(const record&) const = default;
};

record capture(const ws::message_decoder& d, decode_event e) {
  record r{e, opcode::continuation, {}, 0};
  switch (e) {
    case decode_event::message:
      r.op = d.message_opcode();
      r.payload = std::string(d.payload_view());
      break;
    case decode_event::ping:
    case decode_event::pong: r.payload = std::string(d.payload_view()); break;
    case decode_event::close:
      r.payload = std::string(d.close_reason());
      r.code = d.close_code();
      break;
    case decode_event::error:
      r.payload = d.error_message();
      r.code = d.error_close_code();
      break;
    case decode_event::need_more: break;
  }
  return r;
}

// Decodes `stream` cut into slices at `cuts` (ascending offsets), checking the consumption
// contract on the way: need_more consumes the whole slice, nothing is consumed past its end.
struct decode_run {
  std::vector<record> events;
  std::uint64_t frames = 0;
  bool finished = false;  // close or error seen
};

decode_run decode_sliced(ws::role role, std::string_view stream, const std::vector<std::size_t>& cuts, std::size_t max = 16u << 20) {
  ws::message_decoder d(role, max);
  decode_run run;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size() && !run.finished; ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : stream.size();
    std::string slice(stream.substr(begin, end - begin));  // a copy, so nothing reads past it
    std::string_view rest = slice;
    begin = end;
    for (;;) {
      const auto r = d.decode(span_of(rest));
      REQUIRE(r.consumed <= rest.size());
      rest.remove_prefix(r.consumed);
      if (r.event == decode_event::need_more) {
        REQUIRE(rest.empty());
        break;
      }
      run.events.push_back(capture(d, r.event));
      if (r.event == decode_event::close || r.event == decode_event::error) {
        run.finished = true;
        const auto again = d.decode(span_of(rest));  // finished decoders repeat themselves
        CHECK(again.consumed == 0);
        CHECK(again.event == r.event);
        break;
      }
    }
  }
  run.frames = d.frames();
  return run;
}

decode_run decode_whole(ws::role role, std::string_view stream, std::size_t max = 16u << 20) {
  return decode_sliced(role, stream, {}, max);
}

// The stream decodes the same whole, cut once at every offset, and one byte at a time.
void check_every_split(ws::role role, std::string_view stream, const std::vector<record>& expected, std::size_t max = 16u << 20) {
  const auto whole = decode_whole(role, stream, max);
  REQUIRE(whole.events == expected);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    const auto split = decode_sliced(role, stream, {cut}, max);
    if (split.events != expected || split.frames != whole.frames) {
      FAIL_CHECK("different result when cut at " << cut);
      return;
    }
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  const auto bytewise = decode_sliced(role, stream, every_byte, max);
  CHECK(bytewise.events == expected);
  CHECK(bytewise.frames == whole.frames);
}

record message(opcode op, std::string payload) { return {decode_event::message, op, std::move(payload), 0}; }
record control(decode_event e, std::string payload) { return {e, opcode::continuation, std::move(payload), 0}; }
record error(std::string message, std::uint16_t code) { return {decode_event::error, opcode::continuation, std::move(message), code}; }

std::string client_frame(opcode op, std::string_view payload, std::uint32_t mask, bool fin = true) {
  std::string out(ws::frame_size(payload.size(), true), '\0');
  REQUIRE(ws::encode_client_frame(out, op, span_of(payload), mask, fin) == out.size());
  return out;
}

std::string server_frame(opcode op, std::string_view payload, bool fin = true) {
  std::string out(ws::frame_size(payload.size(), false), '\0');
  REQUIRE(ws::encode_server_frame(out, op, span_of(payload), fin) == out.size());
  return out;
}

constexpr std::uint32_t rfc_mask = 0x37fa213d;

}  // namespace

// ---------------------------------------------------------------------------------------------
// RFC 6455 section 5.7 examples

TEST_CASE("websocket frames: RFC 6455 5.7 single-frame unmasked text") {
  const std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  CHECK(server_frame(opcode::text, "Hello") == wire);
  check_every_split(ws::role::client, wire, {message(opcode::text, "Hello")});
  CHECK(decode_whole(ws::role::client, wire).frames == 1);
}

TEST_CASE("websocket frames: RFC 6455 5.7 single-frame masked text") {
  const std::string wire = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(client_frame(opcode::text, "Hello", rfc_mask) == wire);
  check_every_split(ws::role::server, wire, {message(opcode::text, "Hello")});
}

TEST_CASE("websocket frames: RFC 6455 5.7 fragmented unmasked text") {
  const std::string wire = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  CHECK(server_frame(opcode::text, "Hel", false) + server_frame(opcode::continuation, "lo") == wire);
  check_every_split(ws::role::client, wire, {message(opcode::text, "Hello")});
  CHECK(decode_whole(ws::role::client, wire).frames == 2);
  for (std::size_t a = 0; a <= wire.size(); ++a)  // and cut twice, at every pair of offsets
    for (std::size_t b = a; b <= wire.size(); ++b) {
      INFO("cuts " << a << ", " << b);
      CHECK(decode_sliced(ws::role::client, wire, {a, b}).events == std::vector<record>{message(opcode::text, "Hello")});
    }
}

TEST_CASE("websocket frames: RFC 6455 5.7 unmasked ping and masked pong") {
  const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  CHECK(server_frame(opcode::ping, "Hello") == ping);
  check_every_split(ws::role::client, ping, {control(decode_event::ping, "Hello")});

  const std::string pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(client_frame(opcode::pong, "Hello", rfc_mask) == pong);
  check_every_split(ws::role::server, pong, {control(decode_event::pong, "Hello")});
}

TEST_CASE("websocket frames: RFC 6455 5.7 256-byte binary (16-bit length)") {
  const std::string payload = pattern(256);
  const std::string wire = bytes({0x82, 0x7E, 0x01, 0x00}) + payload;
  CHECK(server_frame(opcode::binary, payload) == wire);
  check_every_split(ws::role::client, wire, {message(opcode::binary, payload)});
}

TEST_CASE("websocket frames: RFC 6455 5.7 64 KiB binary (64-bit length)") {
  const std::string payload = pattern(65536);
  const std::string wire = bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}) + payload;
  CHECK(server_frame(opcode::binary, payload) == wire);
  check_every_split(ws::role::client, wire, {message(opcode::binary, payload)});
}

// ---------------------------------------------------------------------------------------------
// Encoding

TEST_CASE("websocket frames: frame_size and the three length forms") {
  CHECK(ws::frame_size(0, false) == 2);
  CHECK(ws::frame_size(125, false) == 127);
  CHECK(ws::frame_size(126, false) == 130);
  CHECK(ws::frame_size(65535, false) == 65539);
  CHECK(ws::frame_size(65536, false) == 65546);
  CHECK(ws::frame_size(0, true) == 6);
  CHECK(ws::frame_size(126, true) == 134);
  CHECK(ws::frame_size(65536, true) == 65550);
}

TEST_CASE("websocket frames: encoders refuse a buffer that is too small") {
  const std::string payload = pattern(200);
  std::string out(ws::frame_size(payload.size(), true) - 1, '\0');
  CHECK(ws::encode_client_frame(out, opcode::binary, span_of(payload), 1) == 0);
  out.resize(ws::frame_size(payload.size(), false) - 1);
  CHECK(ws::encode_server_frame(out, opcode::binary, span_of(payload)) == 0);
  CHECK(ws::encode_frame_header(std::span<char>(out.data(), 3), opcode::binary, 200, true, false) == 0);
  CHECK(ws::encode_frame_header(std::span<char>(out.data(), 4), opcode::binary, 200, true, false) == 4);
}

TEST_CASE("websocket frames: masking continues across the 8-byte steps for every length and mask") {
  for (std::size_t n = 0; n < 40; ++n) {
    const std::string payload = pattern(n);
    for (std::uint32_t mask : {0u, 0x37fa213du, 0xffffffffu, 0x01020304u}) {
      const std::string frame = client_frame(opcode::binary, payload, mask);
      const std::size_t header = frame.size() - n;
      for (std::size_t i = 0; i < n; ++i) {
        const auto key = static_cast<unsigned char>(mask >> (24 - 8 * (i % 4)));
        if (static_cast<unsigned char>(frame[header + i]) != (static_cast<unsigned char>(payload[i]) ^ key)) {
          FAIL_CHECK("byte " << i << " of " << n << " mask " << mask);
          break;
        }
      }
    }
  }
}

TEST_CASE("websocket frames: round trips at the length-form boundaries") {
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    INFO("size " << size);
    const std::string payload = pattern(size);
    const unsigned expected_length7 = size <= 125 ? unsigned(size) : size <= 65535 ? 126 : 127;

    const std::string from_client = client_frame(opcode::binary, payload, 0xa1b2c3d4);
    CHECK((static_cast<unsigned char>(from_client[1]) & 0x7F) == expected_length7);
    CHECK((static_cast<unsigned char>(from_client[1]) & 0x80) == 0x80);
    auto run = decode_whole(ws::role::server, from_client);
    CHECK(run.events == std::vector<record>{message(opcode::binary, payload)});

    const std::string from_server = server_frame(opcode::binary, payload);
    CHECK((static_cast<unsigned char>(from_server[1]) & 0x7F) == expected_length7);
    run = decode_whole(ws::role::client, from_server);
    CHECK(run.events == std::vector<record>{message(opcode::binary, payload)});

    // Text too (the pattern is not UTF-8, so use ASCII).
    const std::string text(size, 'x');
    CHECK(decode_whole(ws::role::server, client_frame(opcode::text, text, 7)).events == std::vector<record>{message(opcode::text, text)});
    CHECK(decode_whole(ws::role::client, server_frame(opcode::text, text)).events == std::vector<record>{message(opcode::text, text)});
  }
}

TEST_CASE("websocket frames: a large masked message in fragments, sliced unevenly") {
  const std::string payload = pattern(70000);
  const std::string wire = client_frame(opcode::binary, std::string_view(payload).substr(0, 1), 0x11223344, false) +
                           client_frame(opcode::continuation, std::string_view(payload).substr(1, 65535), 0x55667788, false) +
                           client_frame(opcode::ping, "mid", 0x99aabbcc) +
                           client_frame(opcode::continuation, std::string_view(payload).substr(65536), 0xddeeff00);
  const std::vector<record> expected{control(decode_event::ping, "mid"), message(opcode::binary, payload)};
  for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 64u, 1000u, 4096u, 65537u}) {
    INFO("slices of " << step);
    std::vector<std::size_t> cuts;
    for (std::size_t at = step; at < wire.size(); at += step) cuts.push_back(at);
    const auto run = decode_sliced(ws::role::server, wire, cuts);
    CHECK(run.events == expected);
    CHECK(run.frames == 4);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding: messages, control frames, payload ownership

TEST_CASE("websocket decoder: a ping between fragments, in both roles") {
  const std::vector<record> expected{control(decode_event::ping, "x"), control(decode_event::pong, ""), message(opcode::text, "Hello")};
  const std::string from_server = server_frame(opcode::text, "Hel", false) + server_frame(opcode::ping, "x") +
                                  server_frame(opcode::continuation, "l", false) + server_frame(opcode::pong, "") +
                                  server_frame(opcode::continuation, "o");
  check_every_split(ws::role::client, from_server, expected);
  CHECK(decode_whole(ws::role::client, from_server).frames == 5);
  const std::string from_client = client_frame(opcode::text, "Hel", 1, false) + client_frame(opcode::ping, "x", 2) +
                                  client_frame(opcode::continuation, "l", 3, false) + client_frame(opcode::pong, "", 4) +
                                  client_frame(opcode::continuation, "o", 5);
  check_every_split(ws::role::server, from_client, expected);
}

TEST_CASE("websocket decoder: several messages in one slice are returned one per call") {
  const std::string wire = server_frame(opcode::text, "one") + server_frame(opcode::binary, "") + server_frame(opcode::text, "three");
  ws::message_decoder d(ws::role::client);
  std::span<const char> rest = span_of(wire);
  auto r = d.decode(rest);
  CHECK(r.consumed == 5);
  CHECK(r.event == decode_event::message);
  CHECK(d.payload_view() == "one");
  rest = rest.subspan(r.consumed);
  r = d.decode(rest);
  CHECK(r.consumed == 2);
  CHECK(r.event == decode_event::message);
  CHECK(d.message_opcode() == opcode::binary);
  CHECK(d.payload().empty());
  rest = rest.subspan(r.consumed);
  r = d.decode(rest);
  CHECK(r.consumed == 7);
  CHECK(d.payload_view() == "three");
  CHECK(d.decode(rest.subspan(r.consumed)).event == decode_event::need_more);
  CHECK(d.frames() == 3);
}

TEST_CASE("websocket decoder: zero-copy for whole unmasked messages, a reused buffer otherwise") {
  const std::string wire = server_frame(opcode::binary, pattern(300));
  ws::message_decoder client(ws::role::client);
  REQUIRE(client.decode(span_of(wire)).event == decode_event::message);
  CHECK(client.payload().data() == wire.data() + 4);  // a span into the input
  CHECK(client.buffer_capacity() == 0);

  ws::message_decoder server(ws::role::server);
  const std::string largest = client_frame(opcode::binary, pattern(5000), 42);
  REQUIRE(server.decode(span_of(largest)).event == decode_event::message);
  const std::size_t capacity = server.buffer_capacity();
  const char* buffer = server.payload().data();
  CHECK(capacity >= 5000);
  for (std::size_t size = 0; size <= 5000; size += 250) {  // smaller or equal messages reuse it
    const std::string frame = client_frame(opcode::binary, pattern(size), std::uint32_t(size));
    for (std::size_t cut : {std::size_t(0), frame.size() / 2}) {  // whole, and split in two
      auto r = server.decode(span_of(frame).subspan(0, cut));
      CHECK(r.consumed == cut);
      r = server.decode(span_of(frame).subspan(cut));
      REQUIRE(r.event == decode_event::message);
      CHECK(server.payload_view() == pattern(size));
      if (size != 0) CHECK(server.payload().data() == buffer);
      CHECK(server.buffer_capacity() == capacity);
    }
  }
}

TEST_CASE("websocket decoder: close frames") {
  check_every_split(ws::role::client, bytes({0x88, 0x00}), {record{decode_event::close, opcode::continuation, "", 1005}});
  check_every_split(ws::role::client, bytes({0x88, 0x05, 0x03, 0xE8}) + "bye", {record{decode_event::close, opcode::continuation, "bye", 1000}});
  char payload[ws::max_control_payload];
  const std::size_t n = ws::encode_close_payload(payload, ws::close_status::going_away, std::string(200, 'r'));
  CHECK(n == 125);
  const std::string wire = client_frame(opcode::close, std::string_view(payload, n), 9);
  check_every_split(ws::role::server, wire, {record{decode_event::close, opcode::continuation, std::string(123, 'r'), 1001}});
  for (std::uint16_t code : {1000, 1003, 1007, 1011, 1014, 3000, 4999}) {
    INFO(code);
    const std::size_t m = ws::encode_close_payload(payload, code);
    CHECK(decode_whole(ws::role::client, server_frame(opcode::close, std::string_view(payload, m))).events.at(0).code == code);
  }
}

TEST_CASE("websocket decoder: the decoder is finished after close, and reset() starts over") {
  const std::string wire = server_frame(opcode::close, bytes({0x03, 0xE8})) + server_frame(opcode::text, "after");
  ws::message_decoder d(ws::role::client);
  auto r = d.decode(span_of(wire));
  CHECK(r.consumed == 4);
  CHECK(r.event == decode_event::close);
  CHECK(d.close_code() == 1000);
  r = d.decode(span_of(wire).subspan(4));
  CHECK(r.consumed == 0);
  CHECK(r.event == decode_event::close);
  d.reset();
  r = d.decode(span_of(wire).subspan(4));
  CHECK(r.event == decode_event::message);
  CHECK(d.payload_view() == "after");
  CHECK(d.frames() == 1);
  CHECK(d.close_code() == 1005);
}

TEST_CASE("websocket decoder: UTF-8 across fragments") {
  // "é" (C3 A9) split between two fragments is valid...
  check_every_split(ws::role::client, bytes({0x01, 0x01, 0xC3, 0x80, 0x01, 0xA9}), {message(opcode::text, "\xc3\xa9")});
  // ...and binary messages are not checked at all.
  check_every_split(ws::role::client, bytes({0x82, 0x02, 0xC3, 0x28}), {message(opcode::binary, "\xc3\x28")});
}

// ---------------------------------------------------------------------------------------------
// Decoding: every error path, each also cut at every offset

TEST_CASE("websocket decoder: protocol errors") {
  struct error_case {
    const char* name;
    ws::role role;
    std::string wire;
    std::string message;
    std::uint16_t code;
    std::size_t max = 16u << 20;
  };
  const auto client = ws::role::client;
  const auto server = ws::role::server;
  const std::vector<error_case> cases = {
      {"RSV1 set", client, bytes({0xC1, 0x00}), "reserved bits set (no extension was negotiated)", 1002},
      {"RSV3 set", client, bytes({0x92, 0x00}), "reserved bits set (no extension was negotiated)", 1002},
      {"reserved data opcode", client, bytes({0x83, 0x00}), "reserved opcode", 1002},
      {"reserved control opcode", client, bytes({0x8B, 0x00}), "reserved opcode", 1002},
      {"fragmented ping", client, bytes({0x09, 0x00}), "fragmented control frame", 1002},
      {"ping over 125 bytes", client, bytes({0x89, 0x7E, 0x00, 0x7E}) + std::string(126, 'p'), "control frame payload over 125 bytes", 1002},
      {"close over 125 bytes", client, bytes({0x88, 0x7F, 0, 0, 0, 0, 0, 0, 0, 126}), "control frame payload over 125 bytes", 1002},
      {"continuation first", client, bytes({0x80, 0x00}), "continuation frame without a message to continue", 1002},
      {"continuation after a complete message", client, server_frame(opcode::text, "a") + bytes({0x80, 0x00}),
       "continuation frame without a message to continue", 1002},
      {"text inside a fragmented message", client, bytes({0x01, 0x01, 'a', 0x81, 0x01, 'b'}), "new data frame inside a fragmented message", 1002},
      {"binary inside a fragmented message", client, bytes({0x02, 0x00, 0x02, 0x00}), "new data frame inside a fragmented message", 1002},
      {"masked frame to a client", client, client_frame(opcode::text, "hi", 5), "masked frame from a server", 1002},
      {"unmasked frame to a server", server, server_frame(opcode::text, "hi"), "unmasked frame from a client", 1002},
      {"64-bit length with MSB set", client, bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
       "64-bit payload length with the most significant bit set", 1002},
      {"frame over the limit (no payload needed)", client, bytes({0x82, 0x0B}), "message exceeds the size limit", 1009, 10},
      {"huge 64-bit length", client, bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "message exceeds the size limit", 1009},
      {"fragments over the limit", server,
       client_frame(opcode::binary, "123456", 1, false) + client_frame(opcode::continuation, "12345", 2).substr(0, 6),
       "message exceeds the size limit", 1009, 10},
      {"bad UTF-8 text", client, bytes({0x81, 0x02, 0xC3, 0x28}), "text message is not valid UTF-8", 1007},
      {"bad UTF-8 masked text", server, client_frame(opcode::text, "ok\xff", 77), "text message is not valid UTF-8", 1007},
      {"bad UTF-8 in a first fragment fails at once", client, bytes({0x01, 0x01, 0xFF}), "text message is not valid UTF-8", 1007},
      {"text ending mid code point", client, bytes({0x01, 0x01, 0xC3, 0x80, 0x00}), "text message is not valid UTF-8", 1007},
      {"surrogate in text", client, server_frame(opcode::text, "\xed\xa0\x80"), "text message is not valid UTF-8", 1007},
      {"close with a 1-byte payload", client, bytes({0x88, 0x01, 0x03}), "close frame with a 1-byte payload", 1002},
      {"close code 999", client, bytes({0x88, 0x02, 0x03, 0xE7}), "close frame with an invalid status code", 1002},
      {"close code 1005", client, bytes({0x88, 0x02, 0x03, 0xED}), "close frame with an invalid status code", 1002},
      {"close code 1006", client, bytes({0x88, 0x02, 0x03, 0xEE}), "close frame with an invalid status code", 1002},
      {"close code 1015", client, bytes({0x88, 0x02, 0x03, 0xF7}), "close frame with an invalid status code", 1002},
      {"close code 2999", client, bytes({0x88, 0x02, 0x0B, 0xB7}), "close frame with an invalid status code", 1002},
      {"close code 5000", client, bytes({0x88, 0x02, 0x13, 0x88}), "close frame with an invalid status code", 1002},
      {"close reason not UTF-8", client, bytes({0x88, 0x04, 0x03, 0xE8, 0xC0, 0xAF}), "close reason is not valid UTF-8", 1007},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    // The error comes after any earlier events; the messages before it are still reported.
    auto whole = decode_whole(c.role, c.wire, c.max);
    REQUIRE_FALSE(whole.events.empty());
    CHECK(whole.events.back() == error(c.message, c.code));
    check_every_split(c.role, c.wire, whole.events, c.max);
  }
}

TEST_CASE("websocket decoder: an error is final until reset()") {
  ws::message_decoder d(ws::role::client);
  const std::string bad = bytes({0xC1, 0x00});
  CHECK(d.decode(span_of(bad)).event == decode_event::error);
  const std::string good = server_frame(opcode::text, "ok");
  auto r = d.decode(span_of(good));
  CHECK(r.consumed == 0);
  CHECK(r.event == decode_event::error);
  CHECK(std::string_view(d.error_message()) == "reserved bits set (no extension was negotiated)");
  d.reset();
  CHECK(std::string_view(d.error_message()).empty());
  CHECK(d.error_close_code() == 0);
  r = d.decode(span_of(good));
  CHECK(r.event == decode_event::message);
  CHECK(d.payload_view() == "ok");
}

// ---------------------------------------------------------------------------------------------
// Handshake

namespace {
constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string response_with(std::string_view headers) { return "HTTP/1.1 101 Switching Protocols\r\n" + std::string(headers) + "\r\n"; }

const std::string good_response = response_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");

ws::handshake_result parse_whole(ws::handshake_response_parser& p, std::string_view text) { return p.parse(span_of(text)); }
}  // namespace

TEST_CASE("websocket handshake: keys, accept and the request") {
  CHECK(ws::accept_key(rfc_key) == rfc_accept);
  const std::string key = ws::make_key(0x0123456789abcdefull, 0xfedcba9876543210ull);
  CHECK(key == "ASNFZ4mrze/+3LqYdlQyEA==");
  CHECK(ws::make_key(1, 2) != ws::make_key(1, 3));
  CHECK(ws::make_key(0, 0).size() == 24);
  CHECK(ws::client_upgrade_request("example.com:8080", "/chat?x=1", key) ==
        "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: ASNFZ4mrze/+3LqYdlQyEA==\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

TEST_CASE("websocket handshake: the RFC's reply is accepted, whole and split at every byte") {
  {
    ws::handshake_response_parser p{std::string(rfc_key)};
    const auto r = parse_whole(p, good_response);
    CHECK(r.event == ws::handshake_event::accepted);
    CHECK(r.consumed == good_response.size());
    CHECK(p.status() == 101);
    CHECK(p.error_message().empty());
    const auto again = parse_whole(p, "more");
    CHECK(again.consumed == 0);
    CHECK(again.event == ws::handshake_event::accepted);
  }
  for (std::size_t cut = 0; cut <= good_response.size(); ++cut) {
    INFO("cut at " << cut);
    ws::handshake_response_parser p{std::string(rfc_key)};
    const auto first = p.parse(span_of(good_response).subspan(0, cut));
    CHECK(first.consumed == cut);
    if (cut < good_response.size()) {
      REQUIRE(first.event == ws::handshake_event::need_more);
      const auto second = p.parse(span_of(good_response).subspan(cut));
      CHECK(second.consumed == good_response.size() - cut);
      CHECK(second.event == ws::handshake_event::accepted);
    } else {
      CHECK(first.event == ws::handshake_event::accepted);
    }
  }
  ws::handshake_response_parser p{std::string(rfc_key)};
  ws::handshake_result r{0, ws::handshake_event::need_more};
  for (std::size_t i = 0; i < good_response.size(); ++i) {
    r = p.parse(span_of(good_response).subspan(i, 1));
    CHECK(r.consumed == 1);
  }
  CHECK(r.event == ws::handshake_event::accepted);
}

TEST_CASE("websocket handshake: frames in the same slice as the 101 are left for the decoder") {
  const std::string frames = server_frame(opcode::text, "hi") + server_frame(opcode::ping, "");
  const std::string slice = good_response + frames;
  ws::handshake_response_parser p{std::string(rfc_key)};
  const auto r = parse_whole(p, slice);
  REQUIRE(r.event == ws::handshake_event::accepted);
  CHECK(r.consumed == good_response.size());
  const auto run = decode_whole(ws::role::client, std::string_view(slice).substr(r.consumed));
  CHECK(run.events == std::vector<record>{message(opcode::text, "hi"), control(decode_event::ping, "")});
}

TEST_CASE("websocket handshake: tolerated variations") {
  for (const std::string& text : {
           response_with("upgrade: WebSocket\r\nCONNECTION: keep-alive, upgrade\r\nsec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n"),
           response_with("Server: x\r\nConnection: close\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions:\r\n"),
           std::string("HTTP/1.0 101\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n"),
       }) {
    INFO(text);
    ws::handshake_response_parser p{std::string(rfc_key)};
    const auto r = parse_whole(p, text);
    CHECK(r.event == ws::handshake_event::accepted);
    CHECK(r.consumed == text.size());
    CHECK(p.error_message().empty());
  }
}

TEST_CASE("websocket handshake: rejected replies say why, whole and split at every byte") {
  struct reject_case {
    std::string text;
    std::string message;
    int status;
  };
  const std::string accept_line = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  const std::vector<reject_case> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "expected 101 Switching Protocols, got 200", 200},
      {"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", "expected 101 Switching Protocols, got 426", 426},
      {response_with("Connection: Upgrade\r\n" + accept_line), "missing Upgrade header in handshake response", 101},
      {response_with("Upgrade: h2c\r\nConnection: Upgrade\r\n" + accept_line), "Upgrade header is not websocket", 101},
      {response_with("Upgrade: websocket\r\n" + accept_line), "missing Connection: Upgrade in handshake response", 101},
      {response_with("Upgrade: websocket\r\nConnection: keep-alive\r\n" + accept_line), "missing Connection: Upgrade in handshake response", 101},
      {response_with("Upgrade: websocket\r\nConnection: Upgrade\r\n"), "missing Sec-WebSocket-Accept header", 101},
      {response_with("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOp=\r\n"),
       "Sec-WebSocket-Accept mismatch", 101},
      {response_with("Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept_line + accept_line), "more than one Sec-WebSocket-Accept header", 101},
      {response_with("Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept_line + "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
       "server selected an extension the client did not offer", 101},
      {response_with("Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept_line + "Sec-WebSocket-Protocol: chat\r\n"),
       "server selected a subprotocol the client did not offer", 101},
      {response_with("Upgrade: websocket\r\n folded\r\n"), "obsolete line folding in handshake response", 101},
      {response_with("Upgrade websocket\r\n"), "malformed header line in handshake response", 101},
      {response_with("Upgrade : websocket\r\n"), "malformed header line in handshake response", 101},
      {"HTTP/1.1 1O1 Switching\r\n\r\n", "malformed status line in handshake response", 0},
      {"HTTP/2 101\r\n\r\n", "malformed status line in handshake response", 0},
      {"SSH-2.0-OpenSSH_9.2\r\n", "malformed status line in handshake response", 0},
      {"\r\n", "malformed status line in handshake response", 0},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    {
      ws::handshake_response_parser p{std::string(rfc_key)};
      const auto r = parse_whole(p, c.text);
      CHECK(r.event == ws::handshake_event::rejected);
      CHECK(r.consumed <= c.text.size());
      CHECK(p.error_message() == c.message);
      CHECK(p.status() == c.status);
      CHECK(parse_whole(p, good_response).event == ws::handshake_event::rejected);
    }
    for (std::size_t cut = 0; cut <= c.text.size(); ++cut) {
      ws::handshake_response_parser p{std::string(rfc_key)};
      auto r = p.parse(span_of(c.text).subspan(0, cut));
      if (r.event == ws::handshake_event::need_more) r = p.parse(span_of(c.text).subspan(cut));
      if (r.event != ws::handshake_event::rejected || p.error_message() != c.message) {
        FAIL_CHECK("different verdict when cut at " << cut << ": " << p.error_message());
        break;
      }
    }
  }
}

TEST_CASE("websocket handshake: the header size limit") {
  const std::string padding = "X-Pad: " + std::string(100, 'p') + "\r\n";
  std::string big = "HTTP/1.1 101 Switching Protocols\r\n";
  while (big.size() < 2000) big += padding;
  {
    ws::handshake_response_parser p{std::string(rfc_key), 1024};
    const auto r = parse_whole(p, big);
    CHECK(r.event == ws::handshake_event::rejected);
    CHECK(p.error_message() == "handshake response header block exceeds 1024 bytes");
  }
  {  // a line that never ends is refused too, even one byte at a time
    ws::handshake_response_parser p{std::string(rfc_key), 64};
    const std::string endless(100, 'a');
    ws::handshake_result r{0, ws::handshake_event::need_more};
    std::size_t fed = 0;
    while (r.event == ws::handshake_event::need_more && fed < endless.size()) r = p.parse(span_of(endless).subspan(fed++, 1));
    CHECK(r.event == ws::handshake_event::rejected);
    CHECK(fed == 65);
  }
  {  // exactly at the limit is fine
    ws::handshake_response_parser p{std::string(rfc_key), good_response.size()};
    CHECK(parse_whole(p, good_response).event == ws::handshake_event::accepted);
    ws::handshake_response_parser q{std::string(rfc_key), good_response.size() - 1};
    CHECK(parse_whole(q, good_response).event == ws::handshake_event::rejected);
  }
}

TEST_CASE("websocket handshake: the server side") {
  const auto reply = ws::server_handshake_response("websocket", "Upgrade", "13", rfc_key);
  REQUIRE(reply.ok());
  CHECK(*reply == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  ws::handshake_response_parser client{std::string(rfc_key)};  // and our client accepts it
  CHECK(client.parse(span_of(*reply)).event == ws::handshake_event::accepted);

  CHECK(ws::server_handshake_response(" WebSocket ", "keep-alive, Upgrade", " 13", rfc_key).ok());

  struct bad_case {
    std::string_view upgrade, connection, version, key, message;
  };
  for (const auto& c : std::vector<bad_case>{
           {"", "Upgrade", "13", rfc_key, "Upgrade header does not name websocket"},
           {"h2c", "Upgrade", "13", rfc_key, "Upgrade header does not name websocket"},
           {"websocket", "", "13", rfc_key, "Connection header does not list upgrade"},
           {"websocket", "keep-alive", "13", rfc_key, "Connection header does not list upgrade"},
           {"websocket", "Upgrade", "8", rfc_key, "unsupported Sec-WebSocket-Version '8' (expected 13)"},
           {"websocket", "Upgrade", "", rfc_key, "unsupported Sec-WebSocket-Version '' (expected 13)"},
           {"websocket", "Upgrade", "13", "", "missing Sec-WebSocket-Key"},
           {"websocket", "Upgrade", "13", "Zm9vYmFy", "Sec-WebSocket-Key is not the base64 of 16 bytes"},
           {"websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ", "Sec-WebSocket-Key is not the base64 of 16 bytes"},
           {"websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=!", "Sec-WebSocket-Key is not the base64 of 16 bytes"},
       }) {
    INFO(c.message);
    const auto r = ws::server_handshake_response(c.upgrade, c.connection, c.version, c.key);
    CHECK_FALSE(r.ok());
    CHECK(r.error() == c.message);
  }
}

TEST_CASE("websocket: client and server talk through the whole exchange") {
  const std::string key = ws::make_key(0x1111, 0x2222);
  // The server answers the request's header values...
  const auto reply = ws::server_handshake_response("websocket", "Upgrade", "13", key);
  REQUIRE(reply.ok());
  // ...the client checks the reply, which arrives together with the first server frame...
  const std::string from_server = *reply + server_frame(opcode::ping, "p1") + server_frame(opcode::text, "welcome");
  ws::handshake_response_parser handshake{key};
  const auto h = handshake.parse(span_of(from_server));
  REQUIRE(h.event == ws::handshake_event::accepted);
  ws::message_decoder client(ws::role::client);
  ws::message_decoder server(ws::role::server);
  std::span<const char> rest = span_of(from_server).subspan(h.consumed);
  auto r = client.decode(rest);
  REQUIRE(r.event == decode_event::ping);
  // ...and answers the ping with a pong carrying its payload, which the server decodes.
  std::string pong(ws::frame_size(client.payload().size(), true), '\0');
  ws::encode_client_frame(pong, opcode::pong, client.payload(), 0xdeadbeef);
  auto s = server.decode(span_of(pong));
  CHECK(s.event == decode_event::pong);
  CHECK(server.payload_view() == "p1");
  rest = rest.subspan(r.consumed);
  r = client.decode(rest);
  CHECK(r.event == decode_event::message);
  CHECK(client.payload_view() == "welcome");
  // Close handshake: the client closes, the server echoes the code.
  char payload[ws::max_control_payload];
  const std::string close = client_frame(opcode::close, std::string_view(payload, ws::encode_close_payload(payload, 1000, "done")), 3);
  s = server.decode(span_of(close));
  CHECK(s.event == decode_event::close);
  CHECK(server.close_code() == 1000);
  CHECK(server.close_reason() == "done");
  const std::string echo = server_frame(opcode::close, std::string_view(payload, ws::encode_close_payload(payload, server.close_code())));
  r = client.decode(span_of(echo));
  CHECK(r.event == decode_event::close);
  CHECK(client.close_code() == 1000);
}

TEST_CASE("websocket: empty spans are harmless everywhere") {
  ws::message_decoder d(ws::role::client);
  const auto r = d.decode({});
  CHECK(r.consumed == 0);
  CHECK(r.event == decode_event::need_more);
  ws::handshake_response_parser p{std::string(rfc_key)};
  CHECK(p.parse({}).event == ws::handshake_event::need_more);
  char out[2];
  CHECK(ws::encode_server_frame(out, opcode::pong, {}) == 2);
  char masked[6];
  CHECK(ws::encode_client_frame(masked, opcode::pong, {}, 1) == 6);
  uring_cannon::detail::sha1 h;
  h.update(nullptr, 0);
  CHECK(h.finish()[0] == 0xda);  // SHA-1("") starts da39...
}
