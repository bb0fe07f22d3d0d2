#pragma once
// A small strict JSON reader for tests: it keeps object keys in document order and the literal
// text of numbers, so tests can check field names, order, types and formatting exactly.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

struct json {
  enum kind_t { null, boolean, number, string, array, object } kind = null;
  bool flag = false;
  std::string text;  // a number's literal text, or a string's decoded value
  std::vector<json> items;
  std::vector<std::string> names;  // an object's keys, in document order
  std::vector<json> values;        // and their values

  const json& operator[](const std::string& key) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == key) return values[i];
    throw std::runtime_error("no key " + key);
  }
  std::vector<std::string> keys() const { return names; }
  bool is_integer() const { return kind == number && text.find_first_of(".eE") == std::string::npos; }
  std::uint64_t u64() const {
    if (!is_integer() || text.front() == '-') throw std::runtime_error("not an unsigned integer: " + text);
    return std::stoull(text);
  }
  double f64() const { return std::stod(text); }
  std::size_t decimals() const {
    const auto dot = text.find('.');
    return dot == std::string::npos ? 0 : text.size() - dot - 1;
  }
};

struct json_reader {
  std::string_view in;
  std::size_t at = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(why + " at offset " + std::to_string(at));
  }
  void space() {
    while (at < in.size() && (in[at] == ' ' || in[at] == '\n' || in[at] == '\t' || in[at] == '\r')) ++at;
  }
  bool eat(char c) {
    space();
    if (at < in.size() && in[at] == c) return ++at, true;
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected ") + c);
  }
  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) out += static_cast<char>(0xc0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3f));
    else if (cp < 0x10000)
      out += static_cast<char>(0xe0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
          out += static_cast<char>(0x80 | (cp & 0x3f));
    else
      out += static_cast<char>(0xf0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at >= in.size()) fail("unterminated string");
      const char c = in[at++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("raw control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at >= in.size()) fail("bad escape");
      const char e = in[at++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (in.size() - at < 4) fail("short \\u");
          const std::uint32_t cp = static_cast<std::uint32_t>(std::stoul(std::string(in.substr(at, 4)), nullptr, 16));
          at += 4;
          put_utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }
  json value() {
    space();
    if (at >= in.size()) fail("unexpected end");
    json v;
    const char c = in[at];
    if (c == '{') {
      v.kind = json::object;
      ++at;
      if (eat('}')) return v;
      do {
        space();
        std::string key = string();
        for (const auto& name : v.names)
          if (name == key) fail("duplicate key " + key);
        expect(':');
        v.names.push_back(std::move(key));
        v.values.push_back(value());
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      v.kind = json::array;
      ++at;
      if (eat(']')) return v;
      do v.items.push_back(value());
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = json::string;
      v.text = string();
    } else if (in.substr(at, 4) == "true" || in.substr(at, 5) == "false") {
      v.kind = json::boolean;
      v.flag = in[at] == 't';
      at += v.flag ? 4 : 5;
    } else if (in.substr(at, 4) == "null") {
      at += 4;
    } else {
      v.kind = json::number;
      const std::size_t start = at;
      if (in[at] == '-') ++at;
      if (at >= in.size() || !(in[at] >= '0' && in[at] <= '9')) fail("bad number");
      if (in[at] == '0' && at + 1 < in.size() && in[at + 1] >= '0' && in[at + 1] <= '9') fail("leading zero");
      while (at < in.size() && ((in[at] >= '0' && in[at] <= '9') || in[at] == '.' || in[at] == 'e' ||
                                in[at] == 'E' || in[at] == '+' || in[at] == '-'))
        ++at;
      v.text = std::string(in.substr(start, at - start));
      if (v.text.back() == '.') fail("bad number");
    }
    return v;
  }
};

inline json parse_json(const std::string& text) {
  json_reader r{text};
  json v = r.value();
  r.space();
  if (r.at != text.size()) r.fail("trailing characters");
  return v;
}

}  // namespace test_support
