//===- Requirements.h - A spec's `require` conditions, evaluated ----------===//
//
// `require Nk % 64 == 0` in a spec becomes a small postfix program over the
// launch sizes that travels in the package (manifest and kernel signature)
// and is evaluated before every launch. The program is text, tokens
// separated by commas, read left to right on a stack of 64-bit integers
// (bools are 0 and 1):
//   an integer literal, `Nq`, `Nk`      push
//   neg not abs                          pop 1, push 1
//   add sub mul div mod min max          pop 2, push 1
//   eq ne lt le gt ge and or
//   sel                                  pop c a b (c pushed first), push c ? a : b
// with the language's integer semantics (docs/language.md §4): + - * and
// abs wrap modulo 2^64, / and % are floor division and modulo, and a
// division or modulo by zero gives 0. A program is valid when every
// operator finds its operands and exactly one value remains.
//
// This file is shared by the runtime (which checks launches) and the
// compiler (which verifies the IR attribute and checks reference runs), so
// both read a program the same way. No LLVM, no allocation per evaluation.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_REQUIREMENTS_H
#define ATTNC_RUNTIME_REQUIREMENTS_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnc {
namespace rt {

/// One parsed token of a requirement program.
struct RequirementStep {
  enum class Kind {
    Literal, Nq, Nk,
    Neg, Not, Abs,
    Add, Sub, Mul, Div, Mod, Min, Max,
    Eq, Ne, Lt, Le, Gt, Ge, And, Or,
    Select
  };
  Kind kind = Kind::Literal;
  int64_t value = 0; ///< Literal only
};

/// A parsed, validated program.
struct RequirementProgram {
  std::vector<RequirementStep> steps;
};

/// The longest program accepted (a bound for untrusted manifests).
constexpr size_t kMaxRequirementSteps = 4096;

/// Parses `text`; on failure returns false and says why in `error`.
bool parseRequirementProgram(std::string_view text, RequirementProgram &out,
                             std::string &error);

/// The value of a valid program for these sizes (nonzero: satisfied).
int64_t evaluateRequirement(const RequirementProgram &program, int64_t Nq,
                            int64_t Nk);

/// The operator token of a program for a binary operator of the language
/// ("+" -> "add", "<=" -> "le"), or "" when there is none.
std::string_view requirementBinaryToken(std::string_view op);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_REQUIREMENTS_H
