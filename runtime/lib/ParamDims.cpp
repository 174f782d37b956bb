//===- ParamDims.cpp - The index space of a parameter ---------------------===//

#include "ParamDims.h"

namespace attnc {
namespace rt {

bool parseParamDims(std::string_view text, std::vector<ParamDim> &out,
                    std::string &error) {
  out.clear();
  size_t i = 0;
  while (i < text.size()) {
    if (out.size() == kMaxParamRank) {
      error = "more than " + std::to_string(kMaxParamRank) + " dimensions";
      return false;
    }
    char c = text[i];
    if (c == 'b' || c == 'h' || c == 'n' || c == 'd') {
      out.push_back({c, 0});
      ++i;
      continue;
    }
    if (c != '[') {
      error = std::string("unexpected '") +
              (c >= 32 && c < 127 ? std::string(1, c) : "?") +
              "' (dimensions are b, h, n, d or [N])";
      return false;
    }
    size_t end = text.find(']', i);
    std::string_view digits =
        end == std::string_view::npos ? text.substr(i + 1)
                                      : text.substr(i + 1, end - i - 1);
    if (end == std::string_view::npos || digits.empty() ||
        digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos ||
        digits[0] == '0') {
      error = "a fixed extent is written [N] with N a positive integer";
      return false;
    }
    int64_t size = std::stoll(std::string(digits));
    if (size > kMaxFixedExtent) {
      error = "fixed extent " + std::to_string(size) + " exceeds " +
              std::to_string(kMaxFixedExtent);
      return false;
    }
    out.push_back({'c', size});
    i = end + 1;
  }
  return true;
}

std::string paramDimText(const ParamDim &dim) {
  if (dim.kind == 'c')
    return "[" + std::to_string(dim.size) + "]";
  return std::string(1, dim.kind);
}

} // namespace rt
} // namespace attnc
