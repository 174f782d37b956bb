//===- Json.h - A small, strict JSON parser ---------------------*- C++ -*-===//
//
// This file declares the runtime's JSON reader, used for package manifests.
// It accepts exactly RFC 8259 JSON (no comments, no trailing commas, no NaN,
// no byte order mark), rejects duplicate object keys and invalid UTF-8, and
// bounds nesting depth and input size, so that a hostile or truncated file
// yields a one-line error with a byte offset instead of a crash.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_JSON_H
#define ATTNC_RUNTIME_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnc {
namespace rt {

struct JsonMember;

/// One parsed JSON value. Objects keep their members in file order.
struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  /// The value of a number, possibly rounded.
  double number = 0;
  /// True when the number was written without fraction or exponent and fits
  /// in int64_t; `integer` then holds it exactly.
  bool isInteger = false;
  int64_t integer = 0;
  /// Decoded UTF-8 text of a string.
  std::string string;
  std::vector<JsonValue> array;
  std::vector<JsonMember> members;
  /// Byte offset of the value's first character in the input.
  size_t offset = 0;

  /// Returns the member named `key` of an object, or null if there is none
  /// (or this is not an object).
  const JsonValue *find(std::string_view key) const;

  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

/// Bounds on what parseJson accepts.
struct JsonLimits {
  /// Arrays and objects nested deeper than this are an error.
  unsigned maxDepth = 64;
  /// Inputs longer than this many bytes are an error.
  size_t maxBytes = size_t(1) << 20;
};

/// Parses `text` as one JSON value (surrounding whitespace allowed). On
/// failure returns false, leaves `out` unchanged and sets `error` to e.g.
/// "invalid JSON at byte 17 (line 2, column 5): expected ':' after object
/// key". Never reads outside `text`.
bool parseJson(std::string_view text, JsonValue &out, std::string &error,
               const JsonLimits &limits = JsonLimits());

/// Returns the name of a kind for messages: "null", "a boolean", "a number",
/// "a string", "an array" or "an object".
const char *jsonKindName(JsonValue::Kind kind);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_JSON_H
