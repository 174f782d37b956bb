//===- Error.cpp - Status values inside the runtime -----------------------===//
//
// This file implements the message helpers declared in Error.h.
//
//===----------------------------------------------------------------------===//

#include "Error.h"

#include <cstdio>

std::string attnc::rt::sanitize(std::string_view text, size_t maxLen) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= maxLen) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}
