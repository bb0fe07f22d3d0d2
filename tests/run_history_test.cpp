#include <uring_cannon/run_history.hpp>

#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

// A fresh directory under /tmp, removed (with what the test left in it) at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char name[] = "/tmp/ucannon-history-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~temp_dir() { remove_tree(path); }
  static void remove_tree(const std::string& dir) {
    if (DIR* d = ::opendir(dir.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::string full = dir + "/" + name;
        struct stat st {};
        if (::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(full);
        else ::unlink(full.c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir.c_str());
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }
};

uc::run_record sample_record(int n) {
  uc::run_record r;
  r.timestamp = 1'700'000'000 + n;
  r.target = "127.0.0.1:8080/run/" + std::to_string(n);
  r.connections = 64 + static_cast<std::uint32_t>(n);
  r.threads = 2;
  r.pipeline = 16;
  r.duration_ms = 5000;
  r.elapsed_sec = 5.001 + n;
  r.rps = 146920.5 + n;
  r.bandwidth_bps = 21'893'857.25;
  r.requests = 734780 + static_cast<std::uint64_t>(n);
  r.responses = 734779;
  r.latency_avg_us = 435;
  r.latency_p50_us = 413;
  r.latency_p90_us = 511;
  r.latency_p99_us = 712;
  r.latency_p999_us = 1680;
  r.status_2xx = 734000;
  r.status_3xx = 1;
  r.status_4xx = 2;
  r.status_5xx = 3;
  r.status_other = 4;
  r.connect_errors = 5;
  r.read_errors = 6;
  r.timeout_errors = 7;
  r.reconnects = 8;
  r.websocket = n % 2 == 1;
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("a record is built from a run", "[history]") {
  uc::load_config c;
  c.connections = 32;
  c.threads = 2;
  c.pipeline = 4;
  c.duration = 1500ms;
  c.websocket = true;
  uc::load_results r;
  r.target = "localhost:9000/ws";
  r.elapsed_sec = 2.0;
  r.requests = 1000;
  r.responses = 998;
  r.bytes_read = 4096;
  r.status.s2xx = 990;
  r.status.s5xx = 8;
  r.errors = {1, 2, 3, {}};
  r.reconnects = 4;
  r.latency.record_us(100, 99);
  r.latency.record_us(20000);
  const uc::run_record rec = uc::make_run_record(c, r, 1234);
  CHECK(rec.timestamp == 1234);
  CHECK(rec.target == "localhost:9000/ws");
  CHECK(rec.connections == 32);
  CHECK(rec.threads == 2);
  CHECK(rec.pipeline == 4);
  CHECK(rec.duration_ms == 1500);
  CHECK(rec.elapsed_sec == 2.0);
  CHECK(rec.rps == 499.0);
  CHECK(rec.bandwidth_bps == 2048.0);
  CHECK(rec.requests == 1000);
  CHECK(rec.responses == 998);
  CHECK(rec.latency_avg_us == (99 * 100 + 20000) / 100);
  CHECK(rec.latency_p50_us == 100);
  CHECK(rec.latency_p99_us == 20000);
  CHECK(rec.latency_p999_us == 20000);
  CHECK(rec.status_2xx == 990);
  CHECK(rec.status_5xx == 8);
  CHECK(rec.connect_errors == 1);
  CHECK(rec.read_errors == 2);
  CHECK(rec.timeout_errors == 3);
  CHECK(rec.reconnects == 4);
  CHECK(rec.websocket);

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  CHECK(std::abs(uc::make_run_record(c, r).timestamp - now.count()) <= 2);
  r.target = std::string(5000, 'x');
  CHECK(uc::make_run_record(c, r, 0).target.size() == uc::run_record::max_target_length);
}

TEST_CASE("records round-trip through the file exactly", "[history]") {
  temp_dir dir;
  const std::string path = dir.path + "/history.bin";
  std::vector<uc::run_record> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(sample_record(i));
  runs[2].target = "";                       // empty strings
  runs[3].target = std::string(1024, 'y');   // the longest kept
  runs[4].rps = 0.1 + 0.2;                   // doubles bit for bit
  REQUIRE(uc::save_history(path, runs).ok());
  CHECK(uc::load_history(path) == runs);
  CHECK(uc::decode_history(uc::encode_history(runs)) == runs);
  CHECK(read_file(path).substr(0, 8) == "ucRunHst");
  // Only the history file is left: the temporary was renamed over it.
  CHECK(dir.entries() == std::vector<std::string>{"history.bin"});
}

TEST_CASE("append keeps the newest 100 runs, oldest first", "[history]") {
  temp_dir dir;
  const std::string path = dir.path + "/history.bin";
  for (int i = 0; i < 105; ++i) {
    const auto result = uc::append_history(path, sample_record(i));
    REQUIRE(result.ok());
    CHECK(result->size() == std::min<std::size_t>(static_cast<std::size_t>(i) + 1, uc::max_history_runs));
    CHECK(result->back() == sample_record(i));
  }
  const auto runs = uc::load_history(path);
  REQUIRE(runs.size() == 100);
  CHECK(runs.front() == sample_record(5));
  CHECK(runs.back() == sample_record(104));
  // encode_history writes only the newest 100 of a longer list.
  std::vector<uc::run_record> many;
  for (int i = 0; i < 150; ++i) many.push_back(sample_record(i));
  const auto decoded = uc::decode_history(uc::encode_history(many));
  REQUIRE(decoded.size() == 100);
  CHECK(decoded.front() == sample_record(50));
}

TEST_CASE("appends from several processes at once all land", "[history]") {
  temp_dir dir;
  const std::string path = dir.path + "/history.bin";
  constexpr int writers = 4, each = 10;
  std::vector<pid_t> children;
  for (int w = 0; w < writers; ++w) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      for (int i = 0; i < each; ++i)
        if (!uc::append_history(path, sample_record(w * 100 + i)).ok()) ::_exit(1);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  CHECK(uc::load_history(path).size() == writers * each);
}

TEST_CASE("a missing, short, corrupt or foreign file reads as empty", "[history]") {
  temp_dir dir;
  const std::string path = dir.path + "/history.bin";
  CHECK(uc::load_history(path).empty());
  CHECK(uc::load_history("").empty());
  CHECK(uc::load_history(dir.path).empty());  // a directory

  std::vector<uc::run_record> runs{sample_record(1), sample_record(2), sample_record(3)};
  const std::string good = uc::encode_history(runs);
  REQUIRE(uc::decode_history(good) == runs);

  SECTION("every truncation") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      INFO(n);
      CHECK(uc::decode_history(good.substr(0, n)).empty());
    }
  }
  SECTION("every single flipped bit in a sample of positions") {
    for (std::size_t at = 0; at < good.size(); at += 3) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x10);
      INFO(at);
      CHECK(uc::decode_history(bad).empty());
    }
  }
  SECTION("trailing bytes") { CHECK(uc::decode_history(good + "x").empty()); }
  SECTION("another version") {
    std::string other = good;
    other[8] = 2;  // the version field; fix the checksum so only the version is wrong
    other.resize(other.size() - 8);
    uc::detail::put_u64(other, uc::detail::fnv1a64(other));
    CHECK(uc::decode_history(other).empty());
  }
  SECTION("a count that promises more records than there are") {
    std::string other = good;
    other[12] = 9;
    other.resize(other.size() - 8);
    uc::detail::put_u64(other, uc::detail::fnv1a64(other));
    CHECK(uc::decode_history(other).empty());
  }
  SECTION("a record length beyond the file") {
    std::string other = good;
    other[16] = static_cast<char>(0xff);
    other[17] = static_cast<char>(0xff);
    other.resize(other.size() - 8);
    uc::detail::put_u64(other, uc::detail::fnv1a64(other));
    CHECK(uc::decode_history(other).empty());
  }
  SECTION("garbage files on disk, and a save replaces them") {
    for (const std::string& junk : {std::string(), std::string("GCNH"), std::string(100000, '\xff'), good.substr(0, 40)}) {
      write_file(path, junk);
      CHECK(uc::load_history(path).empty());
    }
    const auto appended = uc::append_history(path, sample_record(7));
    REQUIRE(appended.ok());
    CHECK(uc::load_history(path) == std::vector<uc::run_record>{sample_record(7)});
  }
}

