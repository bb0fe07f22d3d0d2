#include <uring_cannon/cli_options.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

uc::cli_result parse(std::initializer_list<const char*> words) {
  std::vector<const char*> argv{"ucannon"};
  argv.insert(argv.end(), words.begin(), words.end());
  return uc::parse_cli(static_cast<int>(argv.size()), argv.data());
}

// A bad value: exit 2 and a message that starts "Error: " and names both the flag and the value.
void require_bad_value(std::initializer_list<const char*> words, const std::string& flag, const std::string& value) {
  const auto r = parse(words);
  INFO("flag " << flag << " value '" << value << "'");
  REQUIRE_FALSE(r.ok());
  CHECK(r.exit_code == uc::cli_exit_bad_value);
  CHECK(r.message.rfind("Error: ", 0) == 0);
  CHECK(r.message.find(flag) != std::string::npos);
  CHECK(r.message.find("'" + value + "'") != std::string::npos);
  CHECK(r.message.back() == '\n');
  CHECK(r.message.find("Usage:") == std::string::npos);  // a value error is not a usage error
}

}  // namespace

TEST_CASE("a URL alone gives gcannon's defaults", "[cli]") {
  const auto r = parse({"http://127.0.0.1:8080/"});
  REQUIRE(r.ok());
  CHECK(r.exit_code == 0);
  const uc::load_config& c = r.options.config;
  CHECK(c.url == "http://127.0.0.1:8080/");
  CHECK(c.raw_files.empty());
  CHECK(c.connections == 100);
  CHECK(c.threads == 1);
  CHECK(c.duration == 10s);
  CHECK(c.pipeline == 1);
  CHECK(c.requests_per_connection == 0);
  CHECK(c.expected_status == 200);
  CHECK_FALSE(c.websocket);
  CHECK(c.ws_message == "hello");
  CHECK(c.recv_buffer_size == 0);  // automatic: prepare_load() sizes the buffers for the connections
  CHECK_FALSE(c.cqe_latency);
  CHECK_FALSE(c.per_template_latency);
  CHECK(c.timeout == 0s);  // off, as in gcannon
  CHECK(c.connect_timeout == 0s);  // the kernel's
  CHECK(c.rate == 0);  // closed loop, as in gcannon
  CHECK(c.warmup == 100ms);
  CHECK_FALSE(r.options.json);
  CHECK_FALSE(r.options.tui);
  CHECK_FALSE(r.options.clear_history);
  CHECK_FALSE(r.options.help);
  CHECK_FALSE(r.options.version);
  CHECK(r.options.buckets == 10);
  CHECK(c.percentiles.empty());
  CHECK_FALSE(r.options.latency_details);
  CHECK_FALSE(r.options.histogram);
}

TEST_CASE("every flag sets its field, in any order", "[cli]") {
  const auto r = parse({"-c", "64", "--tui", "-t", "4", "http://a/", "-d", "2m", "-p", "16", "-r", "10", "-s", "404",
                        "--cqe-latency", "--per-tpl-latency", "-b", "20", "--recv-buf", "8192", "--timeout", "250ms",
                        "--warmup", "1s", "--ws-msg", "ping", "--rate", "50000", "--connect-timeout", "1.5s"});
  REQUIRE(r.ok());
  const uc::load_config& c = r.options.config;
  CHECK(c.url == "http://a/");
  CHECK(c.connections == 64);
  CHECK(c.threads == 4);
  CHECK(c.duration == 120s);
  CHECK(c.pipeline == 16);
  CHECK(c.requests_per_connection == 10);
  CHECK(c.expected_status == 404);
  CHECK(c.cqe_latency);
  CHECK(c.per_template_latency);
  CHECK(c.recv_buffer_size == 8192);
  CHECK(c.timeout == 250ms);
  CHECK(c.warmup == 1s);
  CHECK(c.rate == 50000);
  CHECK(c.connect_timeout == 1500ms);
  CHECK(c.ws_message == "ping");
  CHECK(c.websocket);  // --ws-msg implies --ws
  CHECK(r.options.tui);
  CHECK(r.options.buckets == 20);

  CHECK(parse({"--ws", "http://a/"}).options.config.websocket);
  CHECK(parse({"--json", "http://a/"}).options.json);
  CHECK(parse({"--buckets", "7", "http://a/"}).options.buckets == 7);
}

