#pragma once
// A whole load run in one versioned file (ucannon --histogram-out), and the exact merge of several
// of them (ucannon merge): every count the text and JSON reports print, the three latency
// histograms bucket for bucket, and the settings the reports show. Runs from many machines merge
// into the report one machine would have printed had it made every request itself.
//
// File layout (integers little-endian, so files move between machines):
//   "ucRunFil"  u32 version  u64 body length  body  u64 FNV-1a-64 of every preceding byte
// The body is a fixed sequence of fields: strings and histograms as u32 length + bytes
// (histograms in latency_histogram::to_binary()'s form), lists as u32 count + items, doubles as
// their IEEE-754 bits, booleans as one byte. decode_run() checks magic, version, length and
// checksum before reading a field, so a foreign, truncated or corrupted file is an error that
// says which, never a crash or a plausible-looking wrong report.
//
// What merge_runs() does, and why:
//  * histograms (latency, ttfb, service_time, per template): merged bucket by bucket (exact);
//  * counts (requests, responses, bytes, status classes and codes, errors and their classes,
//    reconnects, WebSocket counts, the accounting books): summed;
//  * elapsed_sec: the LONGEST run's. Every machine is meant to run the same -d at the same time,
//    so the fleet ran as long as its longest member. The reports derive requests/s and bandwidth
//    from it (responses / elapsed), which equals the sum of the machines' rates when their
//    elapsed times agree (they differ by milliseconds), and is otherwise the lower, conservative
//    figure; summed_requests_per_second() gives the plain sum of each run's rate;
//  * responses_per_second: summed second by second (second i of every run lines up);
//  * connections, threads and --rate: summed (the fleet's totals); duration and pipeline: the
//    largest; percentiles: every one any run asked for, first seen first; per_template_latency
//    and cqe_latency: on if on in any run; the other settings: the first run's;
//  * target: the common target, or the distinct targets joined by ", ";
//  * interrupted: when any run was.
// Runs that cannot be one report are refused: HTTP with WebSocket, different expected status
// classes (the exit status would mean nothing), or different numbers of raw templates.

#include <uring_cannon/detail/histogram_codec.hpp>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/or_error.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uring_cannon {

/// One run as a run file holds it: what was asked and what was measured.
struct saved_run {
  load_config config;
  load_results results;
};

/// The version encode_run() writes; decode_run() reads exactly this one.
inline constexpr std::uint32_t run_file_version = 1;

namespace detail::run_file {

inline constexpr char magic[8] = {'u', 'c', 'R', 'u', 'n', 'F', 'i', 'l'};
inline constexpr std::size_t header_size = sizeof magic + 4 + 8;  // magic, version, body length
inline constexpr std::uint64_t max_ms = std::uint64_t{1} << 62;   // fits milliseconds::rep
inline constexpr std::size_t status_code_slots = 1000;           // load_results::status_codes

struct writer {
  std::string out;
  void u8(bool v) { out.push_back(v ? '\1' : '\0'); }
  void u32(std::uint32_t v) { put_u32(out, v); }
  void u64(std::uint64_t v) { put_u64(out, v); }
  void f64(double v) { put_u64(out, std::bit_cast<std::uint64_t>(v)); }
  void ms(std::chrono::milliseconds d) { u64(d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count())); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out.append(s);
  }
  void strings(const std::vector<std::string>& list) {
    u32(static_cast<std::uint32_t>(list.size()));
    for (const std::string& s : list) str(s);
  }
  void status(const status_counts& s) {
    for (std::uint64_t v : {s.s2xx, s.s3xx, s.s4xx, s.s5xx, s.other}) u64(v);
  }
  void histogram(const latency_histogram& h) { str(h.to_binary()); }
};

// Reads the body; throws std::runtime_error with the reason (decode_run() turns it into words).
struct reader {
  std::string_view bytes;
  std::size_t at = 0;