TEST_CASE("a later layout's extra record fields are skipped", "[history]") {
  // Build a file whose one record carries 5 bytes more than version 1 knows.
  const uc::run_record r = sample_record(3);
  std::string record = uc::detail::encode_history_record(r);
  record += "extra";
  const std::uint32_t length = static_cast<std::uint32_t>(record.size() - 4);
  std::string body;
  uc::detail::put_u32(body, length);
  body += record.substr(4);
  std::string file("ucRunHst", 8);
  uc::detail::put_u32(file, 1);
  uc::detail::put_u32(file, 1);
  file += body;
  uc::detail::put_u64(file, uc::detail::fnv1a64(file));
  CHECK(uc::decode_history(file) == std::vector<uc::run_record>{r});
}

TEST_CASE("clear deletes the file; the default path follows HOME", "[history]") {
  temp_dir dir;
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home ? old_home : "";
  ::setenv("HOME", dir.path.c_str(), 1);
  const std::string path = uc::default_history_path();
  CHECK(path == dir.path + "/.ucannon/history.bin");
  CHECK(uc::default_gcannon_history_path() == dir.path + "/.gcannon/history.bin");
  REQUIRE(uc::append_history(path, sample_record(1)).ok());  // creates ~/.ucannon
  CHECK(uc::load_history(path).size() == 1);
  REQUIRE(uc::clear_history(path).ok());
  CHECK(::access(path.c_str(), F_OK) != 0);
  CHECK(uc::load_history(path).empty());
  CHECK(uc::clear_history(path).ok());  // clearing nothing is fine
  ::setenv("HOME", "", 1);
  CHECK(uc::default_history_path().empty());
  CHECK_FALSE(uc::append_history("", sample_record(1)).ok());
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
  else ::unsetenv("HOME");
}

