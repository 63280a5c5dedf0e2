// verify --benchmarks' reading of benchmarks.json, against files made here:
// a file that may decide and each way one must not (incomplete, another
// kernel, older than the run, a smoke run, an unoptimised build, not JSON),
// the figures the real registry's benchmark rules read, and the verdicts
// they give through DecideClaims.
#include "tools/verify/benchmark_run.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/claims/registry.h"
#include "tools/verify/verdict.h"

namespace ipcproof::verify {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using Json = nlohmann::json;

constexpr char kRelease[] = "6.18.44-test";
constexpr char kStarted[] = "2026-12-01T18:00:00Z";
constexpr char kFrequent[] = "pipe.not-for-frequent-exchange";
constexpr char kBigData[] = "mq.not-for-big-data";

const claims::Registry& RealRegistry() {
  static const claims::Registry registry =
      claims::LoadRegistry("docs/claims.json");
  return registry;
}

Json Result(const std::string& kind, const std::string& mechanism, int size,
            double median) {
  return {{"kind", kind},
          {"mechanism", mechanism},
          {"size", size},
          {"binary", "ipc_bench"},
          {"unit", kind == "latency" ? "ns" : "bytes_per_second"},
          {"repetitions", 5},
          {"median", median},
          {"mean", median},
          {"stddev", median / 100},
          {"cv", 0.01}};
}

Json Skipped(const std::string& kind, const std::string& mechanism, int size,
             const std::string& why) {
  return {
      {"kind", kind},          {"mechanism", mechanism},     {"size", size},
      {"binary", "ipc_bench"}, {"unit", "bytes_per_second"}, {"repetitions", 5},
      {"skipped", why}};
}

// A complete, optimised run on kRelease after kStarted in which the pipe's
// round trip is `pipe_over_fastest` times shm_futex's at every small size
// and each queue moves `queue_over_pipe` times the pipe's bytes per second
// at every large size.
Json Document(double pipe_over_fastest, double queue_over_pipe) {
  Json results = Json::array();
  for (int size : {64, 256, 1024, 4096}) {
    results.push_back(Result("latency", "shm_futex", size, 10000));
    results.push_back(
        Result("latency", "pipe", size, 10000 * pipe_over_fastest));
    results.push_back(Result("latency", "unix_stream", size, 30000));
  }
  for (int size : {65536, 262144, 1048576}) {
    results.push_back(Result("throughput", "pipe", size, 1e9));
    results.push_back(
        Result("throughput", "sysv_msg", size, 1e9 * queue_over_pipe));
    results.push_back(
        Result("throughput", "posix_mq", size, 1e9 * queue_over_pipe));
  }
  return {{"schema", "ipcproof-benchmarks"},
          {"version", 1},
          {"run",
           {{"kernel", {{"release", kRelease}, {"version", "#1"}}},
            {"date", "2026-12-01T18:05:00Z"},
            {"command", "bench --out x"},
            {"cpu_model", "Test CPU"},
            {"cpus", 2},
            {"repetitions", 5},
            {"pinning", "cpu0,cpu1"},
            {"ipc_namespace", "private"},
            {"smoke", false},
            {"binaries",
             {{{"name", "ipc_bench"},
               {"seconds", 100.5},
               {"context", {{"build", "optimized"}}}}}},
            {"complete", true},
            {"problems", Json::array()},
            {"missing", Json::array()}}},
          {"results", results}};
}

BenchmarkExpectations Expect(bool smoke = false) {
  return {.kernel_release = kRelease,
          .not_before_utc = kStarted,
          .smoke = smoke,
          .file_in_report = "benchmarks/benchmarks.json"};
}

BenchmarkReading Read(const Json& document, bool smoke = false) {
  return ReadBenchmarkRun(document.dump(), Expect(smoke));
}

// The verdicts of the two benchmark claims, decided from `run`'s tests
// alone.
std::vector<ClaimReport> Decide(const BenchmarkRun& run) {
  return DecideClaims(
      RealRegistry(),
      BenchmarkTests(RealRegistry(), {kFrequent, kBigData}, run), {}, kRelease,
      {kFrequent, kBigData});
}

TEST(BenchmarkRunTest, AWholeRunOfThisKernelMayDecide) {
  const BenchmarkReading reading = Read(Document(3, 0.2));
  EXPECT_FALSE(reading.failed);
  EXPECT_EQ(reading.run.unusable, "");
  EXPECT_EQ(reading.run.file, "benchmarks/benchmarks.json");
  EXPECT_EQ(reading.run.cpu_model, "Test CPU");
  EXPECT_EQ(reading.run.pinning, "cpu0,cpu1");
  EXPECT_DOUBLE_EQ(reading.run.seconds, 100.5);
  ASSERT_EQ(reading.run.results.size(), 21u);
  EXPECT_EQ(reading.run.results[1].mechanism, "pipe");
  EXPECT_DOUBLE_EQ(*reading.run.results[1].median, 30000);
}

TEST(BenchmarkRunTest, TheTestsCarryTheRuleFiguresAndTheirMedians) {
  const std::vector<TestResult> tests =
      BenchmarkTests(RealRegistry(), {}, Read(Document(3, 0.2)).run);
  ASSERT_EQ(tests.size(), 2u);
  const TestResult& frequent = tests[0];
  EXPECT_EQ(frequent.binary, kBenchmarkBinary);
  EXPECT_EQ(frequent.full_name, std::string("Benchmarks.") + kFrequent);
  EXPECT_EQ(frequent.first.status, TestStatus::kPassed);
  EXPECT_THAT(frequent.claims, testing::ElementsAre(kFrequent));
  EXPECT_THAT(frequent.measured,
              Contains(Pair("latency.fastest.64", "shm_futex")));
  EXPECT_THAT(frequent.measured,
              Contains(Pair("latency.shm_futex.64", "10000")));
  EXPECT_THAT(frequent.measured, Contains(Pair("latency.pipe.4096", "30000")));
  EXPECT_THAT(frequent.measured,
              Contains(Pair("latency.pipe.4096.over_fastest", "3")));
  const TestResult& big = tests[1];
  EXPECT_THAT(big.measured,
              Contains(Pair("throughput.posix_mq.1048576.over_pipe", "0.2")));
  EXPECT_THAT(big.measured, Contains(Pair("throughput.pipe.65536", "1e+09")));
}

TEST(BenchmarkRunTest, TheRulesDecideFromTheFigures) {
  std::vector<ClaimReport> verdicts = Decide(Read(Document(3, 0.2)).run);
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_EQ(verdicts[0].verdict, Verdict::kConfirmed)
      << verdicts[0].explanation;
  EXPECT_THAT(verdicts[0].rule_outcome, HasSubstr("= 3 >= 2"));
  EXPECT_EQ(verdicts[1].verdict, Verdict::kConfirmed)
      << verdicts[1].explanation;

  // A pipe within twice the fastest, queues as fast as a pipe: both refuted.
  verdicts = Decide(Read(Document(1.5, 0.9)).run);
  EXPECT_EQ(verdicts[0].verdict, Verdict::kRefuted) << verdicts[0].explanation;
  EXPECT_EQ(verdicts[1].verdict, Verdict::kRefuted) << verdicts[1].explanation;

  // The pipe as the fastest itself: 1 over the fastest.
  verdicts = Decide(Read(Document(0.5, 0.2)).run);
  EXPECT_EQ(verdicts[0].verdict, Verdict::kRefuted);
  EXPECT_THAT(verdicts[0].rule_outcome, HasSubstr("= 1 not >= 2"));
}

TEST(BenchmarkRunTest, ASkippedSizeGivesNoRatioAndSaysWhy) {
  Json document = Document(3, 0.2);
  for (Json& result : document["results"]) {
    if (result["mechanism"] == "posix_mq" && result["size"] == 1048576) {
      result = Skipped("throughput", "posix_mq", 1048576,
                       "<msgsize> above RLIMIT_MSGQUEUE 819200");
    }
    // The reference skipped: no ratio for either queue at that size.
    if (result["mechanism"] == "pipe" && result["size"] == 262144) {
      result = Skipped("throughput", "pipe", 262144, "pipe broke");
    }
  }
  const std::vector<TestResult> tests =
      BenchmarkTests(RealRegistry(), {kBigData}, Read(document).run);
  ASSERT_EQ(tests.size(), 1u);
  const auto& measured = tests[0].measured;
  EXPECT_THAT(
      measured,
      Contains(Pair("throughput.posix_mq.1048576",
                    "skipped: <msgsize> above RLIMIT_MSGQUEUE 819200")));
  EXPECT_THAT(measured,
              Contains(Pair("throughput.pipe.262144", "skipped: pipe broke")));
  for (const auto& [name, value] : measured) {
    EXPECT_NE(name, "throughput.posix_mq.1048576.over_pipe");
    EXPECT_NE(name, "throughput.sysv_msg.262144.over_pipe");
  }
  EXPECT_THAT(measured,
              Contains(Pair("throughput.sysv_msg.1048576.over_pipe", "0.2")));
}

// Each way a file must not decide: it fails the run and the claims stay
// unverified, naming why.
void ExpectRefused(const BenchmarkReading& reading, const std::string& why) {
  EXPECT_TRUE(reading.failed);
  EXPECT_THAT(reading.run.unusable, HasSubstr(why));
  const std::vector<ClaimReport> verdicts = Decide(reading.run);
  for (const ClaimReport& claim : verdicts) {
    EXPECT_EQ(claim.verdict, Verdict::kUnverified) << claim.claim.id;
    EXPECT_THAT(claim.explanation, HasSubstr(why)) << claim.claim.id;
  }
}

TEST(BenchmarkRunTest, AnIncompleteRunDecidesNothing) {
  Json document = Document(3, 0.2);
  document["run"]["complete"] = false;
  document["run"]["problems"] = {"ipc_bench: killed by SIGSEGV"};
  document["run"]["missing"] = {"ipc_bench: latency/pipe/64"};
  const BenchmarkReading reading = Read(document);
  ExpectRefused(
      reading, "the benchmark run is incomplete: ipc_bench: killed by SIGSEGV");
  EXPECT_THAT(reading.run.unusable,
              HasSubstr("no result for ipc_bench: latency/pipe/64"));
}

TEST(BenchmarkRunTest, AnotherKernelsRunDecidesNothing) {
  Json document = Document(3, 0.2);
  document["run"]["kernel"]["release"] = "6.1.0-other";
  ExpectRefused(Read(document), "made on kernel \"6.1.0-other\"");
}

TEST(BenchmarkRunTest, AnOlderFileDecidesNothing) {
  Json document = Document(3, 0.2);
  document["run"]["date"] = "2026-12-01T17:59:59Z";
  ExpectRefused(Read(document), "before this verify run started");
}

TEST(BenchmarkRunTest, AnUnoptimisedBuildDecidesNothing) {
  Json document = Document(3, 0.2);
  document["run"]["binaries"][0]["context"]["build"] = "unoptimized";
  ExpectRefused(Read(document), "ipc_bench was built unoptimized");
  document["run"]["binaries"][0]["context"].erase("build");
  ExpectRefused(Read(document), "built not reported");
}

TEST(BenchmarkRunTest, AnotherSchemaOrNoJsonDecidesNothing) {
  Json document = Document(3, 0.2);
  document["version"] = 2;
  ExpectRefused(Read(document), "not schema \"ipcproof-benchmarks\" version 1");
  ExpectRefused(ReadBenchmarkRun("{\"run\": tru", Expect()), "not JSON");
  ExpectRefused(
      MissingBenchmarkRun("the runner was killed by SIGKILL", Expect()),
      "killed by SIGKILL");
}

TEST(BenchmarkRunTest, ASmokeRunAskedForDecidesNothingWithoutFailing) {
  Json document = Document(3, 0.2);
  document["run"]["smoke"] = true;
  const BenchmarkReading asked = Read(document, /*smoke=*/true);
  EXPECT_FALSE(asked.failed);
  EXPECT_THAT(asked.run.unusable, HasSubstr("never how fast"));
  for (const ClaimReport& claim : Decide(asked.run)) {
    EXPECT_EQ(claim.verdict, Verdict::kUnverified);
  }
  ExpectRefused(Read(document, /*smoke=*/false),
                "a smoke run, which was not asked");
}

TEST(BenchmarkRunTest, WithoutBenchmarksTheClaimSaysHowToMakeThem) {
  // A passing conformance test declares the claim and records a rate of its
  // own; the benchmark rule does not read it.
  TestResult test;
  test.binary = "conformance/pipe/pipe_test";
  test.full_name = "Pipe.RoundTripRateIsMeasured";
  test.first.status = TestStatus::kPassed;
  test.claims = {kFrequent};
  test.measured = {{"latency.pipe.64.over_fastest", "9"}};
  const std::vector<ClaimReport> verdicts =
      DecideClaims(RealRegistry(), {test}, {}, kRelease, {kFrequent});
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].verdict, Verdict::kUnverified);
  EXPECT_THAT(verdicts[0].explanation, HasSubstr("--benchmarks"));
  EXPECT_THAT(verdicts[0].figures, IsEmpty());
}

}  // namespace
}  // namespace ipcproof::verify