TEST_CASE("the last URL wins; a value flag takes the next word even when it starts with '-'", "[cli]") {
  CHECK(parse({"http://first/", "-c", "5", "http://second/"}).options.config.url == "http://second/");
  const auto r = parse({"--ws-msg", "-not-a-flag", "http://a/"});
  REQUIRE(r.ok());
  CHECK(r.options.config.ws_message == "-not-a-flag");
  // "-c -5" reads "-5" as -c's value and rejects it, instead of calling "-5" an unknown flag.
  require_bad_value({"http://a/", "-c", "-5"}, "-c", "-5");
  require_bad_value({"http://a/", "-t", "--json"}, "-t", "--json");
}

TEST_CASE("long flags also take --flag=value", "[cli]") {
  const auto r = parse({"http://a/", "--buckets=30", "--raw=a.raw,b.raw", "--ws-msg=x=y", "--timeout=2s"});
  REQUIRE(r.ok());
  CHECK(r.options.buckets == 30);
  CHECK(r.options.config.raw_files == std::vector<std::string>{"a.raw", "b.raw"});
  CHECK(r.options.config.ws_message == "x=y");
  CHECK(r.options.config.timeout == 2s);
  const auto toggled = parse({"http://a/", "--ws=1"});
  REQUIRE_FALSE(toggled.ok());
  CHECK(toggled.exit_code == uc::cli_exit_bad_value);
  CHECK(toggled.message.find("--ws takes no value") != std::string::npos);
  CHECK(parse({"http://a/", "--recv-buf=511"}).message == "Error: --recv-buf must be at least 512\n");
}

TEST_CASE("durations: gcannon's 5, 5s and 2m, plus ucannon's 500ms, 1h and decimals", "[cli]") {
  struct accepted {
    const char* text;
    std::chrono::milliseconds value;
  };
  for (const accepted& a : {accepted{"5", 5s}, {"5s", 5s}, {"5S", 5s}, {"2m", 120s}, {"2M", 120s}, {"500ms", 500ms},
                            {"500MS", 500ms}, {"1h", 3600s}, {"90s", 90s}, {"007", 7s},
                            // ucannon: a decimal part in s, m and h, down to whole milliseconds
                            {"1.5s", 1500ms}, {"1.5", 1500ms}, {"0.5m", 30s}, {"2.5h", 9000s}, {"0.001s", 1ms},
                            {"1.25S", 1250ms}, {"0.0001h", 360ms}, {"1.500000000000s", 1500ms},
                            {"0.00005m", 3ms}, {"00.5s", 500ms}, {"8760h", 8760h}, {"8759.5h", 31534200000ms}}) {
    INFO(a.text);
    const auto r = parse({"http://a/", "-d", a.text});
    REQUIRE(r.ok());
    CHECK(r.options.config.duration == a.value);
    const auto d = uc::parse_duration(a.text);
    REQUIRE(d.ok());
    CHECK(*d == a.value);
  }
  // Not whole milliseconds ("1.0005s", "0.1ms", "0.00001m" = 0.6 ms), a bare or doubled point,
  // signs, exponents, commas, zero and above a year are refused.
  for (const char* bad : {"3x", "", "s", "ms", "-1", "+5", " 5", "5 s", "10d", "5sec", "0", "0ms", "9999999h",
                          "1.0005s", "1.5ms", "0.1ms", "0.00001m", ".5s", "5.s", "5.", "1.5.5s", "1e3", "1,5s",
                          "0.0s", "0.0004s", "8760.001h", "0.000016666666666m", "8759.999999h", "8761h", "1.5x", "1.-5s", "0.0000000001s"})
    require_bad_value({"http://a/", "-d", bad}, "-d", bad);
  CHECK_FALSE(uc::parse_duration("3x").ok());
  CHECK(uc::parse_duration("3x").error().find("'3x'") != std::string::npos);
  CHECK(uc::parse_duration("0").ok());  // the parser allows 0; -d refuses it
  CHECK(*uc::parse_duration("2.5m") == 150s);
  CHECK(uc::parse_duration("1.0005s").error() == "'1.0005s' is not a duration such as 10, 10s, 1.5s, 500ms, 2m or 1h");

  CHECK(parse({"http://a/", "--warmup", "0"}).options.config.warmup == 0ms);
  CHECK(parse({"http://a/", "--timeout", "0"}).options.config.timeout == 0ms);
  require_bad_value({"http://a/", "--timeout", "-1"}, "--timeout", "-1");
  require_bad_value({"http://a/", "--warmup", "1x"}, "--warmup", "1x");
  // Decimals everywhere a duration is read.
  const auto r = parse({"http://a/", "-d", "0.5m", "--timeout", "1.5s", "--warmup", "0.25s", "--connect-timeout=2.5s"});
  REQUIRE(r.ok());
  CHECK(r.options.config.duration == 30s);
  CHECK(r.options.config.timeout == 1500ms);
  CHECK(r.options.config.warmup == 250ms);
  CHECK(r.options.config.connect_timeout == 2500ms);
  require_bad_value({"http://a/", "--timeout", "1.5ms"}, "--timeout", "1.5ms");
  require_bad_value({"http://a/", "--warmup", "0.0001s"}, "--warmup", "0.0001s");
}

