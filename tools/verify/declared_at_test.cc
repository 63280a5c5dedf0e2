#include "tools/verify/declared_at.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

TestResult Result(const std::string& suite, const std::string& name) {
  TestResult result;
  result.suite = suite;
  result.name = name;
  result.full_name = suite + "." + name;
  return result;
}

class DeclaredAtTest : public ::testing::Test {
 protected:
  DeclaredAtTest() {
    index_.declarations = {
        {"pipe.blocks", "PipeTest.ReadBlocks", "conformance/pipe/p.cc", 10},
        {"pipe.two-kinds", "PipeTest.ReadBlocks", "conformance/pipe/p.cc", 11},
        {"pipe.blocks", "PipeSemanticsTest.WriteBlocks",
         "conformance/pipe/s.cc", 40},
        {"mq.x", "TypedQueueTest.Sends", "conformance/mq/t.cc", 5},
    };
  }
  claims::ClaimIndex index_;
};

TEST_F(DeclaredAtTest, APlainTestIsFoundAtItsFirstDeclaration) {
  EXPECT_EQ(DeclaredAt(index_, Result("PipeTest", "ReadBlocks")),
            "conformance/pipe/p.cc:10");
}

TEST_F(DeclaredAtTest, InstantiationPrefixAndParameterSuffixAreIgnored) {
  EXPECT_EQ(
      DeclaredAt(index_, Result("Pipes/PipeSemanticsTest", "WriteBlocks/fifo")),
      "conformance/pipe/s.cc:40");
  EXPECT_EQ(DeclaredAt(index_, Result("TypedQueueTest/0", "Sends")),
            "conformance/mq/t.cc:5");
}

TEST_F(DeclaredAtTest, AnUnindexedTestHasNone) {
  EXPECT_EQ(DeclaredAt(index_, Result("PipeTest", "ReadBlocksSlowly")), "");
  EXPECT_EQ(DeclaredAt(index_, Result("Other/PipeTest", "Nope")), "");
}

TEST_F(DeclaredAtTest, FillSetsEveryResult) {
  std::vector<TestResult> results = {Result("PipeTest", "ReadBlocks"),
                                     Result("X", "Y")};
  FillDeclaredAt(index_, results);
  EXPECT_EQ(results[0].declared_at, "conformance/pipe/p.cc:10");
  EXPECT_EQ(results[1].declared_at, "");
}

}  // namespace
}  // namespace ipcproof::verify
