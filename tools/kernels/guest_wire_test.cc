#include "tools/kernels/guest_wire.h"

#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ErrorOf(std::string_view plan) {
  try {
    DecodePlan(plan);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(EscapeFieldTest, SpacesNewlinesPercentAndHighBytesBecomeHex) {
  EXPECT_EQ(EscapeField("a b\n%\x7f\xff-_=/"), "a%20b%0A%25%7F%FF-_=/");
  EXPECT_EQ(UnescapeField("a%20b%0A%25%7F%FF-_=/"), "a b\n%\x7f\xff-_=/");
  EXPECT_EQ(UnescapeField("%6a%6A"), "jj");
}

TEST(EscapeFieldTest, ABrokenEscapeIsAnError) {
  EXPECT_THROW(UnescapeField("50%"), std::runtime_error);
  EXPECT_THROW(UnescapeField("%G0"), std::runtime_error);
  EXPECT_THROW(UnescapeField("%4"), std::runtime_error);
}

TEST(PlanTest, RoundTripsEveryField) {
  Plan plan;
  plan.heartbeat_seconds = 7;
  plan.modules = {{"veth", "/ipcproof/modules/veth.ko"},
                  {"dummy", "/ipcproof/modules/dummy.ko.xz"}};
  plan.probes = {{"pidfd_open", 434}, {"nfsservctl", 180}};
  plan.binaries = {
      {"conformance/pipe/pipe_test",
       "/ipcproof/bin/conformance/pipe/pipe_test",
       600,
       {"--gtest_filter=Pipe*:-*Slow*", "--ipcproof_time_scale=10"}},
      {"a b", "/ipcproof/bin/a b", 1, {"", "with space", "new\nline", "100%"}},
      {"no/args", "/ipcproof/bin/no/args", 30, {}},
  };
  const Plan decoded = DecodePlan(EncodePlan(plan));
  EXPECT_EQ(decoded.heartbeat_seconds, 7);
  ASSERT_EQ(decoded.modules.size(), 2u);
  EXPECT_EQ(decoded.modules[1].name, "dummy");
  EXPECT_EQ(decoded.modules[1].guest_path, "/ipcproof/modules/dummy.ko.xz");
  ASSERT_EQ(decoded.probes.size(), 2u);
  EXPECT_EQ(decoded.probes[0].name, "pidfd_open");
  EXPECT_EQ(decoded.probes[0].number, 434);
  ASSERT_EQ(decoded.binaries.size(), 3u);
  EXPECT_EQ(decoded.binaries[0].name, "conformance/pipe/pipe_test");
  EXPECT_EQ(decoded.binaries[0].time_limit_seconds, 600);
  EXPECT_THAT(
      decoded.binaries[0].args,
      ElementsAre("--gtest_filter=Pipe*:-*Slow*", "--ipcproof_time_scale=10"));
  EXPECT_EQ(decoded.binaries[1].guest_path, "/ipcproof/bin/a b");
  EXPECT_THAT(decoded.binaries[1].args,
              ElementsAre("", "with space", "new\nline", "100%"));
  EXPECT_THAT(decoded.binaries[2].args, IsEmpty());
}

TEST(PlanTest, AnEmptyPlanRoundTrips) {
  const Plan decoded = DecodePlan(EncodePlan(Plan{}));
  EXPECT_THAT(decoded.binaries, IsEmpty());
  EXPECT_THAT(decoded.modules, IsEmpty());
}

TEST(PlanTest, ErrorsNameTheLineAndWhatIsWrong) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty plan"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 2\nend\n"),
              HasSubstr("plan line 1 ('ipcproof-plan 2'): expected"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nheartbeat 5\n"),
              HasSubstr("no 'end' line"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nend"), HasSubstr("no newline"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nend\nend\n"),
              HasSubstr("plan line 3 ('end'): text after 'end'"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nfrobnicate x\nend\n"),
              HasSubstr("plan line 2 ('frobnicate x'): unknown keyword"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\narg x\nend\n"),
              HasSubstr("'arg' before any 'binary'"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nbinary a /a 0\nend\n"),
              HasSubstr("bad time limit"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nbinary a /a\nend\n"),
              HasSubstr("'binary' takes 3 fields, found 2"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nprobe x -1\nend\n"),
              HasSubstr("bad system call number"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nmodule a%Z /a\nend\n"),
              HasSubstr("plan line 2"));
  EXPECT_THAT(ErrorOf("ipcproof-plan 1\nheartbeat 0\nend\n"),
              HasSubstr("heartbeat wants seconds > 0"));
}

TEST(ResultStreamTest, RoundTripsRecordsWithBinaryPayloads) {
  std::string binary_payload;
  for (int i = 0; i < 256; ++i) binary_payload += static_cast<char>(i);
  binary_payload += "\n@ipcproof end - 1\n";  // a header inside a payload
  std::string stream = EncodeRecord(kRecordHello, "", "ipcproof-guest 1");
  stream +=
      EncodeRecord(kRecordXml, "conformance/pipe/pipe test", binary_payload);
  stream += EncodeRecord(kRecordOutput, "x", "");
  stream += EncodeRecord(kRecordEnd, "", "3");
  const DecodedStream decoded = DecodeResultStream(stream);
  EXPECT_EQ(decoded.error, "");
  EXPECT_TRUE(decoded.has_end);
  EXPECT_EQ(decoded.consumed, stream.size());
  ASSERT_EQ(decoded.records.size(), 4u);
  EXPECT_EQ(decoded.records[0].kind, "hello");
  EXPECT_EQ(decoded.records[0].name, "");
  EXPECT_EQ(decoded.records[1].name, "conformance/pipe/pipe test");
  EXPECT_EQ(decoded.records[1].payload, binary_payload);
  EXPECT_EQ(decoded.records[2].payload, "");
  EXPECT_EQ(decoded.records[3].kind, "end");
}

TEST(ResultStreamTest, TheHeaderIsExactlyKindNameLength) {
  EXPECT_EQ(EncodeRecord("xml", "a b", "<x/>"),
            "@ipcproof xml a%20b 4\n<x/>\n");
  EXPECT_EQ(EncodeRecordHeader("end", "", 1), "@ipcproof end - 1\n");
}

TEST(ResultStreamTest, AStreamWithoutAnEndRecordIsNotComplete) {
  const std::string stream = EncodeRecord(kRecordHello, "", "1");
  const DecodedStream decoded = DecodeResultStream(stream);
  EXPECT_EQ(decoded.error, "");
  EXPECT_FALSE(decoded.has_end);
  EXPECT_EQ(decoded.records.size(), 1u);
}

TEST(ResultStreamTest, AnEndRecordThatMiscountsIsRejected) {
  const std::string stream =
      EncodeRecord(kRecordHello, "", "1") + EncodeRecord(kRecordEnd, "", "5");
  const DecodedStream decoded = DecodeResultStream(stream);
  EXPECT_FALSE(decoded.has_end);
  EXPECT_FALSE(decoded.truncated);
  EXPECT_THAT(decoded.error, HasSubstr("(record 2): the end record counts '5' "
                                       "records, 1 came before it"));
}

TEST(ResultStreamTest, ACutOffPayloadIsTruncatedAndSaysWhere) {
  const std::string first = EncodeRecord(kRecordHello, "", "1");
  const std::string stream =
      first + EncodeRecord(kRecordXml, "b", "0123456789");
  const DecodedStream decoded =
      DecodeResultStream(std::string_view(stream).substr(0, stream.size() - 4));
  EXPECT_TRUE(decoded.truncated);
  EXPECT_EQ(decoded.records.size(), 1u);
  EXPECT_EQ(decoded.consumed, first.size());
  EXPECT_THAT(decoded.error,
              HasSubstr("at byte " + std::to_string(first.size()) +
                        " (record 2): record 'xml' announces 10 bytes, 7 "
                        "arrived"));
}

TEST(ResultStreamTest, ACutOffHeaderIsTruncated) {
  const std::string first = EncodeRecord(kRecordHello, "", "1");
  for (const std::string cut : {"@ipc", "@ipcproof xm"}) {
    const DecodedStream decoded = DecodeResultStream(first + cut);
    EXPECT_TRUE(decoded.truncated) << cut;
    EXPECT_THAT(decoded.error, HasSubstr("stops inside a record header"));
  }
}

TEST(ResultStreamTest, GarbageIsRejectedWithItsOffsetAndBytes) {
  const std::string first = EncodeRecord(kRecordHello, "", "1");
  const DecodedStream decoded = DecodeResultStream(first + "hello\x01world\n");
  EXPECT_FALSE(decoded.truncated);
  EXPECT_THAT(decoded.error,
              HasSubstr("at byte " + std::to_string(first.size()) +
                        " (record 2): expected a record header"));
  EXPECT_THAT(decoded.error, HasSubstr("'hello\\x01world\\x0a'"));
}

TEST(ResultStreamTest, MalformedHeadersAreRejected) {
  for (const std::string bad :
       {"@ipcproof xml a\n", "@ipcproof xml a b c\n", "@ipcproof xml a -1\n",
        "@ipcproof XML a 1\nx\n", "@ipcproof xml a 1x\nx\n",
        "@ipcproof xml a%zz 1\nx\n"}) {
    const DecodedStream decoded = DecodeResultStream(bad);
    EXPECT_FALSE(decoded.error.empty()) << bad;
    EXPECT_FALSE(decoded.truncated) << bad;
    EXPECT_THAT(decoded.records, IsEmpty());
  }
}

TEST(ResultStreamTest, APayloadNotFollowedByANewlineIsRejected) {
  const DecodedStream decoded = DecodeResultStream("@ipcproof xml a 2\nabc\n");
  EXPECT_FALSE(decoded.truncated);
  EXPECT_THAT(decoded.error, HasSubstr("is not followed by a newline"));
}

TEST(ResultStreamTest, BytesAfterTheEndRecordAreRejected) {
  const std::string stream = EncodeRecord(kRecordEnd, "", "0") + "x";
  const DecodedStream decoded = DecodeResultStream(stream);
  EXPECT_TRUE(decoded.has_end);
  EXPECT_THAT(decoded.error, HasSubstr("bytes after the end record"));
}

}  // namespace
}  // namespace ipcproof::kernels
