#pragma once
// ucannon's run history: one record per finished run in ~/.ucannon/history.bin, at most
// max_history_runs (the oldest dropped), which the TUI charts. gcannon keeps the same records in
// ~/.gcannon/history.bin; load_gcannon_history() reads that file too.
//
// File format, version 1 (all integers little-endian, doubles as their IEEE-754 bits):
//   "ucRunHst"  8-byte magic
//   u32 version (1), u32 record count
//   each record: u32 length of what follows, then the fields in the order of run_record below
//     (i64 timestamp; u32 connections, threads, pipeline; u64 duration_ms; f64 elapsed_sec, rps,
//     bandwidth_bps; u64 requests, responses, five latencies, five status counts, four error and
//     reconnect counts; u8 flags (bit 0: WebSocket); u16 target length, target bytes)
//   u64 FNV-1a of every byte before it
// A reader skips bytes at the end of a record that it does not know, so a later ucannon can add
// fields without a new version; a new version number means an incompatible layout.
//
// Reading never fails loudly: a missing, short, corrupt (bad checksum) or foreign-version file
// reads as an empty history, and the next save replaces it. Saving writes a temporary file in the
// same directory and renames it over the old one, so a crash or a full disk never leaves half a
// file; append_history() holds an flock on "<path>.lock" around its read-modify-write so that
// runs finishing together do not drop each other's records.

#include <uring_cannon/detail/histogram_codec.hpp>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/or_error.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

/// At most this many runs are kept; appending to a full history drops the oldest.
inline constexpr std::size_t max_history_runs = 100;

/// What the history remembers of one run (gcannon's fields, plus timeouts, "other" statuses and
/// the WebSocket flag).
struct run_record {
  std::int64_t timestamp = 0;           ///< Unix time, seconds, when the run ended
  std::string target;                   ///< load_results::target (at most max_target_length bytes)
  std::uint32_t connections = 0, threads = 0, pipeline = 0;
  std::uint64_t duration_ms = 0;        ///< the planned -d
  double elapsed_sec = 0, rps = 0, bandwidth_bps = 0;
  std::uint64_t requests = 0, responses = 0;
  std::uint64_t latency_avg_us = 0, latency_p50_us = 0, latency_p90_us = 0, latency_p99_us = 0,
                latency_p999_us = 0;
  std::uint64_t status_2xx = 0, status_3xx = 0, status_4xx = 0, status_5xx = 0, status_other = 0;
  std::uint64_t connect_errors = 0, read_errors = 0, timeout_errors = 0, reconnects = 0;
  bool websocket = false;

  static constexpr std::size_t max_target_length = 1024;
  friend bool operator==(const run_record&, const run_record&) = default;
};

/// The record of a finished run; `unix_time` defaults to now.
inline run_record make_run_record(const load_config& config, const load_results& r, std::int64_t unix_time) {
  run_record rec;
  rec.timestamp = unix_time;
  rec.target = r.target.substr(0, run_record::max_target_length);
  rec.connections = config.connections;
  rec.threads = config.threads;
  rec.pipeline = config.pipeline;
  rec.duration_ms = config.duration.count() < 0 ? 0 : static_cast<std::uint64_t>(config.duration.count());
  rec.elapsed_sec = r.elapsed_sec;
  rec.rps = r.requests_per_second();
  rec.bandwidth_bps = r.bytes_per_second();
  rec.requests = r.requests;
  rec.responses = r.responses;
  rec.latency_avg_us = average_latency_us(r.latency);
  rec.latency_p50_us = r.latency.quantile_us(0.5);
  rec.latency_p90_us = r.latency.quantile_us(0.9);
  rec.latency_p99_us = r.latency.quantile_us(0.99);
  rec.latency_p999_us = r.latency.quantile_us(0.999);
  rec.status_2xx = r.status.s2xx;
  rec.status_3xx = r.status.s3xx;
  rec.status_4xx = r.status.s4xx;
  rec.status_5xx = r.status.s5xx;
  rec.status_other = r.status.other;
  rec.connect_errors = r.errors.connect;
  rec.read_errors = r.errors.read;
  rec.timeout_errors = r.errors.timeout;
  rec.reconnects = r.reconnects;
  rec.websocket = config.websocket;
  return rec;
}

inline run_record make_run_record(const load_config& config, const load_results& r) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return make_run_record(config, r, std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

/// `$HOME/.ucannon/history.bin`; empty when HOME is unset or empty (then there is no history).
inline std::string default_history_path() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return std::string(home) + "/.ucannon/history.bin";
}

/// `$HOME/.gcannon/history.bin` (gcannon's own file; see load_gcannon_history()).
inline std::string default_gcannon_history_path() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return std::string(home) + "/.gcannon/history.bin";
}

namespace detail {

inline constexpr char history_magic[8] = {'u', 'c', 'R', 'u', 'n', 'H', 's', 't'};
inline constexpr std::uint32_t history_version = 1;

// Little-endian reads that report running out instead of throwing.
struct history_reader {
  std::string_view bytes;
  std::size_t at = 0;
  bool ok = true;

