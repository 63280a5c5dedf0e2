// ParseRegistry: a small valid registry reads field by field, and each rule
// of the format, broken once, is refused with a message naming the file,
// the claim and the rule.
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/claims/registry.h"

namespace ipcproof::claims {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kName[] = "test/claims.json";

// One claim of each kind the format distinguishes: of the note, beyond it,
// not checkable, measured. claims[0] is pipe.blocks, claims[1]
// pipe.beyond.atomic, claims[2] pipe.not-checked, claims[3] pipe.slow.
json ValidDocument() {
  return json::parse(R"json({
    "version": 1,
    "note": {"title": "进程间的通信方式", "source": "a study note"},
    "areas": [{"id": "pipe", "title": "Anonymous pipes"},
              {"id": "mq", "title": "Message queues"}],
    "claims": [
      {"id": "pipe.blocks", "area": "pipe", "beyond_note": false,
       "note": {"quote": "如果没有数据需要阻塞等待数据", "section": "1、管道"},
       "meaning": "A reader blocks while the pipe is empty.",
       "semantics": {"text": "read(2) on an empty pipe blocks.",
                     "references": ["pipe(7)", "read(2)"]},
       "predicted": "confirmed", "folder": "conformance/pipe"
},
      {"id": "pipe.beyond.atomic", "area": "pipe", "beyond_note": true,
       "meaning": "Small writes are atomic.",
       "semantics": {"text": "Writes of at most PIPE_BUF bytes are atomic.",
                     "references": ["pipe(7)"]},
       "predicted": "confirmed", "folder": "conformance/pipe"},
      {"id": "pipe.not-checked", "area": "pipe", "beyond_note": false,
       "note": {"quote": "管道", "section": "1、管道"},
       "meaning": "Something no user-space test can see.",
       "semantics": {"text": "Hidden.", "references": ["pipe(7)"]},
       "predicted": "not-checkable", "folder": "conformance/pipe",
       "not_checkable": "the kernel does not expose it"},
      {"id": "pipe.slow", "area": "pipe", "beyond_note": false,
       "note": {"quote": "不适合频繁的交换数据", "section": "1、管道"},
       "meaning": "Pipes are too slow for frequent exchange.",
       "semantics": {"text": "A measured rate.", "references": ["pipe(7)"]},
       "predicted": "measured", "folder": "conformance/pipe",
       "rule": {"text": "refuted at 10000 round trips a second or more",
                "figure": "unpinned.round_trips_per_second",
                "aggregate": "min", "op": ">=", "threshold": 10000,
                "then": "refuted", "else": "confirmed"}}
    ]
  })json");
}

TEST(ParseRegistryTest, ReadsEveryField) {
  const Registry registry = ParseRegistry(ValidDocument().dump(), kName);
  EXPECT_EQ(registry.version, 1);
  EXPECT_EQ(registry.note_title, "进程间的通信方式");
  EXPECT_EQ(registry.note_source, "a study note");
  ASSERT_EQ(registry.areas.size(), 2u);
  EXPECT_EQ(registry.areas[1].id, "mq");
  EXPECT_EQ(registry.areas[1].title, "Message queues");
  ASSERT_EQ(registry.claims.size(), 4u);

  const Claim& blocks = registry.claims[0];
  EXPECT_EQ(blocks.id, "pipe.blocks");
  EXPECT_EQ(blocks.area, "pipe");
  EXPECT_FALSE(blocks.beyond_note);
  EXPECT_EQ(blocks.note_quote, "如果没有数据需要阻塞等待数据");
  EXPECT_EQ(blocks.note_section, "1、管道");
  EXPECT_EQ(blocks.meaning, "A reader blocks while the pipe is empty.");
  EXPECT_EQ(blocks.semantics, "read(2) on an empty pipe blocks.");
  EXPECT_EQ(blocks.references,
            (std::vector<std::string>{"pipe(7)", "read(2)"}));
  EXPECT_EQ(blocks.predicted, Predicted::kConfirmed);
  EXPECT_EQ(blocks.folder, "conformance/pipe");
  EXPECT_FALSE(blocks.rule.has_value());

  const Claim& beyond = registry.claims[1];
  EXPECT_TRUE(beyond.beyond_note);
  EXPECT_EQ(beyond.note_quote, "");

  EXPECT_EQ(registry.claims[2].predicted, Predicted::kNotCheckable);
  EXPECT_EQ(registry.claims[2].not_checkable, "the kernel does not expose it");

  const Claim& slow = registry.claims[3];
  EXPECT_EQ(slow.predicted, Predicted::kMeasured);
  ASSERT_TRUE(slow.rule.has_value());
  EXPECT_EQ(slow.rule->figure, "unpinned.round_trips_per_second");
  EXPECT_EQ(slow.rule->aggregate, "min");
  EXPECT_EQ(slow.rule->op, ">=");
  EXPECT_EQ(slow.rule->threshold, 10000);
  EXPECT_EQ(slow.rule->verdict_if_true, "refuted");
  EXPECT_EQ(slow.rule->verdict_if_false, "confirmed");
}

