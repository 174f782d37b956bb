//===- Names.h - The vocabulary of the .attn language ---------------------===//
//
// The words the language gives meaning to, in one place: the parser's
// statement dispatch, the checks of user-chosen names (params, lets) and the
// "did you mean" suggestions all read these lists, and a lit test checks
// that docs/language.md names each statement keyword.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_SPEC_NAMES_H
#define ATTNC_LIB_SPEC_NAMES_H

#include <string>
#include <vector>

namespace attnc::spec {

/// Words that start a statement inside an attention block.
const std::vector<std::string> &statementKeywords();

/// Every variable of any clause (b h q k s x n d Nq Nk).
const std::vector<std::string> &variableNames();

/// Functions callable in expressions.
const std::vector<std::string> &functionNames();

/// Run-time tensors that share the `--input NAME=FILE` namespace with
/// parameters (q and k are variables already).
const std::vector<std::string> &tensorNames();

/// True when `name` is a variable, function or `causal`: a param or a let
/// of that name would shadow it.
bool isReservedExpressionName(const std::string &name);

/// True when `name` is a run-time tensor name.
bool isTensorName(const std::string &name);

} // namespace attnc::spec

#endif // ATTNC_LIB_SPEC_NAMES_H
