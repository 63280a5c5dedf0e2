// ScanSources on small files written for each test, the JSON round trip,
// the Markdown table and the gtest filter of a declaration.
#include "tools/claims/claim_index.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/claims/registry.h"

namespace ipcproof::claims {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A directory of its own under $TEST_TMPDIR (or /tmp), removed afterwards.
class ClaimIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(base != nullptr ? base : "/tmp") + "/claim_index.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::string dir_;
};

// What a declaration says, as one string, for readable matchers.
std::string Row(const Declaration& declaration) {
  return declaration.claim + " " + declaration.test + " " +
         std::filesystem::path(declaration.file).filename().string() + ":" +
         std::to_string(declaration.line);
}

std::vector<std::string> Rows(const ClaimIndex& index) {
  std::vector<std::string> rows;
  for (const Declaration& declaration : index.declarations) {
    rows.push_back(Row(declaration));
  }
  return rows;
}

TEST_F(ClaimIndexTest, EachIdOfAClaimBelongsToTheTestAboveIt) {
  const std::string path = Write("a_test.cc", R"src(TEST(PipeTest, Blocks) {
  CLAIM("pipe.blocks");
}

TEST_F(FifoTest, Opens) {
  int x = 1;
  CLAIM("fifo.a", "fifo.b");
}
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("pipe.blocks PipeTest.Blocks a_test.cc:2",
                          "fifo.a FifoTest.Opens a_test.cc:7",
                          "fifo.b FifoTest.Opens a_test.cc:7"));
}

TEST_F(ClaimIndexTest, AClaimOverSeveralLinesIsAtTheLineOfItsName) {
  const std::string path = Write("a_test.cc", R"src(TEST(PipeTest, Blocks) {
  CLAIM("pipe.a",
        "pipe.b",
        "pipe.c");
  CLAIM(
      "pipe.d");
}
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("pipe.a PipeTest.Blocks a_test.cc:2",
                          "pipe.b PipeTest.Blocks a_test.cc:2",
                          "pipe.c PipeTest.Blocks a_test.cc:2",
                          "pipe.d PipeTest.Blocks a_test.cc:5"));
}

TEST_F(ClaimIndexTest, AClaimBeforeEveryTestIsOutsideATest) {
  const std::string path = Write("a_test.cc", R"src(void Helper() {
  CLAIM("pipe.helper");
}
TEST(PipeTest, UsesHelper) { Helper(); }
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("pipe.helper (outside a test) a_test.cc:2"));
}

TEST_F(ClaimIndexTest, ParameterisedTestsAreNamedBySuiteAndName) {
  const std::string path = Write("a_test.cc", R"src(
TEST_P( PosixMqShapeTest ,
        EachSendIsOneReceive ) {
  CLAIM("mq.kernel-list-of-blocks");
}
INSTANTIATE_TEST_SUITE_P(Shapes, PosixMqShapeTest, ::testing::Values(1));
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("mq.kernel-list-of-blocks "
                          "PosixMqShapeTest.EachSendIsOneReceive a_test.cc:4"));
}

TEST_F(ClaimIndexTest, CommentsStringsAndTheMacroDefinitionDeclareNothing) {
  const std::string path = Write("a_test.cc", R"src(
#define CLAIM(...) ::ipcproof::DeclareClaims({__VA_ARGS__})
// TEST(Commented, Out) { CLAIM("pipe.line-comment"); }
/* TEST(Block, Comment) {
  CLAIM("pipe.block-comment");
} */
TEST(PipeTest, Real) {
  const char* text = "CLAIM(\"pipe.in-a-string\") TEST(Quoted, Test)";
  const char* raw = R"x(CLAIM("pipe.in-a-raw-string"))x";
  char quote = '"';
  int digits = 1'000;
  CLAIM("pipe.real");  // CLAIM("pipe.trailing-comment")
}
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("pipe.real PipeTest.Real a_test.cc:12"));
}

TEST_F(ClaimIndexTest, ParenthesesInsideAnIdDoNotEndTheClaim) {
  const std::string path = Write("a_test.cc", R"src(TEST(PipeTest, Odd) {
  CLAIM("pipe.a)", "pipe.b");
}
)src");
  EXPECT_THAT(Rows(ScanSources({path})),
              ElementsAre("pipe.a) PipeTest.Odd a_test.cc:2",
                          "pipe.b PipeTest.Odd a_test.cc:2"));
}

TEST_F(ClaimIndexTest, FilesAreIndexedInSortedOrderAsGiven) {
  const std::string b = Write("b_test.cc", "TEST(B, T) { CLAIM(\"b.x\"); }\n");
  const std::string a = Write("a_test.cc", "TEST(A, T) { CLAIM(\"a.x\"); }\n");
  const ClaimIndex index = ScanSources({b, a, b});
  EXPECT_THAT(Rows(index),
              ElementsAre("a.x A.T a_test.cc:1", "b.x B.T b_test.cc:1"));
  // The path is kept exactly as the caller gave it.
  EXPECT_EQ(index.declarations[0].file, a);
}

