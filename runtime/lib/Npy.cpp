//===- Npy.cpp - NumPy .npy file reading and writing ----------------------===//
//
// This file implements the .npy reader and writer declared in attnc/npy.h.
// An .npy file is a magic string, a version, a header length, a Python dict
// literal describing dtype, order and shape, and then the raw data. The header
// comes from whoever made the file, so it is parsed by a small bounded parser
// (no recursion deeper than a fixed limit, every read range-checked) and all
// size arithmetic is overflow-checked before anything is allocated.
//
//===----------------------------------------------------------------------===//

#include "attnc/npy.h"

#include "attnc/half.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

using namespace attnc;

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/// numpy itself allows 64 dimensions; anything beyond is a corrupt header.
constexpr size_t kMaxDims = 64;

/// Real headers are under 2 KiB even with kMaxDims dimensions; the limit
/// keeps a corrupt 4-byte length from making readNpy allocate gigabytes.
constexpr uint64_t kMaxHeaderLen = 1 << 20;

/// Nesting limit for header values; real headers nest at most 3 deep (a
/// structured descr), and the limit keeps hostile input off the stack.
constexpr unsigned kMaxDepth = 16;

bool hostIsLittleEndian() {
  uint16_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

/// Renders untrusted text for a one-line message: non-printable bytes are
/// escaped and long strings are cut short.
std::string sanitize(const std::string &s) {
  constexpr size_t kMaxLen = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxLen; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMaxLen)
    out += "...";
  return out;
}

/// Lowercases the first letter of a strerror() message to match our style.
std::string errnoMessage(int err) {
  std::string msg = std::strerror(err);
  if (!msg.empty())
    msg[0] =
        static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
  return msg;
}

/// Returns `a * b`, or false if it overflows int64_t. Both are non-negative.
bool mulNonNegative(int64_t a, int64_t b, int64_t &result) {
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a)
    return false;
  result = a * b;
  return true;
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

/// A Python literal as it can appear in an .npy header.
struct PyValue {
  enum Kind { Str, Int, Bool, None, Seq };
  Kind kind = None;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<PyValue> items;
};

/// Parses the Python dict literal of an .npy header into key/value pairs.
/// Accepts the subset of Python numpy emits (and older numpy's `3L` longs).
class DictParser {
public:
  DictParser(const char *begin, const char *end) : cur(begin), bufEnd(end) {}

  bool parse(std::vector<std::pair<std::string, PyValue>> &entries,
             std::string &error);

private:
  void skipSpace() {
    while (cur != bufEnd &&
           (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r'))
      ++cur;
  }
  bool consume(char c) {
    skipSpace();
    if (cur != bufEnd && *cur == c) {
      ++cur;
      return true;
    }
    return false;
  }
  bool fail(const std::string &msg) {
    if (errorMsg.empty())
      errorMsg = "malformed header: " + msg;
    return false;
  }
  std::string found() const {
    if (cur == bufEnd)
      return "end of header";
    return "'" + sanitize(std::string(1, *cur)) + "'";
  }

  bool parseString(std::string &s);
  bool parseInt(int64_t &value);
  bool parseValue(PyValue &value, unsigned depth);

  const char *cur;
  /// One past the last character of the header text.
  const char *bufEnd;
  std::string errorMsg;
};

bool DictParser::parseString(std::string &s) {
  skipSpace();
  if (cur == bufEnd || (*cur != '\'' && *cur != '"'))
    return fail("expected a string, found " + found());
  char quote = *cur++;
  s.clear();
  while (cur != bufEnd && *cur != quote) {
    if (*cur == '\n')
      return fail("unterminated string");
    if (*cur == '\\') {
      if (++cur == bufEnd)
        break;
    }
    s += *cur++;
  }
  if (cur == bufEnd)
    return fail("unterminated string");
  ++cur;
  return true;
}

bool DictParser::parseInt(int64_t &value) {
  bool negative = false;
  if (cur != bufEnd && (*cur == '-' || *cur == '+'))
    negative = *cur++ == '-';
  if (cur == bufEnd || !std::isdigit(static_cast<unsigned char>(*cur)))
    return fail("expected an integer, found " + found());
  // Accumulate as a negative number so that INT64_MIN parses too.
  int64_t acc = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (; cur != bufEnd && std::isdigit(static_cast<unsigned char>(*cur));
       ++cur) {
    int digit = *cur - '0';
    if (acc < (kMin + digit) / 10)
      return fail("integer out of range");
    acc = acc * 10 - digit;
  }
  // Python 2 era numpy wrote longs as `3L`.
  if (cur != bufEnd && (*cur == 'L' || *cur == 'l'))
    ++cur;
  if (!negative) {
    if (acc == kMin)
      return fail("integer out of range");
    acc = -acc;
  }
  value = acc;
  return true;
}

bool DictParser::parseValue(PyValue &value, unsigned depth) {
  if (depth > kMaxDepth)
    return fail("values nested too deeply");
  skipSpace();
  if (cur == bufEnd)
    return fail("expected a value, found end of header");
  char c = *cur;
  if (c == '\'' || c == '"') {
    value.kind = PyValue::Str;
    return parseString(value.str);
  }
  if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c))) {
    value.kind = PyValue::Int;
    return parseInt(value.integer);
  }
  if (c == '(' || c == '[') {
    char close = c == '(' ? ')' : ']';
    ++cur;
    value.kind = PyValue::Seq;
    while (!consume(close)) {
      PyValue item;
      if (!parseValue(item, depth + 1))
        return false;
      value.items.push_back(std::move(item));
      if (consume(close))
        break;
      if (!consume(','))
        return fail(std::string("expected ',' or '") + close + "', found " +
                    found());
    }
    return true;
  }
  if (std::isalpha(static_cast<unsigned char>(c))) {
    const char *start = cur;
    while (cur != bufEnd && std::isalnum(static_cast<unsigned char>(*cur)))
      ++cur;
    std::string word(start, cur);
    if (word == "True" || word == "False") {
      value.kind = PyValue::Bool;
      value.boolean = word == "True";
      return true;
    }
    if (word == "None") {
      value.kind = PyValue::None;
      return true;
    }
    return fail("unexpected name '" + sanitize(word) + "'");
  }
  return fail("unexpected " + found());
}