  [[noreturn]] static void fail(const std::string& why) { throw std::runtime_error(why); }
  void need(std::size_t n) const {
    if (bytes.size() - at < n) fail("truncated body");
  }
  std::uint64_t little_endian(int width) {
    need(static_cast<std::size_t>(width));
    std::uint64_t v = 0;
    for (int b = 0; b < width; ++b)
      v |= std::uint64_t{static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(b)])} << (8 * b);
    at += static_cast<std::size_t>(width);
    return v;
  }
  bool u8() {
    const auto v = little_endian(1);
    if (v > 1) fail("a boolean field is neither 0 nor 1");
    return v == 1;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
  std::uint64_t u64() { return little_endian(8); }
  double f64(const char* what) {
    const double v = std::bit_cast<double>(u64());
    if (!std::isfinite(v) || v < 0) fail(std::string(what) + " is not a finite number of 0 or more");
    return v;
  }
  std::chrono::milliseconds ms(const char* what) {
    const std::uint64_t v = u64();
    if (v > max_ms) fail(std::string(what) + " is out of range");
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(v));
  }
  // A count of items each at least `item_size` bytes long: never more than the bytes left hold,
  // so a corrupted count cannot make us reserve gigabytes.
  std::uint32_t count(std::size_t item_size) {
    const std::uint32_t n = u32();
    if (n > (bytes.size() - at) / item_size) fail("a list is longer than the file");
    return n;
  }
  std::string_view str() {
    const std::uint32_t n = u32();
    need(n);
    const std::string_view s = bytes.substr(at, n);
    at += n;
    return s;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> list(count(4));
    for (std::string& s : list) s = std::string(str());
    return list;
  }
  status_counts status() {
    status_counts s;
    for (std::uint64_t* v : {&s.s2xx, &s.s3xx, &s.s4xx, &s.s5xx, &s.other}) *v = u64();
    return s;
  }
  latency_histogram histogram(const char* what) {
    try {
      return latency_histogram::from_binary(str());
    } catch (const std::runtime_error& e) {
      fail(std::string(what) + " histogram: " + e.what());
    }
  }
};

inline unsigned add_capped(unsigned a, unsigned b) noexcept {
  return b > std::numeric_limits<unsigned>::max() - a ? std::numeric_limits<unsigned>::max() : a + b;
}

}  // namespace detail::run_file