TEST_CASE("flags: --connect-timeout takes a duration; 0 leaves it to the kernel", "[cli]") {
  CHECK(parse({"http://a/", "--connect-timeout", "250ms"}).options.config.connect_timeout == 250ms);
  CHECK(parse({"http://a/", "--connect-timeout", "3"}).options.config.connect_timeout == 3s);
  CHECK(parse({"http://a/", "--connect-timeout", "0"}).options.config.connect_timeout == 0ms);
  for (const char* bad : {"-1", "abc", "1.5ms", "", "2d"})
    require_bad_value({"http://a/", "--connect-timeout", bad}, "--connect-timeout", bad);
  CHECK(parse({"http://a/", "--connect-timeout", "x"}).message ==
        "Error: --connect-timeout expects a duration such as 0, 100ms, 1.5s or 2m, got 'x'\n");
}

TEST_CASE("flags: --rate takes requests per second in all, a plain decimal above 0", "[cli]") {
  struct accepted {
    const char* text;
    double value;
  };
  for (const accepted& a : {accepted{"50000", 50000}, {"12.5", 12.5}, {"1", 1}, {"0.5", 0.5}, {"007", 7},
                            {"1000000000", 1e9}, {"1000000000.0000", 1e9}, {"99999.99", 99999.99}, {"0.001", 0.001}}) {
    INFO(a.text);
    const auto r = parse({"http://a/", "--rate", a.text});
    REQUIRE(r.ok());
    CHECK(r.options.config.rate == a.value);
  }
  CHECK(parse({"--rate=2500.5", "http://a/"}).options.config.rate == 2500.5);
  CHECK(parse({"http://a/", "--rate", "10", "--rate", "20"}).options.config.rate == 20);  // the last wins
  for (const char* bad : {"0", "0.0", "000", "", "abc", "-5", "+5", "1e4", "5E3", "12.5.5", ".5", "5.", " 5", "5 ",
                          "50k", "1,000", "inf", "nan", "0x10", "1000000000.1", "1000000001", "12345678901234567",
                          "-0", "50000req/s"})
    require_bad_value({"http://a/", "--rate", bad}, "--rate", bad);
  CHECK(parse({"http://a/", "--rate", "0"}).message ==
        "Error: --rate expects a rate in requests per second above 0 and at most 1000000000, such as 50000 or 12.5, "
        "got '0'\n");
  // A flag-looking word is --rate's value, and is refused as one.
  require_bad_value({"http://a/", "--rate", "--json"}, "--rate", "--json");
}

TEST_CASE("gcannon's atoi defects are errors with exit status 2", "[cli]") {
  require_bad_value({"http://a/", "-c", "abc"}, "-c", "abc");
  require_bad_value({"http://a/", "-c", "0"}, "-c", "0");
  require_bad_value({"http://a/", "-c", "1000001"}, "-c", "1000001");
  require_bad_value({"http://a/", "-c", "12abc"}, "-c", "12abc");
  require_bad_value({"http://a/", "-t", "0"}, "-t", "0");
  require_bad_value({"http://a/", "-t", "1025"}, "-t", "1025");
  require_bad_value({"http://a/", "-p", "0"}, "-p", "0");
  require_bad_value({"http://a/", "-p", "-3"}, "-p", "-3");
  require_bad_value({"http://a/", "-p", "4x"}, "-p", "4x");
  require_bad_value({"http://a/", "-r", "-1"}, "-r", "-1");
  require_bad_value({"http://a/", "-r", "ten"}, "-r", "ten");
  require_bad_value({"http://a/", "-r", "99999999999999999999999"}, "-r", "99999999999999999999999");
  require_bad_value({"http://a/", "-s", "0"}, "-s", "0");
  require_bad_value({"http://a/", "-s", "600"}, "-s", "600");
  require_bad_value({"http://a/", "-s", "2xx"}, "-s", "2xx");
  require_bad_value({"http://a/", "-b", "0"}, "-b", "0");
  require_bad_value({"http://a/", "--buckets", "many"}, "--buckets", "many");
  require_bad_value({"http://a/", "--recv-buf", "big"}, "--recv-buf", "big");
  require_bad_value({"http://a/", "--recv-buf", "1048577"}, "--recv-buf", "1048577");
  require_bad_value({"http://a/", "--raw", ","}, "--raw", ",");
  require_bad_value({"http://a/", "--raw", ""}, "--raw", "");
}

