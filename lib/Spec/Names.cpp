//===- Names.cpp - The vocabulary of the .attn language -------------------===//

#include "lib/Spec/Names.h"

#include <algorithm>

namespace attnc::spec {

const std::vector<std::string> &statementKeywords() {
  static const std::vector<std::string> words = {
      "heads",  "kv_heads", "head_dim",  "value_dim", "dtype",
      "scale",  "param",    "let",       "require",   "mask",
      "score",  "normalize", "select",   "keep",      "hybrid",
      "complement", "combine", "tile",   "linear",    "bidirectional",
      "feature", "decay",   "update",    "chunk",     "grid",
      "permute"};
  return words;
}

const std::vector<std::string> &variableNames() {
  static const std::vector<std::string> names = {"b", "h", "q",  "k",  "s",
                                                 "x", "n", "d",  "Nq", "Nk"};
  return names;
}

const std::vector<std::string> &functionNames() {
  static const std::vector<std::string> names = {
      "exp",  "log", "sqrt", "tanh", "sigmoid", "softplus", "relu",
      "elu",  "abs", "min",  "max",  "floor",   "pow",      "cos",
      "sin"};
  return names;
}

const std::vector<std::string> &tensorNames() {
  static const std::vector<std::string> names = {"v", "o", "lse", "state",
                                                 "z"};
  return names;
}

static bool contains(const std::vector<std::string> &list,
                     const std::string &name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

bool isReservedExpressionName(const std::string &name) {
  return name == "causal" || contains(variableNames(), name) ||
         contains(functionNames(), name);
}

bool isTensorName(const std::string &name) {
  return contains(tensorNames(), name);
}

} // namespace attnc::spec
