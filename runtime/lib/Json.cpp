//===- Json.cpp - A small, strict JSON parser -----------------------------===//
//
// This file implements the JSON reader declared in Json.h: a recursive-descent
// parser over a byte range. Recursion is bounded by JsonLimits::maxDepth,
// every read is range-checked, numbers are checked against the RFC grammar
// before conversion (with std::from_chars, which ignores the C locale), and
// strings are validated as UTF-8 with \u escapes decoded, surrogate pairs
// included.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "Error.h"

#include <charconv>
#include <cstdio>
#include <unordered_set>
#include <utility>

using namespace attnc::rt;

namespace {

class Parser {
public:
  Parser(std::string_view text, const JsonLimits &limits)
      : text(text), limits(limits) {}

  bool parse(JsonValue &out) {
    if (text.size() > limits.maxBytes) {
      failAt(0, "input is " + std::to_string(text.size()) +
                    " bytes, more than the limit of " +
                    std::to_string(limits.maxBytes));
      return false;
    }
    skipSpace();
    if (!parseValue(out, 0))
      return false;
    skipSpace();
    if (pos != text.size())
      return fail("unexpected data after the JSON value");
    return true;
  }

  const std::string &error() const { return message; }

private:
  std::string_view text;
  const JsonLimits &limits;
  size_t pos = 0;
  std::string message;

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipSpace() {
    while (!atEnd()) {
      char c = text[pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      ++pos;
    }
  }

  void failAt(size_t offset, const std::string &what) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    message = "invalid JSON at byte " + std::to_string(offset) + " (line " +
              std::to_string(line) + ", column " + std::to_string(column) +
              "): " + what;
  }

  bool fail(const std::string &what) {
    failAt(pos, what);
    return false;
  }

  /// Describes the byte at `pos` for messages, e.g. "'x'", "byte 0xff" or
  /// "end of input".
  std::string describeHere() const {
    if (atEnd())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(text[pos]);
    char buf[16];
    if (c >= 0x20 && c < 0x7f)
      std::snprintf(buf, sizeof(buf), "'%c'", c);
    else
      std::snprintf(buf, sizeof(buf), "byte 0x%02x", c);
    return buf;
  }

  bool parseValue(JsonValue &out, unsigned depth) {
    out.offset = pos;
    if (atEnd())
      return fail("expected a value, got end of input");
    switch (text[pos]) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out.kind = JsonValue::Kind::String;
      return parseString(out.string);
    case 't':
      return parseWord("true", out, JsonValue::Kind::Bool, true);
    case 'f':
      return parseWord("false", out, JsonValue::Kind::Bool, false);
    case 'n':
      return parseWord("null", out, JsonValue::Kind::Null, false);
    default:
      if (text[pos] == '-' || (text[pos] >= '0' && text[pos] <= '9'))
        return parseNumber(out);
      return fail("expected a value, got " + describeHere());
    }
  }

  bool parseWord(std::string_view word, JsonValue &out, JsonValue::Kind kind,
                 bool value) {
    if (text.substr(pos, word.size()) != word)
      return fail("expected a value, got " + describeHere());
    pos += word.size();
    out.kind = kind;
    out.boolean = value;
    return true;
  }

  bool enter(unsigned depth) {
    if (depth + 1 > limits.maxDepth)
      return fail("nesting deeper than " + std::to_string(limits.maxDepth) +
                  " levels");
    return true;
  }

  bool parseArray(JsonValue &out, unsigned depth) {
    if (!enter(depth))
      return false;
    out.kind = JsonValue::Kind::Array;
    ++pos; // '['
    skipSpace();
    if (peek() == ']') {
      ++pos;
      return true;
    }
    for (;;) {
      out.array.emplace_back();
      if (!parseValue(out.array.back(), depth + 1))
        return false;
      skipSpace();
      if (peek() == ',') {
        ++pos;
        skipSpace();
        continue;
      }
      if (peek() == ']') {
        ++pos;
        return true;
      }
      return fail("expected ',' or ']' in array, got " + describeHere());
    }
  }

