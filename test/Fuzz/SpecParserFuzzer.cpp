//===- SpecParserFuzzer.cpp - libFuzzer target for the .attn frontend -----===//
//
// This file implements a libFuzzer entry point that feeds arbitrary bytes to
// the spec parser and, when parsing succeeds, to semantic analysis of every
// attention block. The frontend promises diagnostics, never crashes, on any
// input: under ASan/UBSan a crash, hang or undefined behaviour here is a bug.
// It links only lib/Spec (plain C++), so it builds with clang's fuzzer
// runtime independently of the MLIR build.
//
//===----------------------------------------------------------------------===//

#include "lib/Spec/Parser.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  attnc::spec::SpecFile file;
  std::vector<attnc::spec::Diagnostic> diags;
  bool parsed = attnc::spec::parseSpecFile(text, file, diags);
  // The parser's contract: failure always comes with a located message.
  if (!parsed && diags.empty())
    std::abort();
  if (!parsed)
    return 0;
  for (attnc::spec::AttentionSpec &spec : file.attentions) {
    size_t before = diags.size();
    bool ok = attnc::spec::checkAttention(spec, diags);
    if (!ok && diags.size() == before)
      std::abort();
    if (ok && diags.size() != before)
      std::abort();
  }
  for (const attnc::spec::Diagnostic &d : diags)
    if (d.loc.line == 0 || d.loc.col == 0 || d.message.empty())
      std::abort();
  return 0;
}