TEST(ParseRegistryTest, ReadsABenchmarkRule) {
  json document = ValidDocument();
  json& rule = document["claims"][3]["rule"];
  rule["figure"] = "latency.pipe.*.over_fastest";
  rule["benchmarks"] = {{"kind", "latency"},
                        {"mechanisms", {"pipe", "fifo"}},
                        {"sizes", {64, 4096}},
                        {"relative_to", "fastest"}};
  rule["figure"] = "latency.*.over_fastest";
  const Registry registry = ParseRegistry(document.dump(), "test.json");
  const MeasuredRule& read = *registry.claims[3].rule;
  ASSERT_TRUE(read.benchmarks.has_value());
  EXPECT_EQ(read.benchmarks->kind, "latency");
  EXPECT_EQ(read.benchmarks->mechanisms,
            (std::vector<std::string>{"pipe", "fifo"}));
  EXPECT_EQ(read.benchmarks->sizes, (std::vector<int64_t>{64, 4096}));
  EXPECT_EQ(read.benchmarks->FigureName("fifo", 4096),
            "latency.fifo.4096.over_fastest");
  EXPECT_FALSE(ParseRegistry(ValidDocument().dump(), "test.json")
                   .claims[3]
                   .rule->benchmarks.has_value());
}

TEST(ParseRegistryTest, FindsClaimsById) {
  const Registry registry = ParseRegistry(ValidDocument().dump(), kName);
  ASSERT_NE(registry.Find("pipe.slow"), nullptr);
  EXPECT_EQ(registry.Find("pipe.slow")->id, "pipe.slow");
  EXPECT_EQ(registry.Find("pipe.slo"), nullptr);
  EXPECT_EQ(registry.Find(""), nullptr);
}

TEST(ParseRegistryTest, NamesEveryPrediction) {
  EXPECT_EQ(PredictedName(Predicted::kConfirmed), "confirmed");
  EXPECT_EQ(PredictedName(Predicted::kRefined), "refined");
  EXPECT_EQ(PredictedName(Predicted::kRefuted), "refuted");
  EXPECT_EQ(PredictedName(Predicted::kMeasured), "measured");
  EXPECT_EQ(PredictedName(Predicted::kNotCheckable), "not-checkable");
}

TEST(ParseRegistryTest, ThresholdMayBeFractional) {
  json document = ValidDocument();
  document["claims"][3]["rule"]["threshold"] = 0.5;
  EXPECT_EQ(ParseRegistry(document.dump(), kName).claims[3].rule->threshold,
            0.5);
}

TEST(ParseRegistryTest, RefusesTextThatIsNotJson) {
  try {
    ParseRegistry(R"({"version": 1,)", kName);
    FAIL() << "truncated JSON was accepted";
  } catch (const RegistryError& error) {
    EXPECT_THAT(error.what(),
                StartsWith(std::string(kName) + ": not valid JSON"));
  }
}

TEST(ParseRegistryTest, RefusesAKeyGivenTwice) {
  // Text, not json: a json object cannot hold a key twice.
  std::string text = ValidDocument().dump();
  text.replace(text.find(R"("meaning":)"), 0, R"("meaning": "first", )");
  try {
    ParseRegistry(text, kName);
    FAIL() << "a repeated key was accepted";
  } catch (const RegistryError& error) {
    EXPECT_THAT(error.what(), HasSubstr(std::string(kName) +
                                        R"(: key "meaning" appears twice)"));
  }
}

TEST(LoadRegistryTest, NamesAFileItCannotOpen) {
  try {
    LoadRegistry("/nonexistent/claims.json");
    FAIL() << "a missing file loaded";
  } catch (const RegistryError& error) {
    EXPECT_THAT(error.what(), StartsWith("/nonexistent/claims.json: "));
  }
}

// One broken rule: how to break the valid document, and what the error
// must say (after "test/claims.json: ").
struct BrokenRule {
  std::string name;
  std::function<void(json&)> breaks;
  std::string message;
};