TEST_CASE("cli: the exact messages", "[cli]") {
  CHECK(parse({"http://a/", "-c", "abc"}).message ==
        "Error: -c expects a number of connections from 1 to 1000000, got 'abc'\n");
  CHECK(parse({"http://a/", "-t", "0"}).message == "Error: -t expects a number of threads from 1 to 1024, got '0'\n");
  CHECK(parse({"http://a/", "-d", "3x"}).message ==
        "Error: -d expects a duration above 0 such as 10, 10s, 1.5s, 500ms, 2m or 1h, got '3x'\n");
  CHECK(parse({"http://a/", "--timeout", "3x"}).message ==
        "Error: --timeout expects a duration such as 0, 100ms, 1.5s or 2m, got '3x'\n");
  CHECK(parse({"http://a/", "-s", "99"}).message == "Error: -s expects an HTTP status code from 100 to 599, got '99'\n");
  CHECK(parse({"http://a/", "-c"}).message == "Error: -c needs a value\n");
  CHECK(parse({"http://a/", "-c", "2", "-t", "4"}).message ==
        "Error: -c 2 is less than -t 4: each thread needs at least one connection\n");
}

TEST_CASE("a flag at the end without its value is exit 2", "[cli]") {
  for (const char* flag : {"-c", "-t", "-d", "-p", "-r", "-s", "--raw", "-R", "--ws-msg", "-b", "--buckets",
                           "--recv-buf", "--timeout", "--warmup", "--percentiles", "--rate", "--connect-timeout"}) {
    INFO(flag);
    const auto r = parse({"http://a/", flag});
    REQUIRE_FALSE(r.ok());
    CHECK(r.exit_code == uc::cli_exit_bad_value);
    CHECK(r.message == std::string("Error: ") + flag + " needs a value\n");
  }
}

TEST_CASE("flags: -c below -t is an error: every thread needs a connection", "[cli]") {
  const auto r = parse({"http://a/", "-t", "8", "-c", "4"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.exit_code == uc::cli_exit_bad_value);
  CHECK(parse({"http://a/", "-t", "8", "-c", "8"}).ok());
  CHECK(parse({"http://a/", "-t", "2"}).ok());  // against the default -c 100
}

TEST_CASE("flags: -p above 64 and -b above 100 are silently capped", "[cli]") {
  CHECK(parse({"http://a/", "-p", "64"}).options.config.pipeline == 64);
  CHECK(parse({"http://a/", "-p", "65"}).options.config.pipeline == 64);
  CHECK(parse({"http://a/", "-p", "1000000"}).options.config.pipeline == 64);
  CHECK(parse({"http://a/", "-p", "99999999999999999999999999"}).options.config.pipeline == 64);
  CHECK(parse({"http://a/", "-b", "100"}).options.buckets == 100);
  CHECK(parse({"http://a/", "-b", "101"}).options.buckets == 100);
  CHECK(parse({"http://a/", "-b", "1"}).options.buckets == 1);
}

TEST_CASE("flags: --recv-buf below 512 keeps gcannon's message and exit status 1", "[cli]") {
  for (const char* small : {"511", "0", "1"}) {
    const auto r = parse({"http://a/", "--recv-buf", small});
    REQUIRE_FALSE(r.ok());
    CHECK(r.exit_code == 1);
    CHECK(r.message == "Error: --recv-buf must be at least 512\n");
  }
  CHECK(parse({"http://a/", "--recv-buf", "512"}).options.config.recv_buffer_size == 512);
  CHECK(parse({"http://a/", "--recv-buf", "1048576"}).options.config.recv_buffer_size == 1048576);
}

TEST_CASE("flags: --raw and -R take a comma list; the last one wins; without a URL they are the target", "[cli]") {
  auto r = parse({"-R", "a.raw,b.raw,,c.raw,"});
  REQUIRE(r.ok());
  CHECK(r.options.config.url.empty());
  CHECK(r.options.config.raw_files == std::vector<std::string>{"a.raw", "b.raw", "c.raw"});
  r = parse({"--raw", "x.raw", "--raw", "y.raw,z.raw"});
  REQUIRE(r.ok());
  CHECK(r.options.config.raw_files == std::vector<std::string>{"y.raw", "z.raw"});
  r = parse({"--raw", "-odd-name.raw"});
  REQUIRE(r.ok());
  CHECK(r.options.config.raw_files == std::vector<std::string>{"-odd-name.raw"});
}

TEST_CASE("an unknown flag prints the usage line, exit 1", "[cli]") {
  for (const char* flag : {"-x", "--bogus", "-", "--", "-c5", "-C", "--WS", "-c=5"}) {
    INFO(flag);
    const auto r = parse({"http://a/", flag, "1"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.exit_code == uc::cli_exit_usage);
    CHECK(r.message.find(std::string("'") + flag + "'") != std::string::npos);
    CHECK(r.message.find(uc::cli_usage()) != std::string::npos);
  }
}

TEST_CASE("no URL and no --raw prints the usage line, exit 1", "[cli]") {
  for (auto r : {parse({}), parse({"-c", "10"}), parse({"--tui", "--json"}), parse({"http://a/", ""})}) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.exit_code == uc::cli_exit_usage);
    CHECK(r.message.find(uc::cli_usage()) != std::string::npos);
  }
}