bool DictParser::parse(std::vector<std::pair<std::string, PyValue>> &entries,
                       std::string &error) {
  auto finish = [&](bool ok) {
    if (!ok)
      error = errorMsg;
    return ok;
  };
  if (!consume('{'))
    return finish(fail("expected '{', found " + found()));
  while (!consume('}')) {
    std::string key;
    if (!parseString(key))
      return finish(false);
    if (!consume(':'))
      return finish(fail("expected ':' after key '" + sanitize(key) +
                         "', found " + found()));
    PyValue value;
    if (!parseValue(value, 0))
      return finish(false);
    entries.emplace_back(std::move(key), std::move(value));
    if (consume('}'))
      break;
    if (!consume(','))
      return finish(fail("expected ',' or '}', found " + found()));
  }
  // numpy pads the header with spaces and ends it with '\n'; nothing else
  // may follow the dict.
  skipSpace();
  if (cur != bufEnd)
    return finish(fail("unexpected " + found() + " after the dict"));
  return finish(true);
}

//===----------------------------------------------------------------------===//
// Header interpretation
//===----------------------------------------------------------------------===//

struct Header {
  NpyDtype dtype = NpyDtype::F32;
  std::vector<int64_t> shape;
  /// Size of the data in bytes, checked not to overflow.
  uint64_t dataBytes = 0;
};

bool parseDescr(const std::string &descr, NpyDtype &dtype, std::string &error) {
  auto unsupported = [&] {
    error = "unsupported dtype '" + sanitize(descr) + "'";
    return false;
  };
  if (descr.size() != 3)
    return unsupported();
  char order = descr[0];
  // '=' is native order and '|' is "not applicable"; both mean the host's
  // order to numpy, which matches the data only on little-endian hosts.
  bool little =
      order == '<' || ((order == '=' || order == '|') && hostIsLittleEndian());
  if (!little)
    return unsupported();
  std::string kind = descr.substr(1);
  if (kind == "f4")
    dtype = NpyDtype::F32;
  else if (kind == "f2")
    dtype = NpyDtype::F16;
  else if (kind == "f8")
    dtype = NpyDtype::F64;
  else if (kind == "i4")
    dtype = NpyDtype::I32;
  else if (kind == "i8")
    dtype = NpyDtype::I64;
  else
    return unsupported();
  return true;
}