class BrokenRegistryTest : public ::testing::TestWithParam<BrokenRule> {};

TEST_P(BrokenRegistryTest, IsRefusedSayingWhy) {
  json document = ValidDocument();
  GetParam().breaks(document);
  try {
    ParseRegistry(document.dump(), kName);
    FAIL() << "accepted: " << document.dump(2);
  } catch (const RegistryError& error) {
    EXPECT_THAT(error.what(),
                HasSubstr(std::string(kName) + ": " + GetParam().message));
  }
}

json& Claim0(json& document) { return document["claims"][0]; }
json& Rule(json& document) { return document["claims"][3]["rule"]; }
json BenchmarkRule() {
  return {{"kind", "latency"},
          {"mechanisms", {"pipe"}},
          {"sizes", {64, 4096}},
          {"relative_to", "fastest"}};
}

const BrokenRule kBrokenRules[] = {
    {"VersionOtherThanOne", [](json& d) { d["version"] = 2; },
     R"("version" must be 1)"},
    {"VersionMissing", [](json& d) { d.erase("version"); },
     R"("version" is missing)"},
    {"UnknownTopLevelKey", [](json& d) { d["claimz"] = json::array(); },
     R"("claimz" is not a known key)"},
    {"NoteTitleEmpty", [](json& d) { d["note"]["title"] = ""; },
     R"(note: "title" must be a non-empty string)"},
    {"NoteSourceMissing", [](json& d) { d["note"].erase("source"); },
     R"(note: "source" is missing)"},
    {"NoAreas", [](json& d) { d["areas"] = json::array(); },
     R"("areas" must list at least one area)"},
    {"AreaListedTwice", [](json& d) { d["areas"][1]["id"] = "pipe"; },
     R"(areas[1]: area "pipe" is listed twice)"},
    {"AreaTitleMissing", [](json& d) { d["areas"][0].erase("title"); },
     R"(areas[0]: "title" is missing)"},
    {"NoClaims", [](json& d) { d["claims"] = json::array(); },
     R"("claims" must list at least one claim)"},
    {"ClaimNotAnObject", [](json& d) { d["claims"][2] = "pipe.blocks"; },
     "claims[2]: must be an object"},
    {"ClaimWithoutId", [](json& d) { Claim0(d).erase("id"); },
     R"(claims[0]: "id" is missing)"},
    {"IdWithCapitals", [](json& d) { Claim0(d)["id"] = "pipe.Blocks"; },
     R"(claim pipe.Blocks: "id" must look like "area.some-words")"},
    {"IdWithoutWords", [](json& d) { Claim0(d)["id"] = "pipe"; },
     R"(claim pipe: "id" must look like)"},
    {"IdWithEmptyWord", [](json& d) { Claim0(d)["id"] = "pipe..blocks"; },
     R"(claim pipe..blocks: "id" must look like)"},
    {"IdRegisteredTwice", [](json& d) { d["claims"][3]["id"] = "pipe.blocks"; },
     "claim pipe.blocks: the id is registered twice (claims[3]"},
    {"UnknownClaimKey", [](json& d) { Claim0(d)["meanig"] = "typo"; },
     R"(claim pipe.blocks: "meanig" is not a known key)"},
    {"AreaNotThePrefix", [](json& d) { Claim0(d)["area"] = "mq"; },
     R"(claim pipe.blocks: "area" "mq" must be the id's prefix "pipe")"},
    {"AreaNotListed",
     [](json& d) {
       Claim0(d)["id"] = "shm.blocks";
       Claim0(d)["area"] = "shm";
     },
     R"(claim shm.blocks: "area" "shm" is not listed in "areas")"},
    {"BeyondIdMarkedAsOfTheNote",
     [](json& d) { d["claims"][1]["beyond_note"] = false; },
     R"(claim pipe.beyond.atomic: "beyond_note" must be true)"},
    {"NoteIdMarkedAsBeyond",
     [](json& d) {
       Claim0(d)["beyond_note"] = true;
       Claim0(d).erase("note");
     },
     R"(claim pipe.blocks: "beyond_note" must be false)"},
    {"BeyondNoteNotABool", [](json& d) { Claim0(d)["beyond_note"] = "no"; },
     R"(claim pipe.blocks: "beyond_note" must be true or false)"},
    {"QuoteBeyondTheNote",
     [](json& d) {
       d["claims"][1]["note"] = {{"quote", "管道"}, {"section", "1、管道"}};
     },
     R"(claim pipe.beyond.atomic: "note" must be absent)"},
    {"NoteMissing", [](json& d) { Claim0(d).erase("note"); },
     R"(claim pipe.blocks: "note" is missing)"},
    {"QuoteEmpty", [](json& d) { Claim0(d)["note"]["quote"] = ""; },
     R"(claim pipe.blocks: note: "quote" must be a non-empty string)"},
    {"SectionMissing", [](json& d) { Claim0(d)["note"].erase("section"); },
     R"(claim pipe.blocks: note: "section" is missing)"},
    {"UnknownNoteKey", [](json& d) { Claim0(d)["note"]["page"] = 3; },
     R"(claim pipe.blocks: note: "page" is not a known key)"},
    {"MeaningEmpty", [](json& d) { Claim0(d)["meaning"] = ""; },
     R"(claim pipe.blocks: "meaning" must be a non-empty string)"},
    {"MeaningNotAString", [](json& d) { Claim0(d)["meaning"] = 7; },
     R"(claim pipe.blocks: "meaning" must be a non-empty string)"},
    {"SemanticsNotAnObject",
     [](json& d) { Claim0(d)["semantics"] = "read blocks"; },
     R"(claim pipe.blocks: semantics: must be an object)"},
    {"SemanticsTextEmpty", [](json& d) { Claim0(d)["semantics"]["text"] = ""; },
     R"(claim pipe.blocks: semantics: "text" must be a non-empty string)"},
    {"NoReferences",
     [](json& d) { Claim0(d)["semantics"]["references"] = json::array(); },
     R"(claim pipe.blocks: semantics: "references" must name at least one)"},
    {"ReferenceWithoutSection",
     [](json& d) { Claim0(d)["semantics"]["references"][1] = "read"; },
     R"(claim pipe.blocks: semantics: "references" entry "read" must be a )"
     R"x(man page like "pipe(7)")x"},
    {"ReferenceNotAString",
     [](json& d) { Claim0(d)["semantics"]["references"][0] = 7; },
     R"(claim pipe.blocks: semantics: "references" entry 7 must be a man)"},
    {"PredictedUnknown", [](json& d) { Claim0(d)["predicted"] = "deviates"; },
     R"(claim pipe.blocks: "predicted" must be one of "confirmed", )"},
    {"FolderOutsideConformance",
     [](json& d) { Claim0(d)["folder"] = "tools/pipe"; },
     R"(claim pipe.blocks: "folder" "tools/pipe" must be a folder under )"
     R"(conformance/)"},
    {"FolderIsConformanceItself",
     [](json& d) { Claim0(d)["folder"] = "conformance/"; },
     R"(claim pipe.blocks: "folder" "conformance/" must be a folder under)"},
    {"AlsoDecidedInOutsideConformance",
     [](json& d) { Claim0(d)["also_decided_in"] = {"tools/socket"}; },
     R"(claim pipe.blocks: "also_decided_in" entry "tools/socket" must be )"
     R"(another folder under conformance/)"},
    {"AlsoDecidedInRepeatsTheFolder",
     [](json& d) { Claim0(d)["also_decided_in"] = {"conformance/pipe"}; },
     R"(claim pipe.blocks: "also_decided_in" entry "conformance/pipe" must )"},
    {"AlsoDecidedInEmpty",
     [](json& d) { Claim0(d)["also_decided_in"] = json::array(); },
     R"(claim pipe.blocks: "also_decided_in" must be absent rather than )"},
    {"NotCheckableWithoutWhy",
     [](json& d) { d["claims"][2].erase("not_checkable"); },
     R"(claim pipe.not-checked: "not_checkable" is missing)"},
    {"WhyOnACheckableClaim",
     [](json& d) { Claim0(d)["not_checkable"] = "no reason"; },
     R"(claim pipe.blocks: "not_checkable" is only for claims predicted )"
     R"("not-checkable")"},
    {"MeasuredWithoutRule", [](json& d) { d["claims"][3].erase("rule"); },
     R"(claim pipe.slow: "rule" is missing)"},
    {"RuleOnAConfirmedClaim",
     [](json& d) { Claim0(d)["rule"] = d["claims"][3]["rule"]; },
     R"(claim pipe.blocks: "rule" is only for claims predicted "measured")"},
    {"RuleNotAnObject", [](json& d) { d["claims"][3]["rule"] = "fast"; },
     R"(claim pipe.slow: rule: must be an object)"},
    {"RuleTextMissing", [](json& d) { Rule(d).erase("text"); },
     R"(claim pipe.slow: rule: "text" is missing)"},
    {"RuleFigureEmpty", [](json& d) { Rule(d)["figure"] = ""; },
     R"(claim pipe.slow: rule: "figure" must be a non-empty string)"},
    {"RuleAggregateUnknown", [](json& d) { Rule(d)["aggregate"] = "mean"; },
     R"(claim pipe.slow: rule: "aggregate" must be one of "min", "max", "all")"},
    {"RuleOpUnknown", [](json& d) { Rule(d)["op"] = "~="; },
     R"(claim pipe.slow: rule: "op" must be one of "<", "<=", ">", ">=", "==")"},
    {"RuleEqualsWithMin", [](json& d) { Rule(d)["op"] = "=="; },
     R"(claim pipe.slow: rule: "op" "==" goes with aggregate "all")"},
    {"RuleAllWithLess",
     [](json& d) {
       Rule(d)["aggregate"] = "all";
       Rule(d)["op"] = "<";
     },
     R"(claim pipe.slow: rule: "op" "==" goes with aggregate "all")"},
    {"RuleEqualsWithoutTolerance",
     [](json& d) {
       Rule(d)["aggregate"] = "all";
       Rule(d)["op"] = "==";
     },
     R"(claim pipe.slow: rule: "tolerance" is required with op "==")"},
    {"RuleToleranceWithoutEquals", [](json& d) { Rule(d)["tolerance"] = 1; },
     R"(claim pipe.slow: rule: "tolerance" is only read with op "==")"},
    {"RuleNegativeTolerance",
     [](json& d) {
       Rule(d)["aggregate"] = "all";
       Rule(d)["op"] = "==";
       Rule(d)["tolerance"] = -1;
     },
     R"(claim pipe.slow: rule: "tolerance" must not be negative)"},
    {"RuleThresholdNotANumber", [](json& d) { Rule(d)["threshold"] = "10k"; },
     R"(claim pipe.slow: rule: "threshold" must be a number)"},
    {"RuleThenUnknown", [](json& d) { Rule(d)["then"] = "measured"; },
     R"(claim pipe.slow: rule: "then" must be one of "confirmed", )"},
    {"RuleElseUnknown", [](json& d) { Rule(d)["else"] = "not-checkable"; },
     R"(claim pipe.slow: rule: "else" must be one of "confirmed", )"},
    {"RuleUnknownKey", [](json& d) { Rule(d)["verdict_if_true"] = "refuted"; },
     R"(claim pipe.slow: rule: "verdict_if_true" is not a known key)"},
    // A benchmark rule whose glob cannot see its own figures would leave the
    // claim unverified for ever.
    {"BenchmarkFigureNotMatched",
     [](json& d) { Rule(d)["benchmarks"] = BenchmarkRule(); },
     "claim pipe.slow: rule: benchmarks: figure latency.pipe.64.over_fastest "
     "does not match the rule's \"figure\""},
    {"BenchmarkUnknownKey",
     [](json& d) {
       Rule(d)["figure"] = "latency.*";
       Rule(d)["benchmarks"] = BenchmarkRule();
       Rule(d)["benchmarks"]["size"] = 64;
     },
     R"(claim pipe.slow: rule: benchmarks: "size" is not a known key)"},
    {"BenchmarkNoSizes",
     [](json& d) {
       Rule(d)["figure"] = "latency.*";
       Rule(d)["benchmarks"] = BenchmarkRule();
       Rule(d)["benchmarks"]["sizes"] = json::array();
     },
     R"(claim pipe.slow: rule: benchmarks: "mechanisms" and "sizes" must not be empty)"},
    {"BenchmarkSizeNotBytes",
     [](json& d) {
       Rule(d)["figure"] = "latency.*";
       Rule(d)["benchmarks"] = BenchmarkRule();
       Rule(d)["benchmarks"]["sizes"] = {64, -1};
     },
     R"(claim pipe.slow: rule: benchmarks: "sizes" must hold positive integers (bytes))"},
    {"BenchmarkMechanismNotAName",
     [](json& d) {
       Rule(d)["figure"] = "latency.*";
       Rule(d)["benchmarks"] = BenchmarkRule();
       Rule(d)["benchmarks"]["mechanisms"] = {"pipe.two"};
     },
     R"(claim pipe.slow: rule: benchmarks: "pipe.two" is not a benchmark name part)"},
};

INSTANTIATE_TEST_SUITE_P(EachRule, BrokenRegistryTest,
                         ::testing::ValuesIn(kBrokenRules),
                         [](const ::testing::TestParamInfo<BrokenRule>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ipcproof::claims