TEST_CASE("flags: --help, --version and --clear-history need no URL and act where they stand", "[cli]") {
  for (const char* word : {"--help", "-h"}) {
    const auto r = parse({word});
    REQUIRE(r.ok());
    CHECK(r.options.help);
  }
  for (const char* word : {"--version", "-V"}) {
    const auto r = parse({word});
    REQUIRE(r.ok());
    CHECK(r.options.version);
  }
  auto r = parse({"--clear-history"});
  REQUIRE(r.ok());
  CHECK(r.options.clear_history);
  // As in gcannon, what follows is not read.
  r = parse({"-c", "5", "--clear-history", "--bogus", "-c", "abc"});
  REQUIRE(r.ok());
  CHECK(r.options.clear_history);
  r = parse({"--help", "--bogus"});
  REQUIRE(r.ok());
  CHECK(r.options.help);
  // What comes before is.
  CHECK_FALSE(parse({"--bogus", "--help"}).ok());
  CHECK(parse({"-c", "abc", "--version"}).exit_code == uc::cli_exit_bad_value);
}

TEST_CASE("flags: --json wins over --tui", "[cli]") {
  const auto r = parse({"http://a/", "--tui", "--json"});
  REQUIRE(r.ok());
  CHECK(r.options.json);
  CHECK_FALSE(r.options.tui);
}

TEST_CASE("cli: the version, usage and help texts", "[cli]") {
  CHECK(uc::cli_version() == std::string("ucannon ") + uc::version_string + "\n");
  const std::string usage = uc::cli_usage();
  CHECK(usage.rfind("Usage: ucannon <url>", 0) == 0);
  CHECK(usage.back() == '\n');
  CHECK(usage.find('\n') == usage.size() - 1);  // one line
  const std::string help = uc::cli_help();
  for (const char* flag : {"-c N", "-t N", "-d D", "-p N", "-r N", "-s CODE", "--raw", "-R", "--ws ", "--ws-msg",
                           "--tui", "--json", "--buckets", "-b", "--recv-buf", "--cqe-latency", "--per-tpl-latency",
                           "--clear-history", "--help", "--version", "--timeout", "--warmup", "NO_COLOR", "500ms",
                           "Exit status", "  2  ", "atoi", "--percentiles LIST", "--latency", "--histogram",
                           "percentiles_us", "histogram_us", "TTFB", "--rate N", "--connect-timeout D", "open loop",
                           "intended send time", "coordinated omission", "wrk2", "service time", "1.5s", "0.5m"}) {
    INFO(flag);
    CHECK(help.find(flag) != std::string::npos);
  }
  for (const char* word : {"--tui", "--json", "-b", "--recv-buf", "--cqe-latency", "--per-tpl-latency", "--timeout",
                           "--warmup", "--percentiles", "--latency", "--histogram", "--clear-history", "--help",
                           "--version", "--rate", "--connect-timeout"}) {
    INFO(word);
    CHECK(usage.find(word) != std::string::npos);
  }
}