/// Turns the text between the length field and the data into a Header.
bool parseHeader(const char *text, size_t size, Header &header,
                 std::string &error) {
  std::vector<std::pair<std::string, PyValue>> entries;
  if (!DictParser(text, text + size).parse(entries, error))
    return false;

  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (const auto &[key, value] : entries) {
    const PyValue **slot = nullptr;
    if (key == "descr")
      slot = &descr;
    else if (key == "fortran_order")
      slot = &fortran;
    else if (key == "shape")
      slot = &shape;
    else {
      error = "malformed header: unexpected key '" + sanitize(key) + "'";
      return false;
    }
    if (*slot) {
      error = "malformed header: duplicate key '" + key + "'";
      return false;
    }
    *slot = &value;
  }
  for (auto [value, name] : {std::make_pair(descr, "descr"),
                             std::make_pair(fortran, "fortran_order"),
                             std::make_pair(shape, "shape")}) {
    if (!value) {
      error = std::string("malformed header: missing key '") + name + "'";
      return false;
    }
  }

  // Shape first: whether Fortran order matters depends on it.
  if (shape->kind != PyValue::Seq) {
    error = "malformed header: 'shape' is not a tuple";
    return false;
  }
  if (shape->items.size() > kMaxDims) {
    error = "malformed header: shape has " +
            std::to_string(shape->items.size()) + " dimensions, at most " +
            std::to_string(kMaxDims) + " are supported";
    return false;
  }
  header.shape.clear();
  for (const PyValue &dim : shape->items) {
    if (dim.kind != PyValue::Int) {
      error = "malformed header: 'shape' holds a non-integer";
      return false;
    }
    if (dim.integer < 0) {
      error = "malformed header: negative dimension " +
              std::to_string(dim.integer) + " in shape";
      return false;
    }
    header.shape.push_back(dim.integer);
  }

  if (fortran->kind != PyValue::Bool) {
    error = "malformed header: 'fortran_order' is not True or False";
    return false;
  }
  if (fortran->boolean) {
    // With at most one dimension above 1 both orders lay out the same bytes.
    size_t nontrivial = 0;
    for (int64_t d : header.shape)
      nontrivial += d > 1;
    if (nontrivial > 1) {
      error = "fortran-order arrays are not supported";
      return false;
    }
  }

  if (descr->kind == PyValue::Seq) {
    error = "unsupported dtype (structured arrays are not supported)";
    return false;
  }
  if (descr->kind != PyValue::Str) {
    error = "malformed header: 'descr' is not a string";
    return false;
  }
  if (!parseDescr(descr->str, header.dtype, error))
    return false;

  int64_t elements = 1;
  for (int64_t d : header.shape) {
    if (!mulNonNegative(elements, d, elements)) {
      error = "array too large: shape " + shapeToString(header.shape) +
              " overflows the element count";
      return false;
    }
  }
  int64_t bytes;
  if (!mulNonNegative(
          elements, static_cast<int64_t>(npyDtypeSize(header.dtype)), bytes)) {
    error = "array too large: shape " + shapeToString(header.shape) +
            " overflows the byte count";
    return false;
  }
  header.dataBytes = static_cast<uint64_t>(bytes);
  return true;
}

/// Checks the fixed-size preamble at the start of the file. `avail` bytes
/// are readable at `data`, out of `fileSize`. On success `headerStart` and
/// `headerLen` locate the dict text, which is known to lie within the file.
bool parsePreamble(const uint8_t *data, size_t avail, uint64_t fileSize,
                   size_t &headerStart, uint64_t &headerLen,
                   std::string &error) {
  if (avail < sizeof(kMagic) || std::memcmp(data, kMagic, sizeof(kMagic))) {
    error = "not an .npy file (bad magic)";
    return false;
  }
  if (avail < 8) {
    error = "malformed header: file ends inside the preamble";
    return false;
  }
  unsigned major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(minor);
    return false;
  }
  // Version 1.0 has a 2-byte header length; 2.0 and 3.0 have 4 bytes.
  size_t lenBytes = major == 1 ? 2 : 4;
  headerStart = 8 + lenBytes;
  if (avail < headerStart) {
    error = "malformed header: file ends inside the preamble";
    return false;
  }
  headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= static_cast<uint64_t>(data[8 + i]) << (8 * i);
  if (headerLen > kMaxHeaderLen) {
    error = "malformed header: header length " + std::to_string(headerLen) +
            " exceeds the limit of " + std::to_string(kMaxHeaderLen) + " bytes";
    return false;
  }
  if (headerLen > fileSize - headerStart) {
    error = "malformed header: header length " + std::to_string(headerLen) +
            " exceeds the " + std::to_string(fileSize - headerStart) +
            " bytes left in the file";
    return false;
  }
  return true;
}

std::string truncatedMessage(uint64_t expected, uint64_t found) {
  return "truncated data: expected " + std::to_string(expected) +
         " bytes, found " + std::to_string(found);
}

