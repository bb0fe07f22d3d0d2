#pragma once
// What the HTML report tests share: finding Chromium and running it headless with no network,
// and reading a page back (its elements' attributes and text, the data-metric values that must
// equal the --json document's).

#include "child_process.hpp"
#include "json_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test_support {

// ---- running Chromium ----------------------------------------------------------------------------

/// The first executable named `name` on $PATH, or "".
inline std::string find_on_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = std::min(dirs.find(':'), dirs.size());
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + std::string(name);
    if (colon > 0 && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return {};
}

/// Debian's `chromium` (or another Chromium build) on $PATH, or "".
inline std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"})
    if (std::string found = find_on_path(name); !found.empty()) return found;
  return {};
}

/// True when `unshare -n` can give a child a network namespace of its own (root, or user
/// namespaces allowed): then nothing the child does can leave the machine, not even loopback.
inline bool network_namespace_available(const std::string& unshare) {
  if (unshare.empty()) return false;
  return run_program(unshare, {"-n", "true"}, std::chrono::seconds(5)).exit_code == 0;
}

/// Runs headless Chromium on `url` with `extra` arguments (--dump-dom, --screenshot=...), with a
/// fresh profile in `profile_dir` (created if missing; also its $HOME) and no network: inside
/// `unshare -n` where that works, and always with a proxy that refuses and a resolver that finds
/// nothing. Its stderr is noise (D-Bus, GPU) and is not looked at. Bounded by `limit`.
inline finished_process run_headless_chromium(const std::string& chromium, const std::string& url,
                                              std::vector<std::string> extra, const std::string& profile_dir,
                                              std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  std::vector<std::string> args = {"--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-extensions",
                                   "--user-data-dir=" + profile_dir,
                                   "--proxy-server=127.0.0.1:9",
                                   "--host-resolver-rules=MAP * ~NOTFOUND"};
  for (auto& a : extra) args.push_back(std::move(a));
  args.push_back(url);
  ::mkdir(profile_dir.c_str(), 0700);  // an existing one is reused as it is
  process_options options;
  options.environment.push_back("HOME=" + profile_dir);
  const std::string unshare = find_on_path("unshare");
  if (network_namespace_available(unshare)) {
    args.insert(args.begin(), {"-n", chromium});
    return run_program(unshare, std::move(args), limit, std::move(options));
  }
  return run_program(chromium, std::move(args), limit, std::move(options));
}

// ---- reading a page back -------------------------------------------------------------------------

/// `text` with the character references a serialiser writes (&amp; &lt; &gt; &quot; &#39; &nbsp;
/// and numeric ones) turned back into characters (UTF-8).
inline std::string decode_html_text(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t semicolon = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (semicolon == std::string_view::npos || semicolon - i > 10) {
      out += text[i];
      continue;
    }
    const std::string_view name = text.substr(i + 1, semicolon - i - 1);
    std::uint32_t code = 0;
    if (name == "amp") code = '&';
    else if (name == "lt") code = '<';
    else if (name == "gt") code = '>';
    else if (name == "quot") code = '"';
    else if (name == "apos") code = '\'';
    else if (name == "nbsp") code = 0xa0;
    else if (name.size() > 1 && name[0] == '#')
      code = static_cast<std::uint32_t>(name[1] == 'x' || name[1] == 'X'
                                            ? std::stoul(std::string(name.substr(2)), nullptr, 16)
                                            : std::stoul(std::string(name.substr(1)), nullptr, 10));
    if (code == 0) {
      out += text[i];
      continue;
    }
    json_reader::put_utf8(out, code);
    i = semicolon;
  }
  return out;
}

/// One start tag of a page: its name, its attributes (values decoded), and the text right after
/// it up to the next tag (decoded): the whole text of an element that holds only text.
struct html_element {
  std::string tag;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;

