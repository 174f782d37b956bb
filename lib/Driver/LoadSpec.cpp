//===- LoadSpec.cpp - Spec file to verified attn module -------------------===//
//
// This file implements the shared front half of the attnc commands. Spec
// diagnostics from the MLIR-free frontend become MLIR diagnostics so that
// one handler prints them all (with the source line and a caret) or, under
// --verify-diagnostics, checks them against expected-error comments.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/LoadSpec.h"

#include "dialect/AttnOps.h"
#include "lib/Analysis/IndexRanges.h"
#include "lib/IRGen/SpecToIR.h"
#include "lib/Spec/Parser.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace attnc {

OwningOpRef<ModuleOp> loadSpec(MLIRContext *context,
                               const llvm::MemoryBuffer &buffer) {
  StringRef filename = buffer.getBufferIdentifier();
  auto report = [&](const std::vector<spec::Diagnostic> &diags) {
    for (const spec::Diagnostic &d : diags) {
      auto at = [&](spec::SourceLoc loc) {
        return FileLineColLoc::get(context, filename, loc.line, loc.col);
      };
      InFlightDiagnostic diag = emitError(at(d.loc)) << d.message;
      for (const spec::DiagnosticNote &note : d.notes)
        diag.attachNote(at(note.loc)) << note.message;
    }
  };
  std::vector<spec::Diagnostic> diags;
  spec::SpecFile file;
  if (!spec::parseSpecFile(buffer.getBuffer(), file, diags)) {
    report(diags);
    return nullptr;
  }
  bool ok = true;
  for (spec::AttentionSpec &attention : file.attentions)
    ok &= spec::checkAttention(attention, diags);
  // Two blocks with one name would make --name ambiguous.
  for (size_t i = 0; i < file.attentions.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (file.attentions[i].name == file.attentions[j].name) {
        diags.push_back({file.attentions[i].loc,
                         "attention '" + file.attentions[i].name +
                             "' is defined twice"});
        ok = false;
      }
  if (!ok) {
    report(diags);
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = buildModule(context, file, filename);
  if (failed(verify(*module)))
    return nullptr;
  // Integer arithmetic wraps on every backend (docs/language.md §4); an
  // overflow the interval analysis can prove is a spec error instead.
  for (Operation &op : module->getBody()->getOperations())
    ok &= succeeded(checkIndexOverflow(&op));
  if (!ok)
    return nullptr;
  return module;
}

Operation *selectAttention(ModuleOp module, StringRef name) {
  SmallVector<Operation *> candidates;
  for (Operation &op : module.getBody()->getOperations())
    if (isa<attn::AttentionOp, attn::LinearAttentionOp>(op))
      candidates.push_back(&op);
  if (name.empty()) {
    if (candidates.size() == 1)
      return candidates.front();
    InFlightDiagnostic diag = module.emitError()
                              << "the spec defines " << candidates.size()
                              << " attention blocks; choose one with --name";
    for (Operation *op : candidates)
      diag.attachNote(op->getLoc())
          << "'" << SymbolTable::getSymbolName(op).getValue() << "'";
    return nullptr;
  }
  for (Operation *op : candidates)
    if (SymbolTable::getSymbolName(op).getValue() == name)
      return op;
  module.emitError() << "no attention named '" << name << "' in the spec";
  return nullptr;
}

} // namespace attnc