/// Serializes the header (preamble, dict, padding) for `arr`, after checking
/// that the array is self-consistent.
bool buildHeader(const NpyArray &arr, std::string &out, std::string &error) {
  int64_t elements = arr.numElements();
  if (elements < 0) {
    error = "cannot write array: invalid shape " + shapeToString(arr.shape);
    return false;
  }
  if (arr.shape.size() > kMaxDims) {
    error = "cannot write array: " + std::to_string(arr.shape.size()) +
            " dimensions, at most " + std::to_string(kMaxDims) +
            " are supported";
    return false;
  }
  uint64_t itemSize = npyDtypeSize(arr.dtype);
  uint64_t count = static_cast<uint64_t>(elements);
  if (count > std::numeric_limits<uint64_t>::max() / itemSize) {
    error = "cannot write array: shape " + shapeToString(arr.shape) +
            " overflows the byte count";
    return false;
  }
  if (count * itemSize != arr.bytes.size()) {
    error = "cannot write array: shape " + shapeToString(arr.shape) + " of " +
            npyDtypeName(arr.dtype) + " needs " +
            std::to_string(count * itemSize) + " bytes, found " +
            std::to_string(arr.bytes.size());
    return false;
  }

  const char *descr = "<f4";
  switch (arr.dtype) {
  case NpyDtype::F32:
    descr = "<f4";
    break;
  case NpyDtype::F16:
    descr = "<f2";
    break;
  case NpyDtype::F64:
    descr = "<f8";
    break;
  case NpyDtype::I32:
    descr = "<i4";
    break;
  case NpyDtype::I64:
    descr = "<i8";
    break;
  }
  // Python tuple syntax: "()", "(5,)", "(2, 3)".
  std::string shape = "(";
  for (size_t i = 0; i < arr.shape.size(); ++i) {
    if (i)
      shape += ", ";
    shape += std::to_string(arr.shape[i]);
  }
  if (arr.shape.size() == 1)
    shape += ",";
  shape += ")";
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";

  // numpy pads so that the data starts 64-byte aligned, with the header
  // ending in '\n'. kMaxDims keeps the header far below version 1.0's 64 KiB
  // limit, and 1.0 is what every numpy reads.
  size_t total = 10 + dict.size() + 1;
  size_t headerLen = (total + 63) / 64 * 64 - 10;
  out.assign(reinterpret_cast<const char *>(kMagic), sizeof(kMagic));
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(headerLen & 0xff);
  out += static_cast<char>(headerLen >> 8);
  out += dict;
  out.append(headerLen - dict.size() - 1, ' ');
  out += '\n';
  return true;
}

uint64_t loadLE(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

/// Closes a FILE on scope exit.
struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || !mulNonNegative(n, d, n))
      return -1;
  return n;
}

std::vector<double> NpyArray::toDoubles() const {
  size_t itemSize = npyDtypeSize(dtype);
  int64_t n = numElements();
  size_t count = bytes.size() / itemSize;
  if (n >= 0 && static_cast<uint64_t>(n) < count)
    count = static_cast<size_t>(n);
  std::vector<double> out(count);
  const uint8_t *p = bytes.data();
  for (size_t i = 0; i < count; ++i, p += itemSize) {
    uint64_t bits = loadLE(p, itemSize);
    switch (dtype) {
    case NpyDtype::F32:
      out[i] = detail::bitsToFloat(static_cast<uint32_t>(bits));
      break;
    case NpyDtype::F16:
      out[i] = halfToFloat(static_cast<uint16_t>(bits));
      break;
    case NpyDtype::F64: {
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      out[i] = d;
      break;
    }
    case NpyDtype::I32:
      out[i] = static_cast<int32_t>(static_cast<uint32_t>(bits));
      break;
    case NpyDtype::I64:
      out[i] = static_cast<double>(static_cast<int64_t>(bits));
      break;
    }
  }
  return out;
}

bool attnc::parseNpy(const uint8_t *data, size_t size, NpyArray &out,
                     std::string &error) {
  size_t headerStart;
  uint64_t headerLen;
  if (!parsePreamble(data, size, size, headerStart, headerLen, error))
    return false;
  Header header;
  if (!parseHeader(reinterpret_cast<const char *>(data + headerStart),
                   static_cast<size_t>(headerLen), header, error))
    return false;
  size_t dataStart = headerStart + static_cast<size_t>(headerLen);
  uint64_t available = size - dataStart;
  if (header.dataBytes > available) {
    error = truncatedMessage(header.dataBytes, available);
    return false;
  }
  out.dtype = header.dtype;
  out.shape = std::move(header.shape);
  out.bytes.assign(data + dataStart,
                   data + dataStart + static_cast<size_t>(header.dataBytes));
  return true;
}