  std::uint64_t le(std::size_t width) {
    if (!ok || bytes.size() - at < width) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t b = 0; b < width; ++b) v |= std::uint64_t{static_cast<unsigned char>(bytes[at + b])} << (8 * b);
    at += width;
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  double f64() { return std::bit_cast<double>(le(8)); }
  std::string_view take(std::size_t n) {
    if (!ok || bytes.size() - at < n) {
      ok = false;
      return {};
    }
    at += n;
    return bytes.substr(at - n, n);
  }
};

inline std::string encode_history_record(const run_record& r) {
  std::string body;
  put_u64(body, static_cast<std::uint64_t>(r.timestamp));
  for (std::uint32_t v : {r.connections, r.threads, r.pipeline}) put_u32(body, v);
  put_u64(body, r.duration_ms);
  for (double v : {r.elapsed_sec, r.rps, r.bandwidth_bps}) put_u64(body, std::bit_cast<std::uint64_t>(v));
  for (std::uint64_t v : {r.requests, r.responses, r.latency_avg_us, r.latency_p50_us, r.latency_p90_us,
                          r.latency_p99_us, r.latency_p999_us, r.status_2xx, r.status_3xx, r.status_4xx,
                          r.status_5xx, r.status_other, r.connect_errors, r.read_errors, r.timeout_errors,
                          r.reconnects})
    put_u64(body, v);
  body.push_back(static_cast<char>(r.websocket ? 1 : 0));
  const std::string_view target = std::string_view(r.target).substr(0, run_record::max_target_length);
  body.push_back(static_cast<char>(target.size() & 0xff));
  body.push_back(static_cast<char>(target.size() >> 8));
  body.append(target);
  std::string out;
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  return out + body;
}

inline bool decode_history_record(std::string_view body, run_record& r) {
  history_reader in{body};
  r.timestamp = static_cast<std::int64_t>(in.u64());
  r.connections = in.u32();
  r.threads = in.u32();
  r.pipeline = in.u32();
  r.duration_ms = in.u64();
  r.elapsed_sec = in.f64();
  r.rps = in.f64();
  r.bandwidth_bps = in.f64();
  for (std::uint64_t* v : {&r.requests, &r.responses, &r.latency_avg_us, &r.latency_p50_us, &r.latency_p90_us,
                           &r.latency_p99_us, &r.latency_p999_us, &r.status_2xx, &r.status_3xx, &r.status_4xx,
                           &r.status_5xx, &r.status_other, &r.connect_errors, &r.read_errors, &r.timeout_errors,
                           &r.reconnects})
    *v = in.u64();
  r.websocket = (in.le(1) & 1) != 0;
  const auto length = static_cast<std::size_t>(in.le(2));
  r.target = std::string(in.take(length));
  return in.ok;  // bytes after the target belong to a later minor layout and are skipped
}

inline bool read_history_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > (std::size_t{64} << 20)) {  // no history is this big: not ours
      ::close(fd);
      return false;
    }
  }
}

inline std::string history_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace detail

/// The file image of `runs` (only the newest max_history_runs are written).
inline std::string encode_history(const std::vector<run_record>& runs) {
  const std::size_t first = runs.size() > max_history_runs ? runs.size() - max_history_runs : 0;
  std::string out(detail::history_magic, sizeof detail::history_magic);
  detail::put_u32(out, detail::history_version);
  detail::put_u32(out, static_cast<std::uint32_t>(runs.size() - first));
  for (std::size_t i = first; i < runs.size(); ++i) out += detail::encode_history_record(runs[i]);
  detail::put_u64(out, detail::fnv1a64(out));
  return out;
}

/// The runs in a file image, oldest first; empty for anything that is not a whole, intact
/// version-1 history (wrong magic or version, truncated, bad checksum, trailing bytes).
inline std::vector<run_record> decode_history(std::string_view bytes) {
  constexpr std::size_t header = sizeof detail::history_magic + 8, trailer = 8;
  if (bytes.size() < header + trailer ||
      std::memcmp(bytes.data(), detail::history_magic, sizeof detail::history_magic) != 0)
    return {};
  detail::history_reader tail{bytes, bytes.size() - trailer};
  if (tail.u64() != detail::fnv1a64(bytes.substr(0, bytes.size() - trailer))) return {};
  detail::history_reader in{bytes.substr(0, bytes.size() - trailer), sizeof detail::history_magic};
  if (in.u32() != detail::history_version) return {};
  const std::uint32_t count = in.u32();
  std::vector<run_record> runs;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t length = in.u32();
    const std::string_view body = in.take(length);
    run_record r;
    if (!in.ok || !detail::decode_history_record(body, r)) return {};
    runs.push_back(std::move(r));
  }
  if (in.at != in.bytes.size()) return {};
  if (runs.size() > max_history_runs) runs.erase(runs.begin(), runs.end() - max_history_runs);
  return runs;
}