/// The run file for one run: see the header comment for the layout. Lossless for everything the
/// reports print; decode_run(encode_run(c, r)) gives back c's and r's fields.
inline std::string encode_run(const load_config& c, const load_results& r) {
  detail::run_file::writer w;
  w.out.append(detail::run_file::magic, sizeof detail::run_file::magic);
  w.u32(run_file_version);
  w.u64(0);  // body length, filled in below
  // The settings.
  w.str(c.url);
  w.strings(c.raw_files);
  w.u32(c.connections);
  w.u32(c.threads);
  w.ms(c.duration);
  w.u32(c.pipeline);
  w.u64(c.requests_per_connection);
  w.u32(static_cast<std::uint32_t>(std::clamp(c.expected_status, 0, 999)));
  w.u8(c.websocket);
  w.str(c.ws_message);
  w.u32(c.recv_buffer_size);
  w.u32(c.recv_buffers);
  w.u8(c.cqe_latency);
  w.u8(c.per_template_latency);
  w.ms(c.warmup);
  w.u32(static_cast<std::uint32_t>(c.percentiles.size()));
  for (double p : c.percentiles) w.f64(p);
  w.strings(c.source_addresses);
  w.f64(c.rate);
  w.ms(c.connect_timeout);
  w.ms(c.timeout);
  // The measurements.
  w.str(r.target);
  w.f64(r.elapsed_sec);
  w.u64(r.requests);
  w.u64(r.responses);
  w.u64(r.bytes_read);
  w.status(r.status);
  const error_classes& k = r.errors.classes;
  for (std::uint64_t v : {r.errors.connect, r.errors.read, r.errors.timeout, k.connect_refused, k.connect_timeout,
                          k.connect_other, k.reset, k.parse_error, k.unexpected_close, k.read_other, k.read_timeout})
    w.u64(v);
  w.u64(r.reconnects);
  w.u64(r.ws_upgrades);
  w.u64(r.ws_frames);
  w.histogram(r.latency);
  w.histogram(r.ttfb);
  w.histogram(r.service_time);
  std::uint32_t codes = 0;
  for (std::size_t code = 0; code < r.status_codes.size() && code < detail::run_file::status_code_slots; ++code)
    codes += r.status_codes[code] != 0;
  w.u32(codes);
  for (std::size_t code = 0; code < r.status_codes.size() && code < detail::run_file::status_code_slots; ++code)
    if (r.status_codes[code] != 0) {
      w.u32(static_cast<std::uint32_t>(code));
      w.u64(r.status_codes[code]);
    }
  w.u32(static_cast<std::uint32_t>(r.per_template.size()));
  for (const template_results& t : r.per_template) {
    w.str(t.path);
    w.u64(t.responses);
    w.status(t.status);
    w.histogram(t.latency);
  }
  const load_accounting& a = r.accounting;
  for (std::uint64_t v : {a.requests_sent, a.answered, a.abandoned, a.in_flight}) w.u64(v);
  w.u32(static_cast<std::uint32_t>(r.responses_per_second.size()));
  for (std::uint64_t v : r.responses_per_second) w.u64(v);
  w.u8(r.interrupted);

  const std::uint64_t body = w.out.size() - detail::run_file::header_size;
  for (int b = 0; b < 8; ++b)
    w.out[sizeof detail::run_file::magic + 4 + static_cast<std::size_t>(b)] = static_cast<char>((body >> (8 * b)) & 0xff);
  w.u64(detail::fnv1a64(w.out));
  return w.out;
}