  bool parseObject(JsonValue &out, unsigned depth) {
    if (!enter(depth))
      return false;
    out.kind = JsonValue::Kind::Object;
    ++pos; // '{'
    std::unordered_set<std::string> seen;
    skipSpace();
    if (peek() == '}') {
      ++pos;
      return true;
    }
    for (;;) {
      if (peek() != '"')
        return fail("expected a string key in object, got " + describeHere());
      size_t keyOffset = pos;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second) {
        failAt(keyOffset, "duplicate key '" + sanitize(key) + "'");
        return false;
      }
      skipSpace();
      if (peek() != ':')
        return fail("expected ':' after object key, got " + describeHere());
      ++pos;
      skipSpace();
      out.members.push_back(JsonMember{std::move(key), JsonValue()});
      if (!parseValue(out.members.back().value, depth + 1))
        return false;
      skipSpace();
      if (peek() == ',') {
        ++pos;
        skipSpace();
        continue;
      }
      if (peek() == '}') {
        ++pos;
        return true;
      }
      return fail("expected ',' or '}' in object, got " + describeHere());
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseNumber(JsonValue &out) {
    size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      ++pos;
    if (!isDigit(peek()))
      return fail("expected a digit in number, got " + describeHere());
    if (peek() == '0') {
      ++pos;
      if (isDigit(peek()))
        return fail("leading zeros are not allowed in numbers");
    } else {
      while (isDigit(peek()))
        ++pos;
    }
    if (peek() == '.') {
      integral = false;
      ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit after '.' in number, got " +
                    describeHere());
      while (isDigit(peek()))
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!isDigit(peek()))
        return fail("expected a digit in exponent, got " + describeHere());
      while (isDigit(peek()))
        ++pos;
    }
    const char *first = text.data() + start;
    const char *last = text.data() + pos;
    double value = 0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last) {
      failAt(start,
             "number '" + std::string(first, last) + "' is out of range");
      return false;
    }
    out.kind = JsonValue::Kind::Number;
    out.number = value;
    out.isInteger = false;
    if (integral) {
      int64_t exact = 0;
      auto [iptr, iec] = std::from_chars(first, last, exact);
      if (iec == std::errc() && iptr == last) {
        out.isInteger = true;
        out.integer = exact;
      }
    }
    return true;
  }

  bool parseHex4(unsigned &out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail("expected 4 hex digits after \\u, got " + describeHere());
      out = out * 16 + digit;
      ++pos;
    }
    return true;
  }

  static void appendUtf8(std::string &s, unsigned cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xc0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool parseEscape(std::string &s) {
    ++pos; // '\\'
    if (atEnd())
      return fail("unterminated string");
    char c = text[pos++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      s += c;
      return true;
    case 'b':
      s += '\b';
      return true;
    case 'f':
      s += '\f';
      return true;
    case 'n':
      s += '\n';
      return true;
    case 'r':
      s += '\r';
      return true;
    case 't':
      s += '\t';
      return true;
    case 'u':
      break;
    default:
      --pos;
      return fail("invalid escape character " + describeHere() + " after '\\'");
    }
    size_t escStart = pos - 2;
    unsigned cp;
    if (!parseHex4(cp))
      return false;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      failAt(escStart, "unpaired low surrogate in \\u escape");
      return false;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (text.substr(pos, 2) != "\\u") {
        failAt(escStart, "unpaired high surrogate in \\u escape");
        return false;
      }
      pos += 2;
      unsigned low;
      if (!parseHex4(low))
        return false;
      if (low < 0xdc00 || low > 0xdfff) {
        failAt(escStart, "unpaired high surrogate in \\u escape");
        return false;
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    appendUtf8(s, cp);
    return true;
  }

  /// Copies one UTF-8 sequence starting at `pos`, rejecting overlong forms,
  /// surrogates and code points above U+10FFFF.
  bool copyUtf8(std::string &s) {
    unsigned char c = static_cast<unsigned char>(text[pos]);
    size_t len;
    unsigned cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return fail("invalid UTF-8 in string");
    }
    if (text.size() - pos < len)
      return fail("invalid UTF-8 in string");
    for (size_t i = 1; i < len; ++i) {
      unsigned char cc = static_cast<unsigned char>(text[pos + i]);
      if ((cc & 0xc0) != 0x80)
        return fail("invalid UTF-8 in string");
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return fail("invalid UTF-8 in string");
    s.append(text.data() + pos, len);
    pos += len;
    return true;
  }

  bool parseString(std::string &s) {
    size_t start = pos;
    ++pos; // '"'
    for (;;) {
      if (atEnd()) {
        failAt(start, "unterminated string");
        return false;
      }
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (!parseEscape(s))
          return false;
      } else if (c < 0x20) {
        return fail("unescaped control character " + describeHere() +
                    " in string");
      } else if (c < 0x80) {
        s += static_cast<char>(c);
        ++pos;
      } else if (!copyUtf8(s)) {
        return false;
      }
    }
  }
};

} // namespace

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (const JsonMember &m : members)
    if (m.key == key)
      return &m.value;
  return nullptr;
}

bool attnc::rt::parseJson(std::string_view text, JsonValue &out,
                          std::string &error, const JsonLimits &limits) {
  Parser parser(text, limits);
  JsonValue value;
  if (!parser.parse(value)) {
    error = parser.error();
    return false;
  }
  out = std::move(value);
  return true;
}

const char *attnc::rt::jsonKindName(JsonValue::Kind kind) {
  switch (kind) {
  case JsonValue::Kind::Null:
    return "null";
  case JsonValue::Kind::Bool:
    return "a boolean";
  case JsonValue::Kind::Number:
    return "a number";
  case JsonValue::Kind::String:
    return "a string";
  case JsonValue::Kind::Array:
    return "an array";
  case JsonValue::Kind::Object:
    return "an object";
  }
  return "a value";
}
