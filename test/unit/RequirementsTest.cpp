//===- RequirementsTest.cpp - tests for `require` programs ----------------===//
//
// The postfix programs that carry a spec's `require` conditions
// (runtime/lib/Requirements.h): the language's integer semantics (floor
// division and modulo, 0 for a division by zero, wrapping + - *), every
// operator, and the validation of untrusted program text.
//
//===----------------------------------------------------------------------===//

#include "Requirements.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace {

using attnc::rt::evaluateRequirement;
using attnc::rt::parseRequirementProgram;
using attnc::rt::RequirementProgram;

int64_t eval(const std::string &text, int64_t Nq = 0, int64_t Nk = 0) {
  RequirementProgram program;
  std::string why;
  EXPECT_TRUE(parseRequirementProgram(text, program, why)) << text << ": "
                                                           << why;
  return evaluateRequirement(program, Nq, Nk);
}

std::string rejection(const std::string &text) {
  RequirementProgram program;
  std::string why;
  EXPECT_FALSE(parseRequirementProgram(text, program, why)) << text;
  return why;
}

TEST(Requirements, SizesAndComparisons) {
  EXPECT_EQ(eval("Nk,64,mod,0,eq", 5, 128), 1);
  EXPECT_EQ(eval("Nk,64,mod,0,eq", 5, 100), 0);
  EXPECT_EQ(eval("Nq,Nk,eq", 7, 7), 1);
  EXPECT_EQ(eval("Nq,Nk,ne", 7, 7), 0);
  EXPECT_EQ(eval("Nq,Nk,lt", 3, 7), 1);
  EXPECT_EQ(eval("Nq,Nk,le", 7, 7), 1);
  EXPECT_EQ(eval("Nq,Nk,gt", 7, 7), 0);
  EXPECT_EQ(eval("Nq,Nk,ge", 8, 7), 1);
  EXPECT_EQ(eval("Nq,1,eq,Nk,2,eq,and", 1, 2), 1);
  EXPECT_EQ(eval("Nq,1,eq,Nk,2,eq,and", 1, 3), 0);
  EXPECT_EQ(eval("Nq,1,eq,Nk,2,eq,or", 1, 3), 1);
  EXPECT_EQ(eval("Nq,1,eq,not", 1, 3), 0);
}

TEST(Requirements, FloorDivisionAndModulo) {
  // As docs/language.md §4 and the reference executor: floor semantics.
  EXPECT_EQ(eval("-7,2,div"), -4);
  EXPECT_EQ(eval("-7,2,mod"), 1);
  EXPECT_EQ(eval("7,-2,div"), -4);
  EXPECT_EQ(eval("7,-2,mod"), -1);
  EXPECT_EQ(eval("7,2,div"), 3);
  EXPECT_EQ(eval("7,0,div"), 0);
  EXPECT_EQ(eval("7,0,mod"), 0);
  EXPECT_EQ(eval("-9223372036854775808,-1,div"), 0);
  EXPECT_EQ(eval("-9223372036854775808,-1,mod"), 0);
}

TEST(Requirements, WrappingArithmetic) {
  EXPECT_EQ(eval("9223372036854775807,1,add"), INT64_MIN);
  EXPECT_EQ(eval("-9223372036854775808,1,sub"), INT64_MAX);
  EXPECT_EQ(eval("4611686018427387904,2,mul"), INT64_MIN);
  EXPECT_EQ(eval("-9223372036854775808,neg"), INT64_MIN);
  EXPECT_EQ(eval("-9223372036854775808,abs"), INT64_MIN);
  EXPECT_EQ(eval("-5,abs"), 5);
  EXPECT_EQ(eval("3,-4,min"), -4);
  EXPECT_EQ(eval("3,-4,max"), 3);
}

TEST(Requirements, Select) {
  // c ? a : b with c pushed first.
  EXPECT_EQ(eval("Nq,Nk,lt,10,20,sel", 1, 2), 10);
  EXPECT_EQ(eval("Nq,Nk,lt,10,20,sel", 2, 1), 20);
}

TEST(Requirements, DeepProgramsUseTheHeap) {
  std::string text = "1";
  for (int i = 0; i < 100; ++i)
    text = "1," + text + ",add";
  EXPECT_EQ(eval(text), 101);
  std::string deep;
  for (int i = 0; i < 100; ++i)
    deep += "1,";
  for (int i = 0; i < 99; ++i)
    deep += "add,";
  deep += "0,add";
  EXPECT_EQ(eval(deep), 100);
}

TEST(Requirements, RejectsMalformedPrograms) {
  EXPECT_EQ(rejection(""), "unknown token ''");
  EXPECT_EQ(rejection("Nk,,eq"), "unknown token ''");
  EXPECT_EQ(rejection("Nk,64"), "leaves 2 values instead of one");
  EXPECT_EQ(rejection("add"), "'add' lacks operands");
  EXPECT_EQ(rejection("1,sel"), "'sel' lacks operands");
  EXPECT_EQ(rejection("Nk,frob"), "unknown token 'frob'");
  EXPECT_EQ(rejection("99999999999999999999"),
            "unknown token '99999999999999999999'");
  EXPECT_EQ(rejection("1,-"), "unknown token '-'");
  std::string tooLong = "0";
  for (size_t i = 0; i < attnc::rt::kMaxRequirementSteps; ++i)
    tooLong += ",neg";
  EXPECT_EQ(rejection(tooLong), "more than 4096 steps");
}

} // namespace
