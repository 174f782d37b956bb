//===- Error.h - Status values inside the runtime ---------------*- C++ -*-===//
//
// This file declares Error, the value every internal runtime function returns:
// an attnc_status code and a one-line message (lowercase, no trailing period,
// names quoted, expected versus got). The C API turns a failed Error into its
// return code and the thread's attnc_last_error() text.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_ERROR_H
#define ATTNC_RUNTIME_ERROR_H

#include "attnc/runtime.h"

#include <string>
#include <string_view>

namespace attnc {
namespace rt {

/// Success (code ATTNC_OK) or a failure with its message.
struct Error {
  int code = ATTNC_OK;
  std::string message;

  bool failed() const { return code != ATTNC_OK; }
};

inline Error success() { return Error(); }

inline Error makeError(int code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

/// Renders untrusted text (a JSON key, a file name, a compiler log) for a
/// one-line message: control and non-ASCII bytes are escaped as \xNN and
/// anything past `maxLen` bytes becomes "...".
std::string sanitize(std::string_view text, size_t maxLen = 64);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_ERROR_H
