//===- SpecParserFuzzer.cpp - libFuzzer target for the .attn frontend -----===//
//
// This file implements a libFuzzer entry point that feeds arbitrary bytes to
// the spec parser and, when parsing succeeds, to semantic analysis of every
// attention block. The frontend promises diagnostics, never crashes, on any
// input: under ASan/UBSan a crash, hang or undefined behaviour here is a bug,
// and so is a broken diagnostic contract (checked below with abort()).
// It links only lib/Spec (plain C++), so it builds with clang's fuzzer
// runtime independently of the MLIR build.
//
//===----------------------------------------------------------------------===//

#include "lib/Spec/Parser.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

/// Every diagnostic is located and printable: user text is quoted with
/// non-printable bytes escaped, so no input can garble a terminal.
void checkDiagnostics(const std::vector<attnc::spec::Diagnostic> &diags) {
  for (const attnc::spec::Diagnostic &d : diags) {
    if (d.loc.line == 0 || d.loc.col == 0 || d.message.empty())
      std::abort();
    for (char c : d.message)
      if (!std::isprint(static_cast<unsigned char>(c)))
        std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  attnc::spec::SpecFile file;
  std::vector<attnc::spec::Diagnostic> diags;
  bool parsed = attnc::spec::parseSpecFile(text, file, diags);
  // A failed parse reports exactly one error (the parser stops at the
  // first); a successful one reports none.
  if (parsed != diags.empty() || diags.size() > 1)
    std::abort();
  if (parsed) {
    // Sema: failure if and only if it reported something.
    for (attnc::spec::AttentionSpec &spec : file.attentions) {
      size_t before = diags.size();
      bool ok = attnc::spec::checkAttention(spec, diags);
      if (ok != (diags.size() == before))
        std::abort();
    }
  }
  checkDiagnostics(diags);
  return 0;
}
