#include "cli/json_value.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace knhk::cli {
namespace {

constexpr int kMaxDepth = 64;

struct Parser {
  std::string_view s;
  std::size_t i = 0;
  std::string error;

  bool fail(const std::string& what) {
    if (error.empty()) error = "offset " + std::to_string(i) + ": " + what;
    return false;
  }
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  bool literal(std::string_view word) {
    if (s.substr(i, word.size()) != word) return fail("unexpected character");
    i += word.size();
    return true;
  }

  bool string(std::string& out) {
    ++i;  // opening quote
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) return fail("unterminated escape");
      char e = s[i++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {  // keeps ASCII; other code points become '?' (enough for our files)
          if (i + 4 > s.size()) return fail("short \\u escape");
          unsigned code = 0;
          auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 4, code, 16);
          if (ec != std::errc() || p != s.data() + i + 4) return fail("bad \\u escape");
          out += code < 0x80 ? static_cast<char>(code) : '?';
          i += 4;
          break;
        }
        default:
          out += e;
      }
    }
    if (i >= s.size()) return fail("unterminated string");
    ++i;
    return true;
  }

  bool number(JsonValue& out) {
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' ||
                            s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
      ++i;
    double d = 0;
    auto [p, ec] = std::from_chars(s.data() + start, s.data() + i, d);
    if (ec != std::errc() || p != s.data() + i || i == start) return fail("bad number");
    out.v = d;
    return true;
  }

  bool array(JsonValue& out, int depth) {
    auto arr = std::make_shared<JsonValue::Array>();
    ++i;
    skip_ws();
    if (i < s.size() && s[i] == ']') return ++i, out.v = arr, true;
    while (true) {
      arr->emplace_back();
      if (!value(arr->back(), depth + 1)) return false;
      skip_ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == ']') {
        ++i;
        break;
      }
      return fail("expected ',' or ']'");
    }
    out.v = arr;
    return true;
  }

  bool object(JsonValue& out, int depth) {
    auto obj = std::make_shared<JsonValue::Object>();
    ++i;
    skip_ws();
    if (i < s.size() && s[i] == '}') return ++i, out.v = obj, true;
    while (true) {
      skip_ws();
      std::string key;
      if (i >= s.size() || s[i] != '"' || !string(key)) return fail("expected a key");
      skip_ws();
      if (i >= s.size() || s[i] != ':') return fail("expected ':'");
      ++i;
      if (!value((*obj)[key], depth + 1)) return false;
      skip_ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return fail("expected ',' or '}'");
    }
    out.v = obj;
    return true;
  }

  bool value(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    skip_ws();
    if (i >= s.size()) return fail("unexpected end");
    switch (s[i]) {
      case '{':
        return object(out, depth);
      case '[':
        return array(out, depth);
      case '"': {
        std::string str;
        if (!string(str)) return false;
        out.v = std::move(str);
        return true;
      }
      case 't':
        return literal("true") && (out.v = true, true);
      case 'f':
        return literal("false") && (out.v = false, true);
      case 'n':
        return literal("null") && (out.v = nullptr, true);
      default:
        return number(out);
    }
  }
};

}  // namespace

const JsonValue* JsonValue::get(const std::string& key) const {
  auto* obj = std::get_if<std::shared_ptr<Object>>(&v);
  if (!obj) return nullptr;
  auto it = (*obj)->find(key);
  return it == (*obj)->end() ? nullptr : &it->second;
}

std::optional<double> JsonValue::number(const std::string& key) const {
  auto* x = get(key);
  if (!x) return std::nullopt;
  if (auto* d = std::get_if<double>(&x->v)) return *d;
  return std::nullopt;
}

std::optional<std::string> JsonValue::string(const std::string& key) const {
  auto* x = get(key);
  if (!x) return std::nullopt;
  if (auto* s = std::get_if<std::string>(&x->v)) return *s;
  return std::nullopt;
}

std::optional<bool> JsonValue::boolean(const std::string& key) const {
  auto* x = get(key);
  if (!x) return std::nullopt;
  if (auto* b = std::get_if<bool>(&x->v)) return *b;
  return std::nullopt;
}

JsonParse parse_json(std::string_view text) {
  Parser p{text, 0, {}};
  JsonValue v;
  if (!p.value(v, 0)) return {std::nullopt, p.error};
  p.skip_ws();
  if (p.i != text.size()) {
    p.fail("trailing characters");
    return {std::nullopt, p.error};
  }
  return {std::move(v), {}};
}

}  // namespace knhk::cli