bool attnc::readNpy(const std::string &path, NpyArray &out,
                    std::string &error) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    error = "cannot open '" + path + "': " + errnoMessage(errno);
    return false;
  }
  auto readError = [&] {
    error = "cannot read '" + path + "': " +
            (std::ferror(file.get()) ? errnoMessage(errno)
                                     : std::string("unexpected end of file"));
    return false;
  };
  // fseek/ftell are 64-bit on LP64 hosts, which is what we build for.
  if (std::fseek(file.get(), 0, SEEK_END) != 0)
    return readError();
  long endPos = std::ftell(file.get());
  if (endPos < 0 || std::fseek(file.get(), 0, SEEK_SET) != 0)
    return readError();
  uint64_t fileSize = static_cast<uint64_t>(endPos);

  // Read just the preamble first, so that the data can go straight into
  // its final buffer instead of being copied out of a whole-file buffer.
  uint8_t preamble[12];
  size_t preambleAvail = static_cast<size_t>(
      fileSize < sizeof(preamble) ? fileSize : sizeof(preamble));
  if (std::fread(preamble, 1, preambleAvail, file.get()) != preambleAvail)
    return readError();
  size_t headerStart;
  uint64_t headerLen;
  if (!parsePreamble(preamble, preambleAvail, fileSize, headerStart, headerLen,
                     error))
    return false;

  std::string text(static_cast<size_t>(headerLen), '\0');
  if (std::fseek(file.get(), static_cast<long>(headerStart), SEEK_SET) != 0 ||
      std::fread(&text[0], 1, text.size(), file.get()) != text.size())
    return readError();
  Header header;
  if (!parseHeader(text.data(), text.size(), header, error))
    return false;

  uint64_t available = fileSize - headerStart - headerLen;
  if (header.dataBytes > available) {
    error = truncatedMessage(header.dataBytes, available);
    return false;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(header.dataBytes));
  if (!bytes.empty() &&
      std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size())
    return readError();
  out.dtype = header.dtype;
  out.shape = std::move(header.shape);
  out.bytes = std::move(bytes);
  return true;
}

bool attnc::serializeNpy(const NpyArray &arr, std::vector<uint8_t> &out,
                         std::string &error) {
  std::string header;
  if (!buildHeader(arr, header, error))
    return false;
  out.assign(header.begin(), header.end());
  out.insert(out.end(), arr.bytes.begin(), arr.bytes.end());
  return true;
}

bool attnc::writeNpy(const std::string &path, const NpyArray &arr,
                     std::string &error) {
  std::string header;
  if (!buildHeader(arr, header, error))
    return false;
  FilePtr file(std::fopen(path.c_str(), "wb"));
  if (!file) {
    error = "cannot open '" + path + "' for writing: " + errnoMessage(errno);
    return false;
  }
  bool ok = std::fwrite(header.data(), 1, header.size(), file.get()) ==
                header.size() &&
            (arr.bytes.empty() || // data() may be null, which fwrite forbids.
             std::fwrite(arr.bytes.data(), 1, arr.bytes.size(), file.get()) ==
                 arr.bytes.size());
  // Buffered write errors (a full disk) only show up when flushing.
  std::FILE *raw = file.release();
  if (std::fclose(raw) != 0)
    ok = false;
  if (!ok) {
    error = "cannot write '" + path + "': " + errnoMessage(errno);
    return false;
  }
  return true;
}

NpyArray attnc::makeF32(std::vector<int64_t> shape,
                        const std::vector<float> &values) {
  NpyArray arr;
  arr.dtype = NpyDtype::F32;
  arr.shape = std::move(shape);
  arr.bytes.resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = detail::floatToBits(values[i]);
    for (size_t b = 0; b < 4; ++b)
      arr.bytes[4 * i + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return arr;
}

const char *attnc::npyDtypeName(NpyDtype dtype) {
  switch (dtype) {
  case NpyDtype::F32:
    return "float32";
  case NpyDtype::F16:
    return "float16";
  case NpyDtype::F64:
    return "float64";
  case NpyDtype::I32:
    return "int32";
  case NpyDtype::I64:
    return "int64";
  }
  return "unknown";
}

size_t attnc::npyDtypeSize(NpyDtype dtype) {
  switch (dtype) {
  case NpyDtype::F16:
    return 2;
  case NpyDtype::F32:
  case NpyDtype::I32:
    return 4;
  case NpyDtype::F64:
  case NpyDtype::I64:
    return 8;
  }
  return 1;
}

std::string attnc::shapeToString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}