TEST_CASE("flags: --percentiles takes a list of plain decimals above 0 and up to 100, in the order given", "[cli]") {
  auto r = parse({"http://a/", "--percentiles", "50,90,99.9,99.99,100,0.5,75"});
  REQUIRE(r.ok());
  CHECK(r.options.config.percentiles == std::vector<double>{50, 90, 99.9, 99.99, 100, 0.5, 75});

  // Repeats of an earlier value are dropped, however written; leading and trailing zeros are fine.
  r = parse({"http://a/", "--percentiles", "99.9,50,99.90,099.9,050.000"});
  REQUIRE(r.ok());
  CHECK(r.options.config.percentiles == std::vector<double>{99.9, 50});

  // --flag=value, and the last --percentiles wins.
  r = parse({"http://a/", "--percentiles=50", "--percentiles", "90,99"});
  REQUIRE(r.ok());
  CHECK(r.options.config.percentiles == std::vector<double>{90, 99});
  CHECK(parse({"--percentiles=1", "http://a/"}).options.config.percentiles == std::vector<double>{1});

  // 20 entries is the limit; the tiniest and the largest allowed values.
  r = parse({"http://a/", "--percentiles", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20"});
  REQUIRE(r.ok());
  CHECK(r.options.config.percentiles.size() == uc::cli_options::max_percentiles);
  r = parse({"http://a/", "--percentiles", "0.00000000000001,100.000000000000"});
  REQUIRE(r.ok());
  CHECK(r.options.config.percentiles == std::vector<double>{1e-14, 100});
}

TEST_CASE("flags: a bad --percentiles list is exit 2", "[cli]") {
  for (const char* bad : {"101", "abc", "", ",", "50,,90", ",50", "50,", "1e2", "5E1", "0", "0.0", "000", "-5", "+5",
                          ".5", "5.", "99.9.9", " 50", "50 ", "50;90", "100.0000001", "100.1", "inf", "nan", "0x10",
                          "9 9", "12345678901234567", "0.000000000000001", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
                          "18,19,20,21", "50%", "p99"})
    require_bad_value({"http://a/", "--percentiles", bad}, "--percentiles", bad);
  CHECK(parse({"http://a/", "--percentiles", "101"}).message ==
        "Error: --percentiles expects a comma-separated list of at most 20 percentiles, each above 0 and at most 100, "
        "such as 50,90,99.9, got '101'\n");
  // 21 items are too many even when some repeat: the list is judged as typed.
  require_bad_value({"http://a/", "--percentiles", "50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50"},
                    "--percentiles", "50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50");
}

TEST_CASE("flags: --latency and --histogram are switches", "[cli]") {
  const auto r = parse({"http://a/", "--latency", "--histogram", "--json"});
  REQUIRE(r.ok());
  CHECK(r.options.latency_details);
  CHECK(r.options.histogram);
  CHECK(r.options.json);
  for (const char* word : {"--latency=1", "--histogram=yes"}) {
    const auto bad = parse({"http://a/", word});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.exit_code == uc::cli_exit_bad_value);
  }
  // Neither changes the run itself.
  CHECK(parse({"http://a/", "--latency", "--histogram"}).options.config.percentiles.empty());
}

TEST_CASE("flags: --bind expands addresses and last-octet ranges in the order given", "[cli]") {
  auto r = parse({"http://a/", "--bind", "10.0.0.2,127.0.0.1-127.0.0.3,::1,[fe80::1]"});
  REQUIRE(r.ok());
  CHECK(r.options.config.source_addresses ==
        std::vector<std::string>{"10.0.0.2", "127.0.0.1", "127.0.0.2", "127.0.0.3", "::1", "fe80::1"});
  r = parse({"http://a/", "--bind=127.0.0.5-127.0.0.5"});
  REQUIRE(r.ok());
  CHECK(r.options.config.source_addresses == std::vector<std::string>{"127.0.0.5"});
  // The whole last octet is 256 addresses; 16 such ranges are the 4096 limit.
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += (i ? ",10.0." : "10.0.") + std::to_string(i) + ".0-10.0." + std::to_string(i) + ".255";
  const auto all = uc::parse_source_addresses(sixteen);
  REQUIRE(all.ok());
  CHECK(all->size() == uc::cli_options::max_source_addresses);
  CHECK(all->back() == "10.0.15.255");
  CHECK(parse({"http://a/"}).options.config.source_addresses.empty());  // the kernel's choice by default
}

TEST_CASE("flags: a bad --bind list is exit 2 with the reason", "[cli]") {
  for (const char* bad : {"", ",", "10.0.0.1,", "10.0.0.256", "10.0.0", "localhost", "10.0.0.1-10.0.1.2",
                          "10.0.0.5-10.0.0.1", "10.0.0.1-", "-10.0.0.1", "10.0.0.1-10.0.0.x", "::1-::2", "::g",
                          "10.0.0.1,10.0.0.1", "10.0.0.1-10.0.0.3,10.0.0.2", "010.0.0.1"}) {
    const auto r = parse({"http://a/", "--bind", bad});
    INFO("'" << bad << "'");
    REQUIRE_FALSE(r.ok());
    CHECK(r.exit_code == uc::cli_exit_bad_value);
    CHECK(r.message.rfind("Error: --bind ", 0) == 0);
    CHECK(r.message.back() == '\n');
  }
  CHECK(parse({"http://a/", "--bind", "10.0.0.5-10.0.0.1"}).message.find("runs backwards") != std::string::npos);
  CHECK(parse({"http://a/", "--bind", "1.1.1.1,1.1.1.1"}).message.find("listed twice") != std::string::npos);
  std::string too_many;
  for (int i = 0; i < 17; ++i) too_many += (i ? ",10.1." : "10.1.") + std::to_string(i) + ".0-10.1." + std::to_string(i) + ".255";
  CHECK(parse({"http://a/", "--bind", too_many.c_str()}).message.find("more than 4096") != std::string::npos);
  CHECK_FALSE(parse({"http://a/", "--bind"}).ok());  // a missing value
}

TEST_CASE("flags: --latency-out and --histogram-out record file names", "[cli]") {
  const auto r = parse({"http://a/", "--latency-out", "lat.hgrm", "--histogram-out=run.bin"});
  REQUIRE(r.ok());
  CHECK(r.options.latency_out == "lat.hgrm");
  CHECK(r.options.histogram_out == "run.bin");
  CHECK_FALSE(r.options.merge);
  CHECK(parse({"http://a/"}).options.latency_out.empty());
  require_bad_value({"http://a/", "--histogram-out="}, "--histogram-out", "");
  const std::string help = uc::cli_help();
  for (const char* word : {"--bind LIST", "--latency-out FILE", "--histogram-out FILE", "ucannon merge", "Fleet runs"}) {
    INFO(word);
    CHECK(help.find(word) != std::string::npos);
  }
  for (const char* word : {"--bind", "--latency-out", "--histogram-out"}) CHECK(uc::cli_usage().find(word) != std::string::npos);
}

TEST_CASE("merge: the first word merge takes run files and report flags", "[cli]") {
  auto r = parse({"merge", "a.run", "b.run", "--json", "c.run", "--latency-out", "all.hgrm"});
  REQUIRE(r.ok());
  CHECK(r.options.merge);
  CHECK(r.options.json);
  CHECK(r.options.merge_files == std::vector<std::string>{"a.run", "b.run", "c.run"});
  CHECK(r.options.latency_out == "all.hgrm");
  r = parse({"merge", "a.run", "--histogram-out=all.run", "--latency", "--histogram"});
  REQUIRE(r.ok());
  CHECK(r.options.histogram_out == "all.run");
  CHECK(r.options.latency_details);
  CHECK(r.options.histogram);
  CHECK(parse({"merge", "--help"}).options.help);

  // No file, or a flag merge does not know: the merge usage, exit 1.
  for (auto words : {std::initializer_list<const char*>{"merge"}, {"merge", "--json"}, {"merge", "a.run", "-c", "5"},
                     {"merge", "a.run", "--latency-out"}, {"merge", "a.run", "--json=1"}}) {
    const auto bad = parse(words);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.exit_code == uc::cli_exit_usage);
    CHECK(bad.message.find("Usage: ucannon merge") != std::string::npos);
  }
  // merge anywhere but first is the URL, as before.
  r = parse({"-c", "4", "merge"});
  REQUIRE(r.ok());
  CHECK_FALSE(r.options.merge);
  CHECK(r.options.config.url == "merge");
}