TEST_CASE("saving where it cannot write says why and leaves nothing behind", "[history]") {
  temp_dir dir;
  const std::string blocker = dir.path + "/not-a-dir";
  write_file(blocker, "x");
  const auto saved = uc::save_history(blocker + "/history.bin", {sample_record(1)});
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.error().find(blocker) != std::string::npos);
  CHECK(dir.entries() == std::vector<std::string>{"not-a-dir"});
}

TEST_CASE("gcannon's history file is readable", "[history]") {
  temp_dir dir;
  // gcannon 0.5.3's layout: a 16-byte header and 100 fixed 448-byte records.
  std::string file;
  uc::detail::put_u32(file, 0x47434E48u);
  uc::detail::put_u32(file, 1);
  uc::detail::put_u32(file, 2);
  uc::detail::put_u32(file, 0);
  for (int i = 0; i < 100; ++i) {
    std::string rec;
    uc::detail::put_u64(rec, 1'700'000'000u + static_cast<unsigned>(i));
    std::string target = "127.0.0.1:8080/" + std::to_string(i);
    target.resize(256, '\0');
    rec += target;
    for (std::uint32_t v : {64u, 1u, 16u, 5u}) uc::detail::put_u32(rec, v);
    for (double v : {5.001, 146920.5, 21e6}) uc::detail::put_u64(rec, std::bit_cast<std::uint64_t>(v));
    for (std::uint64_t v = 1; v <= 14; ++v) uc::detail::put_u64(rec, v * 10 + static_cast<std::uint64_t>(i));
    rec.append(32, '\0');
    REQUIRE(rec.size() == 448);
    file += rec;
  }
  const std::string path = dir.path + "/gcannon.bin";
  write_file(path, file);
  const auto runs = uc::load_gcannon_history(path);
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].timestamp == 1'700'000'001);
  CHECK(runs[1].target == "127.0.0.1:8080/1");
  CHECK(runs[1].connections == 64);
  CHECK(runs[1].threads == 1);
  CHECK(runs[1].pipeline == 16);
  CHECK(runs[1].duration_ms == 5000);
  CHECK(runs[1].elapsed_sec == 5.001);
  CHECK(runs[1].rps == 146920.5);
  CHECK(runs[1].bandwidth_bps == 21e6);
  CHECK(runs[1].requests == 11);
  CHECK(runs[1].responses == 21);
  CHECK(runs[1].latency_avg_us == 31);
  CHECK(runs[1].latency_p999_us == 71);
  CHECK(runs[1].status_2xx == 81);
  CHECK(runs[1].status_5xx == 111);
  CHECK(runs[1].connect_errors == 121);
  CHECK(runs[1].read_errors == 131);
  CHECK(runs[1].reconnects == 141);
  CHECK(runs[1].timeout_errors == 0);

  write_file(path, file.substr(0, file.size() - 1));
  CHECK(uc::load_gcannon_history(path).empty());
  file[0] = 'X';
  write_file(path, file);
  CHECK(uc::load_gcannon_history(path).empty());
}
