//===- Parser.h - .attn lexer, parser and semantic analysis ---------------===//
//
// Entry points of the spec frontend: text in, a checked AST or located
// diagnostics out. No MLIR here; the driver turns diagnostics into MLIR
// diagnostics so that they print as file:line:col with a caret.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_SPEC_PARSER_H
#define ATTNC_LIB_SPEC_PARSER_H

#include "lib/Spec/Ast.h"

#include <string_view>

namespace attnc::spec {

/// Parses `text` into `out`. Stops at the first syntax error, which it
/// appends to `diags`; returns true on success.
bool parseSpecFile(std::string_view text, SpecFile &out,
                   std::vector<Diagnostic> &diags);

/// Checks one attention spec: required fields, family rules, names and
/// types in every expression; fills in Expr::type. Appends every problem
/// found to `diags`; returns true when there were none.
bool checkAttention(AttentionSpec &spec, std::vector<Diagnostic> &diags);

} // namespace attnc::spec

#endif // ATTNC_LIB_SPEC_PARSER_H
