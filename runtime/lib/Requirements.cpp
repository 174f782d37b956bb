//===- Requirements.cpp - A spec's `require` conditions, evaluated --------===//

#include "Requirements.h"

#include <cerrno>
#include <cstdlib>

namespace attnc {
namespace rt {

namespace {

using Kind = RequirementStep::Kind;

struct NamedKind {
  std::string_view name;
  Kind kind;
  int pops; ///< operands taken from the stack
};

constexpr NamedKind kOperators[] = {
    {"Nq", Kind::Nq, 0},    {"Nk", Kind::Nk, 0},    {"neg", Kind::Neg, 1},
    {"not", Kind::Not, 1},  {"abs", Kind::Abs, 1},  {"add", Kind::Add, 2},
    {"sub", Kind::Sub, 2},  {"mul", Kind::Mul, 2},  {"div", Kind::Div, 2},
    {"mod", Kind::Mod, 2},  {"min", Kind::Min, 2},  {"max", Kind::Max, 2},
    {"eq", Kind::Eq, 2},    {"ne", Kind::Ne, 2},    {"lt", Kind::Lt, 2},
    {"le", Kind::Le, 2},    {"gt", Kind::Gt, 2},    {"ge", Kind::Ge, 2},
    {"and", Kind::And, 2},  {"or", Kind::Or, 2},    {"sel", Kind::Select, 3}};

/// Reads a decimal integer literal (optional '-'); false if `text` is not
/// exactly one in the int64 range.
bool parseLiteral(std::string_view text, int64_t &out) {
  if (text.empty() || text.size() > 20)
    return false;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size())
    return false;
  for (size_t j = i; j < text.size(); ++j)
    if (text[j] < '0' || text[j] > '9')
      return false;
  std::string copy(text);
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(copy.c_str(), &end, 10);
  if (errno == ERANGE || end != copy.c_str() + copy.size())
    return false;
  out = v;
  return true;
}

// Wrapping arithmetic through unsigned integers: no undefined behaviour.
int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }

int64_t floorDiv(int64_t a, int64_t b) {
  // As the reference executor: 0 where C's division is undefined.
  if (b == 0 || (a == INT64_MIN && b == -1))
    return 0;
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t floorMod(int64_t a, int64_t b) {
  if (b == 0 || b == -1)
    return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

} // namespace

bool parseRequirementProgram(std::string_view text, RequirementProgram &out,
                             std::string &error) {
  out.steps.clear();
  int depth = 0;
  size_t position = 0;
  while (true) {
    size_t comma = text.find(',', position);
    std::string_view token = text.substr(
        position, comma == std::string_view::npos ? std::string_view::npos
                                                  : comma - position);
    if (out.steps.size() == kMaxRequirementSteps) {
      error = "more than " + std::to_string(kMaxRequirementSteps) + " steps";
      return false;
    }
    RequirementStep step;
    int pops = 0;
    bool known = false;
    for (const NamedKind &op : kOperators) {
      if (op.name == token) {
        step.kind = op.kind;
        pops = op.pops;
        known = true;
        break;
      }
    }
    if (!known) {
      if (!parseLiteral(token, step.value)) {
        error = "unknown token '" + std::string(token.substr(0, 32)) + "'";
        return false;
      }
      step.kind = Kind::Literal;
    }
    if (depth < pops) {
      error = "'" + std::string(token) + "' lacks operands";
      return false;
    }
    depth += 1 - pops;
    out.steps.push_back(step);
    if (comma == std::string_view::npos)
      break;
    position = comma + 1;
  }
  if (depth != 1) {
    error = "leaves " + std::to_string(depth) + " values instead of one";
    return false;
  }
  return true;
}

int64_t evaluateRequirement(const RequirementProgram &program, int64_t Nq,
                            int64_t Nk) {
  // Depth is at most the number of steps; a small fixed stack covers
  // every program of sensible size without allocating.
  std::vector<int64_t> heap;
  int64_t small[64];
  int64_t *stack = small;
  if (program.steps.size() > 64) {
    heap.resize(program.steps.size());
    stack = heap.data();
  }
  size_t top = 0; // number of values on the stack
  for (const RequirementStep &s : program.steps) {
    switch (s.kind) {
    case Kind::Literal:
      stack[top++] = s.value;
      continue;
    case Kind::Nq:
      stack[top++] = Nq;
      continue;
    case Kind::Nk:
      stack[top++] = Nk;
      continue;
    case Kind::Neg:
      stack[top - 1] = wrap(0 - static_cast<uint64_t>(stack[top - 1]));
      continue;
    case Kind::Not:
      stack[top - 1] = stack[top - 1] == 0;
      continue;
    case Kind::Abs:
      if (stack[top - 1] < 0)
        stack[top - 1] = wrap(0 - static_cast<uint64_t>(stack[top - 1]));
      continue;
    case Kind::Select: {
      int64_t c = stack[top - 3], a = stack[top - 2], b = stack[top - 1];
      top -= 2;
      stack[top - 1] = c ? a : b;
      continue;
    }
    default:
      break;
    }
    int64_t a = stack[top - 2], b = stack[top - 1];
    uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    int64_t r = 0;
    switch (s.kind) {
    case Kind::Add: r = wrap(ua + ub); break;
    case Kind::Sub: r = wrap(ua - ub); break;
    case Kind::Mul: r = wrap(ua * ub); break;
    case Kind::Div: r = floorDiv(a, b); break;
    case Kind::Mod: r = floorMod(a, b); break;
    case Kind::Min: r = a < b ? a : b; break;
    case Kind::Max: r = a < b ? b : a; break;
    case Kind::Eq: r = a == b; break;
    case Kind::Ne: r = a != b; break;
    case Kind::Lt: r = a < b; break;
    case Kind::Le: r = a <= b; break;
    case Kind::Gt: r = a > b; break;
    case Kind::Ge: r = a >= b; break;
    case Kind::And: r = (a != 0) && (b != 0); break;
    case Kind::Or: r = (a != 0) || (b != 0); break;
    default: break;
    }
    --top;
    stack[top - 1] = r;
  }
  return stack[0];
}

std::string_view requirementBinaryToken(std::string_view op) {
  static constexpr std::pair<std::string_view, std::string_view> table[] = {
      {"+", "add"}, {"-", "sub"},  {"*", "mul"},  {"/", "div"},
      {"%", "mod"}, {"==", "eq"},  {"!=", "ne"},  {"<", "lt"},
      {"<=", "le"}, {">", "gt"},   {">=", "ge"},  {"&&", "and"},
      {"||", "or"}};
  for (const auto &[spelling, token] : table)
    if (spelling == op)
      return token;
  return "";
}

} // namespace rt
} // namespace attnc