TEST_CASE("flags: -n, --ramp, --interval, --json-lines, --report and --assert set their fields", "[cli]") {
  const auto r = parse({"http://a/", "-n", "5000", "--ramp", "30s", "--interval", "500ms", "--report", "run.html",
                        "--assert", "p99 < 5ms", "--assert", "errors<0.1%"});
  REQUIRE(r.ok());
  const auto& c = r.options.config;
  CHECK(c.max_responses == 5000);
  CHECK(c.duration == std::chrono::hours(24));  // -n without -d: a day at most
  CHECK(c.ramp == 30s);
  CHECK(c.report_interval == 500ms);
  CHECK(r.options.report == "run.html");
  REQUIRE(r.options.thresholds.size() == 2);
  CHECK(r.options.thresholds[0].text == "p99<5ms");
  CHECK(r.options.thresholds[1].percent);
  CHECK(parse({"http://a/", "-n", "10", "-d", "5s"}).options.config.duration == 5s);

  CHECK(parse({"http://a/", "--batch-refill"}).options.config.batch_refill);
  CHECK(!parse({"http://a/"}).options.config.batch_refill);

  const auto lines = parse({"http://a/", "--json-lines", "--tui"});
  CHECK(lines.options.json_lines);
  CHECK(lines.options.json);
  CHECK(!lines.options.tui);
  CHECK(lines.options.config.report_interval == 1s);
}