  bool has(std::string_view name) const {
    for (const auto& a : attributes)
      if (a.first == name) return true;
    return false;
  }
  std::string operator[](std::string_view name) const {
    for (const auto& a : attributes)
      if (a.first == name) return a.second;
    throw std::runtime_error("no attribute " + std::string(name) + " on <" + tag + ">");
  }
};

/// Every start tag of `html` in document order (comments, the doctype and end tags skipped).
/// Enough for the pages ucannon writes and for Chromium's serialisation of them: quoted
/// attribute values may hold '>' and '<'.
inline std::vector<html_element> html_elements(std::string_view html) {
  std::vector<html_element> out;
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; };
  std::size_t at = 0;
  bool raw_text = false;  // inside <style>: its text is not markup
  while ((at = html.find('<', at)) != std::string_view::npos) {
    if (raw_text && html.substr(at, 8) != "</style>") {
      ++at;
      continue;
    }
    raw_text = false;
    if (html.substr(at, 4) == "<!--") {
      at = html.find("-->", at);
      if (at == std::string_view::npos) break;
      continue;
    }
    if (at + 1 >= html.size() || !std::isalpha(static_cast<unsigned char>(html[at + 1]))) {
      ++at;
      continue;
    }
    html_element e;
    std::size_t i = at + 1;
    while (i < html.size() && !is_space(html[i]) && html[i] != '>' && html[i] != '/') e.tag += html[i++];
    for (;;) {
      while (i < html.size() && (is_space(html[i]) || html[i] == '/')) ++i;
      if (i >= html.size() || html[i] == '>') break;
      std::string name;
      while (i < html.size() && !is_space(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/')
        name += html[i++];
      std::string value;
      if (i < html.size() && html[i] == '=') {
        ++i;
        if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
          const char quote = html[i++];
          const std::size_t end = std::min(html.find(quote, i), html.size());
          value = decode_html_text(html.substr(i, end - i));
          i = end + 1;
        } else {
          const std::size_t start = i;
          while (i < html.size() && !is_space(html[i]) && html[i] != '>') ++i;
          value = decode_html_text(html.substr(start, i - start));
        }
      }
      e.attributes.emplace_back(std::move(name), std::move(value));
    }
    at = std::min(i + 1, html.size());
    const std::size_t next = std::min(html.find('<', at), html.size());
    e.text = decode_html_text(html.substr(at, next - at));
    raw_text = e.tag == "style";
    out.push_back(std::move(e));
  }
  return out;
}

/// The elements of `html` that carry attribute `name`.
inline std::vector<html_element> elements_with(std::string_view html, std::string_view name) {
  std::vector<html_element> out;
  for (auto& e : html_elements(html))
    if (e.has(name)) out.push_back(std::move(e));
  return out;
}

/// The element with id `id`, or nullopt.
inline std::optional<html_element> element_by_id(std::string_view html, std::string_view id) {
  for (auto& e : html_elements(html))
    if (e.has("id") && e["id"] == id) return std::move(e);
  return std::nullopt;
}

/// The value at a data-metric path ("latency_us/p99", "responses_per_second/0",
/// "percentiles_us/99.9") of a --json document, as its text: a number's literal, a string's
/// value, "true"/"false". Throws when the path is not there.
inline std::string json_text_at(const json& doc, std::string_view path) {
  const json* at = &doc;
  while (!path.empty()) {
    const std::size_t slash = std::min(path.find('/'), path.size());
    const std::string step(path.substr(0, slash));
    if (at->kind == json::array) {
      const std::size_t index = std::stoul(step);
      if (index >= at->items.size()) throw std::runtime_error("no index " + step);
      at = &at->items[index];
    } else {
      at = &(*at)[step];
    }
    path.remove_prefix(std::min(slash + 1, path.size()));
  }
  if (at->kind == json::boolean) return at->flag ? "true" : "false";
  if (at->kind == json::number || at->kind == json::string) return at->text;
  throw std::runtime_error("not a number or string");
}

}  // namespace test_support