/// Reads encode_run()'s output. Anything else (another file, another version, a truncated or
/// corrupted file, fields that contradict each other) is an error naming the reason.
inline or_error<saved_run> decode_run(std::string_view bytes) {
  using detail::run_file::header_size;
  using detail::run_file::magic;
  auto failure = [](std::string why) { return or_error<saved_run>::failure(std::move(why)); };
  if (bytes.size() < sizeof magic || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    return failure("not a ucannon run file (it does not start with the run file magic)");
  if (bytes.size() < header_size + 8)
    return failure("truncated run file (" + std::to_string(bytes.size()) + " bytes)");
  detail::run_file::reader head{bytes.substr(0, header_size), sizeof magic};
  const std::uint32_t version = head.u32();
  if (version != run_file_version)
    return failure("run file version " + std::to_string(version) + " is not supported (this ucannon reads version " +
                   std::to_string(run_file_version) + ")");
  const std::uint64_t body_size = head.u64();
  if (body_size > bytes.size() - header_size - 8)
    return failure("truncated run file (" + std::to_string(bytes.size()) + " bytes, its header promises " +
                   std::to_string(header_size + body_size + 8) + ")");
  if (body_size != bytes.size() - header_size - 8)
    return failure("run file has " + std::to_string(bytes.size() - header_size - 8 - body_size) +
                   " unexpected bytes after its end");
  const std::size_t checked = header_size + static_cast<std::size_t>(body_size);
  detail::run_file::reader tail{bytes.substr(checked), 0};
  if (tail.u64() != detail::fnv1a64(bytes.substr(0, checked)))
    return failure("run file checksum mismatch (the file is corrupted)");

  saved_run run;
  try {
    detail::run_file::reader in{bytes.substr(header_size, checked - header_size), 0};
    load_config& c = run.config;
    c.url = std::string(in.str());
    c.raw_files = in.strings();
    c.connections = in.u32();
    c.threads = in.u32();
    c.duration = in.ms("duration");
    c.pipeline = in.u32();
    c.requests_per_connection = in.u64();
    const std::uint32_t expected = in.u32();
    if (expected > 999) in.fail("expected status out of range");
    c.expected_status = static_cast<int>(expected);
    c.websocket = in.u8();
    c.ws_message = std::string(in.str());
    c.recv_buffer_size = in.u32();
    c.recv_buffers = in.u32();
    c.cqe_latency = in.u8();
    c.per_template_latency = in.u8();
    c.warmup = in.ms("warmup");
    c.percentiles.resize(in.count(8));
    for (double& p : c.percentiles) p = in.f64("a percentile");
    c.source_addresses = in.strings();
    c.rate = in.f64("rate");
    c.connect_timeout = in.ms("connect timeout");
    c.timeout = in.ms("timeout");

    load_results& r = run.results;
    r.target = std::string(in.str());
    r.elapsed_sec = in.f64("elapsed time");
    r.requests = in.u64();
    r.responses = in.u64();
    r.bytes_read = in.u64();
    r.status = in.status();
    error_classes& k = r.errors.classes;
    for (std::uint64_t* v : {&r.errors.connect, &r.errors.read, &r.errors.timeout, &k.connect_refused,
                             &k.connect_timeout, &k.connect_other, &k.reset, &k.parse_error, &k.unexpected_close,
                             &k.read_other, &k.read_timeout})
      *v = in.u64();
    r.reconnects = in.u64();
    r.ws_upgrades = in.u64();
    r.ws_frames = in.u64();
    r.latency = in.histogram("latency");
    r.ttfb = in.histogram("ttfb");
    r.service_time = in.histogram("service time");
    const std::uint32_t codes = in.count(12);
    if (codes > 0) r.status_codes.assign(detail::run_file::status_code_slots, 0);
    for (std::uint32_t i = 0, previous = 0; i < codes; ++i) {
      const std::uint32_t code = in.u32();
      const std::uint64_t n = in.u64();
      if (code >= detail::run_file::status_code_slots || (i > 0 && code <= previous) || n == 0)
        in.fail("bad status code list");
      r.status_codes[code] = n;
      previous = code;
    }
    r.per_template.resize(in.count(4 + 8 + 40 + 4));
    for (template_results& t : r.per_template) {
      t.path = std::string(in.str());
      t.responses = in.u64();
      t.status = in.status();
      t.latency = in.histogram("per-template latency");
    }
    load_accounting& a = r.accounting;
    for (std::uint64_t* v : {&a.requests_sent, &a.answered, &a.abandoned, &a.in_flight}) *v = in.u64();
    r.responses_per_second.resize(in.count(8));
    for (std::uint64_t& v : r.responses_per_second) v = in.u64();
    r.interrupted = in.u8();
    if (in.at != in.bytes.size()) in.fail("unexpected bytes after the last field");
  } catch (const std::exception& e) {
    return failure(std::string("bad run file: ") + e.what());
  }
  return run;
}

/// requests/s summed over the runs: each run's responses / its own elapsed time, added up. The
/// fleet's rate when every machine ran the same duration at the same time.
inline double summed_requests_per_second(const std::vector<saved_run>& runs) noexcept {
  double total = 0;
  for (const saved_run& run : runs) total += run.results.requests_per_second();
  return total;
}

/// The runs as one: see the header comment for how each field combines. An error when there are
/// none, or they cannot be one report (HTTP with WebSocket, different expected status classes,
/// different numbers of raw templates); the message names the first run that differs (1-based).
inline or_error<saved_run> merge_runs(const std::vector<saved_run>& runs) {
  auto failure = [](std::string why) { return or_error<saved_run>::failure(std::move(why)); };
  if (runs.empty()) return failure("no runs to merge");
  auto mode = [](const saved_run& run) { return run.config.websocket ? "WebSocket" : "HTTP"; };
  const saved_run& first = runs.front();
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const saved_run& run = runs[i];
    const std::string which = "run " + std::to_string(i + 1);
    if (run.config.websocket != first.config.websocket)
      return failure("cannot merge runs of different modes: run 1 is " + std::string(mode(first)) + ", " + which +
                     " is " + mode(run));
    if (run.config.expected_status / 100 != first.config.expected_status / 100)
      return failure("cannot merge runs that expect different status classes: run 1 expects " +
                     std::to_string(first.config.expected_status) + ", " + which + " expects " +
                     std::to_string(run.config.expected_status));
    if (run.results.per_template.size() != first.results.per_template.size())
      return failure("cannot merge runs with different numbers of raw templates: run 1 has " +
                     std::to_string(first.results.per_template.size()) + ", " + which + " has " +
                     std::to_string(run.results.per_template.size()));
  }

  saved_run merged = first;
  load_config& c = merged.config;
  load_results& r = merged.results;
  std::vector<std::string> targets{first.results.target};
  using detail::add_saturated;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const load_config& rc = runs[i].config;
    const load_results& rr = runs[i].results;
    c.connections = detail::run_file::add_capped(c.connections, rc.connections);
    c.threads = detail::run_file::add_capped(c.threads, rc.threads);
    c.rate += rc.rate;
    c.duration = std::max(c.duration, rc.duration);
    c.pipeline = std::max(c.pipeline, rc.pipeline);
    for (double p : rc.percentiles)
      if (std::find(c.percentiles.begin(), c.percentiles.end(), p) == c.percentiles.end()) c.percentiles.push_back(p);
    c.per_template_latency = c.per_template_latency || rc.per_template_latency;
    c.cqe_latency = c.cqe_latency || rc.cqe_latency;

    if (std::find(targets.begin(), targets.end(), rr.target) == targets.end()) targets.push_back(rr.target);
    r.elapsed_sec = std::max(r.elapsed_sec, rr.elapsed_sec);
    r.requests = add_saturated(r.requests, rr.requests);
    r.responses = add_saturated(r.responses, rr.responses);
    r.bytes_read = add_saturated(r.bytes_read, rr.bytes_read);
    r.status.merge(rr.status);
    r.errors.merge(rr.errors);
    r.reconnects = add_saturated(r.reconnects, rr.reconnects);
    r.ws_upgrades = add_saturated(r.ws_upgrades, rr.ws_upgrades);
    r.ws_frames = add_saturated(r.ws_frames, rr.ws_frames);
    r.latency.merge(rr.latency);
    r.ttfb.merge(rr.ttfb);
    r.service_time.merge(rr.service_time);
    if (r.status_codes.size() < rr.status_codes.size()) r.status_codes.resize(rr.status_codes.size(), 0);
    for (std::size_t code = 0; code < rr.status_codes.size(); ++code)
      r.status_codes[code] = add_saturated(r.status_codes[code], rr.status_codes[code]);
    for (std::size_t t = 0; t < r.per_template.size(); ++t) {
      template_results& mine = r.per_template[t];
      const template_results& theirs = rr.per_template[t];
      mine.responses = add_saturated(mine.responses, theirs.responses);
      mine.status.merge(theirs.status);
      mine.latency.merge(theirs.latency);
    }
    r.accounting.merge(rr.accounting);
    if (r.responses_per_second.size() < rr.responses_per_second.size())
      r.responses_per_second.resize(rr.responses_per_second.size(), 0);
    for (std::size_t s = 0; s < rr.responses_per_second.size(); ++s)
      r.responses_per_second[s] = add_saturated(r.responses_per_second[s], rr.responses_per_second[s]);
    r.interrupted = r.interrupted || rr.interrupted;
  }
  r.target = targets.front();
  for (std::size_t t = 1; t < targets.size(); ++t) r.target += ", " + targets[t];
  return merged;
}

}  // namespace uring_cannon