TEST_CASE("flags: --rate takes a schedule: linear pieces, steps and a held rate", "[cli]") {
  auto schedule = [](const char* text) { return parse({"http://a/", "--rate", text}); };
  const auto linear = schedule("1000:20000:30s");
  REQUIRE(linear.ok());
  CHECK(linear.options.config.rate == 20000);
  REQUIRE(linear.options.config.rate_schedule.size() == 1);
  CHECK(linear.options.config.rate_schedule[0].from == 1000);
  CHECK(linear.options.config.rate_schedule[0].length == 30s);

  const auto steps = schedule("1000@10s,2000@10s,4000");
  REQUIRE(steps.ok());
  CHECK(steps.options.config.rate == 4000);
  REQUIRE(steps.options.config.rate_schedule.size() == 2);
  CHECK(steps.options.config.rate_schedule[1].from == 2000);
  CHECK(steps.options.config.rate_schedule[1].to == 2000);

  CHECK(schedule("0:500:1s").options.config.rate == 500);
  CHECK(schedule("12.5").options.config.rate_schedule.empty());
  for (const char* bad : {"1000@10s,5,2000", "1000:2000", "1000@0s", "1000@10x", "500:0:1s", "a:1:1s", "1000@10s,"}) {
    INFO(bad);
    const auto r = schedule(bad);
    CHECK(r.exit_code == uc::cli_exit_bad_value);
    CHECK(r.message.find("--rate") != std::string::npos);
  }
}

TEST_CASE("bad -n, --ramp, --interval and --assert values, and --warmup with a ramp, exit 2", "[cli]") {
  for (auto words : {std::vector<const char*>{"http://a/", "-n", "0"}, {"http://a/", "-n", "x"},
                     {"http://a/", "--ramp", "0"}, {"http://a/", "--interval", "5x"}, {"http://a/", "--assert", "p99"},
                     {"http://a/", "--assert", "latency<5ms"}, {"http://a/", "--assert", "rps>-5"},
                     {"http://a/", "-n", "5", "--warmup", "1s"}, {"http://a/", "--ramp", "1s", "--warmup", "0"},
                     {"http://a/", "--rate", "1:2:1s", "--warmup", "1s"},
                     {"http://a/", "--rate", "1000@1s,2000", "--ramp", "5s"}}) {
    std::vector<const char*> argv{"ucannon"};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto r = uc::parse_cli(int(argv.size()), argv.data());
    INFO(words[1] << " " << words[2]);
    CHECK(r.exit_code == uc::cli_exit_bad_value);
  }
}

TEST_CASE("merge takes --report and --assert", "[cli]") {
  const auto r = parse({"merge", "a.bin", "--report", "m.html", "--assert", "rps>10"});
  REQUIRE(r.ok());
  CHECK(r.options.report == "m.html");
  CHECK(r.options.thresholds.size() == 1);
  CHECK(parse({"merge", "a.bin", "--assert", "nope"}).exit_code == uc::cli_exit_bad_value);
}