TEST_F(ClaimIndexTest, AnUnclosedClaimIsAnErrorAtItsLine) {
  const std::string path =
      Write("a_test.cc", "TEST(A, T) {\n  CLAIM(\"a.x\";\n}\n");
  try {
    ScanSources({path});
    FAIL() << "an unclosed CLAIM( was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), StartsWith(path + ":2: CLAIM( is never closed"));
  }
}

TEST_F(ClaimIndexTest, AMissingSourceIsAnErrorNamingIt) {
  const std::string missing = dir_ + "/missing_test.cc";
  try {
    ScanSources({missing});
    FAIL() << "a missing source was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), StartsWith(missing + ": "));
  }
}

TEST(ClaimIndexForTest, ReturnsOneClaimsDeclarationsInIndexOrder) {
  ClaimIndex index;
  index.declarations = {{"a.x", "A.One", "f.cc", 1},
                        {"b.x", "B.One", "f.cc", 2},
                        {"a.x", "A.Two", "g.cc", 3}};
  EXPECT_THAT(index.For("a.x"),
              ElementsAre(Field(&Declaration::test, "A.One"),
                          Field(&Declaration::test, "A.Two")));
  EXPECT_THAT(index.For("c.x"), IsEmpty());
}

TEST(GtestFilterForTest, SelectsThePlainAndTheParameterisedName) {
  EXPECT_EQ(GtestFilterFor({"a.x", "PipeTest.Blocks", "f.cc", 1}),
            "PipeTest.Blocks:*/PipeTest.Blocks/*");
  EXPECT_EQ(GtestFilterFor({"a.x", "(outside a test)", "f.cc", 1}), "");
}

TEST_F(ClaimIndexTest, JsonRoundTripKeepsEveryField) {
  ClaimIndex index;
  index.declarations = {
      {"pipe.blocks", "PipeTest.Blocks", "conformance/p.cc", 12},
      {"mq.x", "(outside a test)", "conformance/q.cc", 3}};
  const std::string path = Write("index.json", ClaimIndexJson(index));
  const ClaimIndex loaded = LoadClaimIndex(path);
  ASSERT_EQ(loaded.declarations.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(loaded.declarations[i].claim, index.declarations[i].claim);
    EXPECT_EQ(loaded.declarations[i].test, index.declarations[i].test);
    EXPECT_EQ(loaded.declarations[i].file, index.declarations[i].file);
    EXPECT_EQ(loaded.declarations[i].line, index.declarations[i].line);
  }
}

TEST_F(ClaimIndexTest, LoadingABadIndexNamesTheFileAndTheFault) {
  const struct {
    std::string text;
    std::string message;
  } kBad[] = {
      {"{\"version\": 1, \"declarations\": [", "not valid JSON"},
      {"{\"version\": 2, \"declarations\": []}", "version 1"},
      {"{\"version\": 1}", "\"declarations\" must be an array"},
      {R"({"version": 1, "declarations": [{"claim": "a.x", "test": "A.T",
           "file": "f.cc"}]})",
       "declarations[0]: \"line\" must be a positive integer"},
      {R"({"version": 1, "declarations": [{"claim": "", "test": "A.T",
           "file": "f.cc", "line": 1}]})",
       "declarations[0]: \"claim\" must be a non-empty string"},
  };
  for (const auto& bad : kBad) {
    const std::string path = Write("bad.json", bad.text);
    try {
      LoadClaimIndex(path);
      ADD_FAILURE() << "accepted: " << bad.text;
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(), StartsWith(path + ": "));
      EXPECT_THAT(error.what(), HasSubstr(bad.message));
    }
  }
  EXPECT_THROW(LoadClaimIndex(dir_ + "/none.json"), std::runtime_error);
}

TEST(ClaimIndexMarkdownTest, ListsRegistryClaimsInOrderWithTheirTests) {
  Registry registry;
  registry.claims.resize(2);
  registry.claims[0].id = "pipe.b";
  registry.claims[1].id = "pipe.a";
  ClaimIndex index;
  index.declarations = {
      {"pipe.a", "PipeTest.One", "conformance/pipe/pipe_test.cc", 10},
      {"pipe.a", "PipeTest.Two", "conformance/pipe/pipe_test.cc", 20},
      {"pipe.unregistered", "PipeTest.Two", "conformance/pipe/pipe_test.cc",
       21},
  };
  const std::string markdown = ClaimIndexMarkdown(index, registry);
  EXPECT_THAT(markdown, StartsWith("# Claim → test index\n"));
  EXPECT_THAT(markdown, HasSubstr("docs/claims.json"));
  const std::string table =
      "| claim | test | declared at |\n"
      "|---|---|---|\n"
      "| `pipe.b` | no test yet | |\n"
      "| `pipe.a` | `PipeTest.One` | "
      "[conformance/pipe/pipe_test.cc:10](../conformance/pipe/"
      "pipe_test.cc#L10) |\n"
      "| `pipe.a` | `PipeTest.Two` | "
      "[conformance/pipe/pipe_test.cc:20](../conformance/pipe/"
      "pipe_test.cc#L20) |\n";
  ASSERT_GE(markdown.size(), table.size());
  EXPECT_EQ(markdown.substr(markdown.size() - table.size()), table);
}

}  // namespace
}  // namespace ipcproof::claims
