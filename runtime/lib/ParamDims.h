//===- ParamDims.h - The index space of a parameter -------------*- C++ -*-===//
//
// A spec's `param rpb: f32[h, 13, 13]` has a shape that is partly symbolic
// and partly fixed. Its `dims` text (in the IR's #attn.param, the manifest
// and the kernel signature) is a sequence of tokens, one per dimension:
//   b   batch B          h   query heads H
//   n   sequence positions Nk (keys; a query's position is < Nk too)
//   d   head_dim D       [N] a fixed extent N, 1 to 2^24 (`[13]`)
// so "bn", "h[13][13]", "bhnn" and "" (a scalar, rank 0). At most four.
// The compiler writes the text, the runtime and the compiler's own passes
// read it with this one parser.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_PARAMDIMS_H
#define ATTNC_RUNTIME_PARAMDIMS_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnc {
namespace rt {

/// One dimension: a letter of b h n d, or 'c' with its fixed extent.
struct ParamDim {
  char kind = 'c';
  int64_t size = 0; ///< only for kind 'c'
};

constexpr size_t kMaxParamRank = 4;
constexpr int64_t kMaxFixedExtent = int64_t(1) << 24;

/// Parses `text`; false (with the reason in `error`) unless it is a valid
/// dims text of rank at most kMaxParamRank.
bool parseParamDims(std::string_view text, std::vector<ParamDim> &out,
                    std::string &error);

/// The extent of `dim` for a call with these sizes.
inline int64_t paramDimExtent(const ParamDim &dim, int64_t B, int64_t H,
                              int64_t Nk, int64_t D) {
  switch (dim.kind) {
  case 'b':
    return B;
  case 'h':
    return H;
  case 'n':
    return Nk;
  case 'd':
    return D;
  default:
    return dim.size;
  }
}

/// The text of one dimension: "b", "[13]".
std::string paramDimText(const ParamDim &dim);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_PARAMDIMS_H