/// The runs stored at `path`, oldest first; empty when the file is missing or unreadable as a
/// history (see decode_history()). Never throws for a bad file.
inline std::vector<run_record> load_history(const std::string& path) {
  std::string bytes;
  if (path.empty() || !detail::read_history_file(path, bytes)) return {};
  return decode_history(bytes);
}

/// Replaces the file at `path` with `runs` (the newest max_history_runs), atomically: a temporary
/// file in the same directory, fsync, rename. Creates the parent directory (one level, mode 0755)
/// when it is missing. The error names the path and the reason.
inline or_error<bool> save_history(const std::string& path, const std::vector<run_record>& runs) {
  using result = or_error<bool>;
  if (path.empty()) return result::failure("no history file (HOME is not set)");
  const std::string directory = detail::history_directory(path);
  if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
    return result::failure("cannot create " + directory + ": " + std::strerror(errno));
  const std::string bytes = encode_history(runs);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return result::failure("cannot write " + temporary + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      ::close(fd);
      ::unlink(temporary.c_str());
      return result::failure("cannot write " + temporary + ": " + std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return result::failure("cannot write " + temporary + ": " + std::strerror(error));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return result::failure("cannot replace " + path + ": " + std::strerror(error));
  }
  return true;
}

/// Adds `record` to the history at `path` (dropping the oldest beyond max_history_runs) and
/// returns the history as it now stands, oldest first, `record` last. Concurrent appends from
/// several processes are serialised by an flock on "<path>.lock".
inline or_error<std::vector<run_record>> append_history(const std::string& path, const run_record& record) {
  using result = or_error<std::vector<run_record>>;
  if (path.empty()) return result::failure("no history file (HOME is not set)");
  const std::string directory = detail::history_directory(path);
  if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
    return result::failure("cannot create " + directory + ": " + std::strerror(errno));
  const std::string lock_path = path + ".lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0)
    while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
  std::vector<run_record> runs = load_history(path);
  runs.push_back(record);
  if (runs.size() > max_history_runs) runs.erase(runs.begin(), runs.end() - max_history_runs);
  const auto saved = save_history(path, runs);
  if (lock >= 0) ::close(lock);  // releases the flock
  if (!saved) return result::failure(saved.error());
  return runs;
}

/// Deletes the history at `path` (and its lock file). A missing file is not an error.
inline or_error<bool> clear_history(const std::string& path) {
  if (path.empty()) return true;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return or_error<bool>::failure("cannot delete " + path + ": " + std::strerror(errno));
  ::unlink((path + ".lock").c_str());
  return true;
}

/// Reads gcannon 0.5.3's history file (a fixed 100-record C struct: magic "GCNH", version 1,
/// 448-byte records) into run_records; empty for a missing or different file. Fields gcannon does
/// not keep (timeouts, other statuses, the WebSocket flag) read as zero.
inline std::vector<run_record> load_gcannon_history(const std::string& path) {
  constexpr std::size_t header = 16, record_size = 448, max_runs = 100;
  std::string bytes;
  if (path.empty() || !detail::read_history_file(path, bytes) || bytes.size() != header + record_size * max_runs)
    return {};
  detail::history_reader in{bytes};
  const std::uint32_t magic = in.u32(), version = in.u32();
  const auto count = static_cast<std::int32_t>(in.u32());
  if (magic != 0x47434E48u || version != 1 || count < 0) return {};
  std::vector<run_record> runs;
  for (std::size_t i = 0; i < std::min<std::size_t>(static_cast<std::size_t>(count), max_runs); ++i) {
    detail::history_reader rec{std::string_view(bytes).substr(header + i * record_size, record_size)};
    run_record r;
    r.timestamp = static_cast<std::int64_t>(rec.u64());
    const std::string_view target = rec.take(256);
    r.target = std::string(target.substr(0, std::min(target.find('\0'), target.size())));
    r.connections = rec.u32();
    r.threads = rec.u32();
    r.pipeline = rec.u32();
    const auto duration_sec = static_cast<std::int32_t>(rec.u32());
    r.duration_ms = duration_sec > 0 ? static_cast<std::uint64_t>(duration_sec) * 1000 : 0;
    r.elapsed_sec = rec.f64();
    r.rps = rec.f64();
    r.bandwidth_bps = rec.f64();
    for (std::uint64_t* v : {&r.requests, &r.responses, &r.latency_avg_us, &r.latency_p50_us, &r.latency_p90_us,
                             &r.latency_p99_us, &r.latency_p999_us, &r.status_2xx, &r.status_3xx, &r.status_4xx,
                             &r.status_5xx, &r.connect_errors, &r.read_errors, &r.reconnects})
      *v = rec.u64();
    runs.push_back(std::move(r));
  }
  return runs;
}

}  // namespace uring_cannon
