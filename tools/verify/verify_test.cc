// Runs the real verify binary against suites of fake conformance binaries
// (fake_suite, scripted per test) with the real registry, and checks what a
// user and a kernel CI see: the exit status, the stderr lines, the report
// files, and that a failed run leaves an earlier report byte for byte.
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::json;

// Far above what any run here takes (fakes answer in milliseconds); only a
// verify that hangs meets it.
constexpr int kVerifyBoundMs = 30000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};

// Every file under a directory, by relative path, with its bytes.
std::map<std::string, std::string>* snapshot_target = nullptr;
size_t snapshot_prefix = 0;
int AddToSnapshot(const char* path, const struct stat* st, int type,
                  struct FTW*) {
  const std::string relative = std::string(path).substr(snapshot_prefix);
  if (type == FTW_F) {
    (*snapshot_target)[relative] = ReadFile(path);
  } else if (type == FTW_D) {
    (*snapshot_target)[relative + "/"] = std::to_string(st->st_mode);
  }
  return 0;
}
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  snapshot_target = &files;
  snapshot_prefix = dir.size();
  ::nftw(dir.c_str(), AddToSnapshot, 16, FTW_PHYS);
  return files;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/verify-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    const std::string runfiles =
        std::string(std::getenv("TEST_SRCDIR")) + "/ipcproof";
    verify_ = runfiles + "/tools/verify/verify";
    fake_ = runfiles + "/tools/verify/fake_suite";
    ASSERT_EQ(::mkdir((dir_ + "/bin").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((dir_ + "/state").c_str(), 0755), 0);
    out_ = dir_ + "/out";
  }
  void TearDown() override {
    ::nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  }

  // Writes the script and a suite file listing one fake binary per entry of
  // `binaries` (name -> plan), in order. Returns the suite file.
  std::string Suite(const std::vector<std::pair<std::string, Json>>& binaries) {
    Json script;
    script["state_dir"] = dir_ + "/state";
    std::string suite;
    for (const auto& [name, plan] : binaries) {
      const std::string link = dir_ + "/bin/" + name;
      ::symlink(fake_.c_str(), link.c_str());
      script["binaries"][name] = plan;
      suite += link + "\n";
    }
    std::ofstream(dir_ + "/script.json") << script.dump(2);
    const std::string path = dir_ + "/suite.txt";
    std::ofstream(path) << suite;
    return path;
  }

  static Json Test(const std::string& name, const std::string& claim,
                   const std::string& outcome = "pass") {
    return {{"name", name}, {"claims", {claim}}, {"outcome", outcome}};
  }

  // An earlier report in the output directory, as verify leaves one.
  void MakeEarlierReport() {
    ASSERT_EQ(::mkdir(out_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((out_ + "/logs").c_str(), 0755), 0);
    std::ofstream(out_ + "/.ipcproof-report") << "marker\n";
    std::ofstream(out_ + "/report.md") << "# the earlier report\n";
    std::ofstream(out_ + "/logs/alpha.txt") << "[ RUN      ] Old.Test\n";
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // Runs verify with `args`; the fake script and this test's runfiles in
  // its environment, not Bazel's run variables unless `extra_env` sets them.
  Outcome Run(const std::vector<std::string>& args,
              const std::vector<std::string>& extra_env = {}) {
    return Wait(Start(args, extra_env));
  }

  pid_t Start(const std::vector<std::string>& args,
              const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> words{verify_};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_words;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      if (entry.starts_with("BUILD_WORKING_DIRECTORY=") ||
          entry.starts_with("BUILD_WORKSPACE_DIRECTORY=")) {
        continue;
      }
      env_words.push_back(entry);
    }
    env_words.push_back("IPCPROOF_FAKE_SCRIPT=" + dir_ + "/script.json");
    env_words.insert(env_words.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (std::string& w : env_words) envp.push_back(w.data());
    envp.push_back(nullptr);

    const std::string out_file = dir_ + "/stdout.txt";
    const std::string err_file = dir_ + "/stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    started_ = std::chrono::steady_clock::now();
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, verify_.c_str(), &actions, nullptr,
                                      argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      ADD_FAILURE() << "posix_spawn(" << verify_ << "): " << spawned;
      return -1;
    }
    return pid;
  }

  Outcome Wait(pid_t pid) {
    Outcome outcome;
    if (pid < 0) return outcome;
    // A pidfd becomes readable when verify exits: a bounded wait, no polling.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    pollfd exited{pidfd, POLLIN, 0};
    if (pidfd < 0 || ::poll(&exited, 1, kVerifyBoundMs) != 1) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "verify did not end within " << kVerifyBoundMs << " ms";
    }
    if (pidfd >= 0) ::close(pidfd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    outcome.seconds = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - started_)
                          .count();
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.out = ReadFile(dir_ + "/stdout.txt");
    outcome.err = ReadFile(dir_ + "/stderr.txt");
    return outcome;
  }

  // The verdict key report.json gives a claim.
  std::string VerdictOf(const std::string& claim) {
    const Json report = Json::parse(ReadFile(out_ + "/report.json"));
    for (const Json& entry : report["claims"]) {
      if (entry["id"] == claim) return entry["verdict"];
    }
    return "(absent)";
  }

  std::vector<std::string> Ran() {
    std::vector<std::string> lines;
    std::ifstream in(dir_ + "/state/ran.txt");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // The run failed with exit status 2, said `message`, and left the earlier
  // report as it was, with no staging directory beside it.
  void ExpectRefused(const Outcome& outcome, const std::string& message,
                     const std::map<std::string, std::string>& before) {
    EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr(message));
    EXPECT_EQ(Snapshot(out_), before);
    for (const auto& [path, bytes] : Snapshot(dir_)) {
      EXPECT_THAT(path, Not(StartsWith("/out.tmp-"))) << "left behind";
    }
  }

  std::string dir_;
  std::string verify_;
  std::string fake_;
  std::string out_;
  std::chrono::steady_clock::time_point started_;
};

TEST_F(VerifyTest, AllPassingExitsZeroAndWritesEveryFormat) {
  const std::string suite =
      Suite({{"alpha",
              {{"tests",
                {Test("FakePipe.Blocks", "pipe.blocks"),
                 Test("FakePipe.TwoKinds", "pipe.two-kinds")}}}},
             {"beta",
              {{"tests",
                {Test("FakeFifo.Unrelated", "fifo.unrelated-processes")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_, "--timeout", "7"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* file :
       {"report.md", "report.html", "report.json", "junit.xml", "report.ktap",
        "results.json", "logs/alpha.txt", "logs/beta.txt"}) {
    EXPECT_GT(ReadFile(out_ + "/" + file).size(), 0u) << file;
  }
  EXPECT_EQ(VerdictOf("pipe.blocks"), "confirmed");
  EXPECT_EQ(VerdictOf("fifo.unrelated-processes"), "confirmed");
  EXPECT_EQ(VerdictOf("pipe.unidirectional"), "untested");
  // Progress on stderr (not a terminal here: one line per binary).
  EXPECT_THAT(run.err, HasSubstr("verify: [1/2] " + dir_ +
                                 "/bin/alpha: 2/2 tests, 0 failed\n"));
  EXPECT_THAT(run.err, HasSubstr("verify: [2/2] " + dir_ +
                                 "/bin/beta: 1/1 tests, 0 failed\n"));
  // The last stdout line: counts and where the report is.
  // Every claim of the registry (this test's runfiles hold verify's copy of
  // docs/claims.json) is in the count, decided or not.
  const size_t registered =
      Json::parse(ReadFile("docs/claims.json"))["claims"].size();
  EXPECT_THAT(run.out, StartsWith("verify: " + std::to_string(registered) +
                                  " claims: 3 confirmed"));
  EXPECT_THAT(run.out, HasSubstr("report in " + out_));
  // Each binary got the per-test timeout; the whole suite ran.
  EXPECT_THAT(
      Ran(),
      ElementsAre("run alpha timeout=7 filter=*", "test alpha FakePipe.Blocks",
                  "test alpha FakePipe.TwoKinds", "run beta timeout=7 filter=*",
                  "test beta FakeFifo.Unrelated"));
  EXPECT_THAT(ReadFile(out_ + "/logs/alpha.txt"),
              HasSubstr("[       OK ] FakePipe.Blocks (1 ms)"));
}

TEST_F(VerifyTest, ADeviationExitsOneWithALinePerClaim) {
  Json failing = Test("FakePipe.Blocks", "pipe.blocks", "fail");
  failing["message"] = "read returned 0, expected to block";
  const std::string suite = Suite({{"alpha", {{"tests", {failing}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("verify: deviates: pipe.blocks: "));
  EXPECT_THAT(run.err, HasSubstr("FAILED FakePipe.Blocks\n"));
  EXPECT_THAT(run.err, HasSubstr("reran FakePipe.Blocks alone: failed"));
  EXPECT_EQ(VerdictOf("pipe.blocks"), "deviates");
  // Run in full, then alone.
  EXPECT_THAT(Ran(),
              ElementsAre(StartsWith("run alpha"), "test alpha FakePipe.Blocks",
                          "run alpha timeout=30 filter=FakePipe.Blocks",
                          "test alpha FakePipe.Blocks"));
}

TEST_F(VerifyTest, AFailureThatPassesAloneIsFlakyAndFailsOnlyStrictRuns) {
  const std::vector<std::pair<std::string, Json>> binaries = {
      {"alpha",
       {{"tests", {Test("FakePipe.Blocks", "pipe.blocks", "flaky")}}}}};
  Outcome run = Run({"--suite", Suite(binaries), "--out", out_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("reran FakePipe.Blocks alone: passed"));
  EXPECT_EQ(VerdictOf("pipe.blocks"), "flaky");

  // The flaky state is per binary and test: start it again.
  ::unlink((dir_ + "/state/alpha.FakePipe.Blocks.failed-once").c_str());
  run = Run({"--suite", Suite(binaries), "--out", out_, "--strict"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("verify: flaky: pipe.blocks: "));
}

TEST_F(VerifyTest, AnExpectedDeviationDoesNotFailTheRun) {
  const std::string suite =
      Suite({{"alpha",
              {{"tests", {Test("FakePipe.Blocks", "pipe.blocks", "fail")}}}}});
  const std::string expected = Write(
      "expected.json",
      R"({"version": 1, "deviations": [{"claim": "pipe.blocks", "kernel": "*",
          "reason": "a fake kernel that never blocks"}]})");
  const Outcome run =
      Run({"--suite", suite, "--out", out_, "--expected-deviations", expected});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("verify: deviates:")));
  EXPECT_EQ(VerdictOf("pipe.blocks"), "expected-deviation");
}

TEST_F(VerifyTest, StrictAlsoFailsOnUntestedAndUnverifiedClaims) {
  Json skip = Test("FakePipe.TwoKinds", "pipe.two-kinds", "skip");
  skip["unverified"] =
      "needs CAP_SYS_ADMIN (leaves unverified: pipe.two-kinds)";
  const std::string suite = Suite(
      {{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks"), skip}}}}});
  Outcome run = Run({"--suite", suite, "--out", out_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(VerdictOf("pipe.two-kinds"), "unverified");

  run = Run({"--suite", suite, "--out", out_, "--strict"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("verify: unverified: pipe.two-kinds: "));
  EXPECT_THAT(run.err, HasSubstr("verify: untested: pipe.unidirectional: "));
  EXPECT_THAT(run.err, Not(HasSubstr(": pipe.blocks: ")));
}

TEST_F(VerifyTest, ASelectionRunsOnlyTheTestsOfItsClaims) {
  const std::string suite =
      Suite({{"alpha",
              {{"tests",
                {Test("FakePipe.Blocks", "pipe.blocks"),
                 Test("FakePipe.TwoKinds", "pipe.two-kinds")}}}},
             {"beta",
              {{"tests",
                {Test("FakeFifo.Unrelated", "fifo.unrelated-processes")}}}}});
  const std::string index = Write("index.json",
                                  R"({"version": 1, "declarations": [
        {"claim": "pipe.blocks", "test": "FakePipe.Blocks", "file": "f.cc", "line": 3},
        {"claim": "pipe.two-kinds", "test": "FakePipe.TwoKinds", "file": "f.cc", "line": 9},
        {"claim": "fifo.unrelated-processes", "test": "FakeFifo.Unrelated", "file": "g.cc", "line": 4}]})");
  const Outcome run = Run({"--suite", suite, "--index", index, "--out", out_,
                           "--claims", "pipe.bl*"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // beta lists no test for the filter and is not run at all.
  const std::vector<std::string> ran = Ran();
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_THAT(ran[0],
              AllOf(StartsWith("run alpha"), HasSubstr("FakePipe.Blocks")));
  EXPECT_EQ(ran[1], "test alpha FakePipe.Blocks");
  EXPECT_EQ(VerdictOf("pipe.blocks"), "confirmed");
  EXPECT_EQ(VerdictOf("pipe.two-kinds"), "(absent)");
  EXPECT_THAT(run.out, StartsWith("verify: 1 claim: 1 confirmed"));
}

TEST_F(VerifyTest, UpdateDocsReportWritesTheWorkspaceCopyUnderBazelRunOnly) {
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  Outcome run = Run({"--suite", suite, "--update-docs-report"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("only under `tools/bazel run"));

  ASSERT_EQ(::mkdir((dir_ + "/ws").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/ws/docs").c_str(), 0755), 0);
  run = Run({"--suite", suite, "--update-docs-report", "-o", "rel-out", "-q"},
            {"BUILD_WORKSPACE_DIRECTORY=" + dir_ + "/ws",
             "BUILD_WORKING_DIRECTORY=" + dir_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // -o is relative to where `bazel run` was started; --quiet drops progress.
  EXPECT_EQ(ReadFile(dir_ + "/ws/docs/report.md"),
            ReadFile(dir_ + "/rel-out/report.md"));
  EXPECT_THAT(ReadFile(dir_ + "/ws/docs/report.md"), HasSubstr("pipe.blocks"));
  EXPECT_THAT(run.err, Not(HasSubstr("verify: [1/1]")));
}

// --- Each bad input: exit 2, a message naming the file or binary, and the
// --- earlier report untouched.

TEST_F(VerifyTest, CorruptXmlIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "corrupt-xml"},
               {"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_});
  ExpectRefused(run, "-alpha.xml: not well-formed XML", before);
  EXPECT_THAT(run.err, Not(HasSubstr("truncated")));
}

TEST_F(VerifyTest, TruncatedXmlIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "truncated-xml"},
               {"tests",
                {Test("FakePipe.Blocks", "pipe.blocks"),
                 Test("FakePipe.TwoKinds", "pipe.two-kinds")}}}}});
  ExpectRefused(Run({"--suite", suite, "--out", out_}),
                "the file may be truncated", before);
}

TEST_F(VerifyTest, MissingXmlIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "no-xml"},
               {"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  ExpectRefused(Run({"--suite", suite, "--out", out_}),
                "-alpha.xml: no XML results were written", before);
}

TEST_F(VerifyTest, AnUnknownClaimIdIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite = Suite(
      {{"alpha", {{"tests", {Test("FakePipe.Typo", "pipe.no-such-claim")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_});
  ExpectRefused(run, "pipe.no-such-claim", before);
  EXPECT_THAT(run.err, HasSubstr("FakePipe.Typo"));
}

TEST_F(VerifyTest, AMissingBinaryIsRefusedBeforeAnythingRuns) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const std::string suite =
      Write("suite.txt", dir_ + "/bin/alpha\n" + dir_ + "/bin/gone_test\n");
  ExpectRefused(Run({"--suite", suite, "--out", out_}),
                "verify: " + dir_ + "/bin/gone_test: cannot be found", before);
  EXPECT_TRUE(Ran().empty()) << "alpha ran although gone_test is missing";
}

TEST_F(VerifyTest, ABinaryThatCannotStartIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string text = Write("bin/not_a_program", "plain text\n");
  ASSERT_EQ(::chmod(text.c_str(), 0755), 0);
  const std::string suite = Write("suite.txt", text + "\n");
  ExpectRefused(Run({"--suite", suite, "--out", out_}),
                "verify: " + text + ": cannot start: ENOEXEC", before);
}

TEST_F(VerifyTest, ACrashingBinaryIsRefused) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "crash"},
               {"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_});
  ExpectRefused(run,
                "verify: " + dir_ + "/bin/alpha: crashed (killed by SIGSEGV)",
                before);
  // The test it was in is named through its last output.
  EXPECT_THAT(run.err, HasSubstr("[ RUN      ] FakePipe.Blocks"));
}

TEST_F(VerifyTest, AHangingBinaryIsKilledAtItsBound) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "hang"},
               {"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_, "--timeout", "1",
                           "--binary-timeout", "2"});
  ExpectRefused(run, "verify: " + dir_ + "/bin/alpha: timed out after 2 s",
                before);
  EXPECT_LT(run.seconds, 8);
}

TEST_F(VerifyTest, CtrlCStopsTheBinaryAndWritesNothing) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha",
              {{"misbehave", "hang"},
               {"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const pid_t verify = Start({"--suite", suite, "--out", out_});
  // The fake writes its pid when it starts running tests; bounded wait.
  const std::string pid_file = dir_ + "/state/alpha.pid";
  pid_t fake = 0;
  for (int i = 0; i < 1000 && fake == 0; ++i) {
    std::ifstream(pid_file) >> fake;
    if (fake == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(fake, 0) << "the fake never started";
  ASSERT_EQ(::kill(verify, SIGINT), 0);
  const Outcome run = Wait(verify);
  ExpectRefused(run, "stopped: verify was interrupted (SIGINT)", before);
  EXPECT_LT(run.seconds, 10);
  // verify reaped it: no such process any more.
  EXPECT_EQ(::kill(fake, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(VerifyTest, ABadRegistryIsRefusedNamingIt) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const std::string registry = Write("claims.json", "{\"version\": 1,");
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--registry", registry}),
                "verify: " + registry + ": ", before);
  EXPECT_TRUE(Ran().empty());
}

TEST_F(VerifyTest, BadOptionsAreUsageErrors) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--formats", "md,pdf"}),
                "verify: --formats: no format \"pdf\"", before);
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--claims", "pipe.nope"}),
                "no claim of the registry matches \"pipe.nope\"", before);
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--areas", "nope"}),
                "--areas: no area \"nope\"", before);
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--frobnicate"}),
                "--frobnicate", before);
  EXPECT_TRUE(Ran().empty());
}

TEST_F(VerifyTest, KernelHostGivenExplicitlyIsTheDefaultRun) {
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const Outcome run =
      Run({"--suite", suite, "--out", out_, "--kernel", "host"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(VerdictOf("pipe.blocks"), "confirmed");
  // The lines of a run on the host alone: no kernel named in them.
  EXPECT_THAT(run.err, HasSubstr("verify: [1/1] " + dir_ +
                                 "/bin/alpha: 1/1 tests, 0 failed\n"));
  EXPECT_THAT(run.out, StartsWith("verify: "));
  EXPECT_THAT(run.out, Not(HasSubstr("host:")));
}

TEST_F(VerifyTest, AKernelThatDoesNotResolveIsRefusedBeforeAnythingRuns) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  const Outcome run = Run({"--suite", suite, "--out", out_, "--kernel", "host",
                           "--kernel", dir_ + "/no-such/bzImage"});
  ExpectRefused(run, "verify: --kernel " + dir_ + "/no-such/bzImage: ", before);
  EXPECT_TRUE(Ran().empty()) << "the host ran although a kernel is unknown";
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--kernel", "host",
                     "--kernel", "host"}),
                "verify: --kernel: \"host\" is given twice", before);
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--accel", "hvf"}),
                "--accel", before);
  // LABEL=PATH: the label names the column, the path is what resolves.
  ExpectRefused(Run({"--suite", suite, "--out", out_, "--kernel",
                     "student=" + dir_ + "/no-such/bzImage"}),
                "verify: --kernel student=" + dir_ +
                    "/no-such/bzImage: kernel image " + dir_ +
                    "/no-such/bzImage: not a file",
                before);
}

TEST_F(VerifyTest, ADirectoryVerifyDidNotWriteIsNeverReplaced) {
  ASSERT_EQ(::mkdir(out_.c_str(), 0755), 0);
  std::ofstream(out_ + "/precious.txt") << "a user's file\n";
  const auto before = Snapshot(out_);
  const std::string suite =
      Suite({{"alpha", {{"tests", {Test("FakePipe.Blocks", "pipe.blocks")}}}}});
  ExpectRefused(Run({"--suite", suite, "--out", out_}),
                "is not a report verify wrote", before);
}

// --- verify --benchmarks, with the runner's stand-in (fake_bench_runner.cc).

class VerifyBenchmarksTest : public VerifyTest {
 protected:
  std::string FakeRunner() {
    return std::string(std::getenv("TEST_SRCDIR")) +
           "/ipcproof/tools/verify/fake_bench_runner";
  }
  // A suite whose one test declares the pipe claim the benchmarks decide
  // and passes, as the conformance test does. (With --claims only the
  // index's tests run, so there the benchmarks' tests decide alone.)
  std::string PipeSuite() {
    return Suite({{"alpha",
                   {{"tests",
                     {Test("FakePipe.RoundTrips",
                           "pipe.not-for-frequent-exchange")}}}}});
  }
  Outcome RunWith(const std::string& scenario,
                  std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"--suite",
                                     PipeSuite(),
                                     "--out",
                                     out_,
                                     "--benchmarks",
                                     "--benchmark-runner",
                                     FakeRunner(),
                                     "--claims",
                                     "pipe.not-for-frequent-exchange,mq.not-"
                                     "for-big-data"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return Run(args, {"IPCPROOF_FAKE_BENCH=" + scenario,
                      "IPCPROOF_FAKE_BENCH_ARGS=" + dir_ + "/bench-args.txt"});
  }
};

TEST_F(VerifyBenchmarksTest, TheRunsBenchmarksDecideTheirClaims) {
  const Outcome run = RunWith("decides", {"--benchmark-repetitions", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(VerdictOf("pipe.not-for-frequent-exchange"), "confirmed");
  // No conformance test declares the queue claim here: the benchmarks alone.
  EXPECT_EQ(VerdictOf("mq.not-for-big-data"), "confirmed");
  EXPECT_THAT(ReadFile(dir_ + "/bench-args.txt"), HasSubstr("--repetitions 3"));
  EXPECT_THAT(ReadFile(dir_ + "/bench-args.txt"), Not(HasSubstr("--smoke")));
  EXPECT_GT(ReadFile(out_ + "/benchmarks/benchmarks.json").size(), 0u);
  const Json report = Json::parse(ReadFile(out_ + "/report.json"));
  EXPECT_EQ(report["benchmarks"]["cpu_model"], "Fake CPU");
  EXPECT_EQ(report["benchmarks"]["usable"], true);
  EXPECT_EQ(report["benchmarks"]["results"].size(), 17u);
  // The benchmarks' tests are in the XML with their figures.
  const std::string junit = ReadFile(out_ + "/junit.xml");
  EXPECT_THAT(junit, HasSubstr("latency.pipe.64.over_fastest"));
  EXPECT_THAT(junit, HasSubstr("throughput.sysv_msg.65536.over_pipe"));
}

TEST_F(VerifyBenchmarksTest, AnIncompleteBenchmarkRunFailsAndDecidesNothing) {
  const Outcome run = RunWith("incomplete");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("verify: benchmarks: the benchmark run is "
                                 "incomplete: ipc_bench: killed by SIGSEGV"));
  EXPECT_EQ(VerdictOf("pipe.not-for-frequent-exchange"), "unverified");
  EXPECT_EQ(VerdictOf("mq.not-for-big-data"), "unverified");
}

TEST_F(VerifyBenchmarksTest, ARunnerThatWritesNothingFailsTheRun) {
  const Outcome run = RunWith("nothing");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("exited with status 3 and wrote no "
                                 "benchmarks.json"));
  EXPECT_EQ(VerdictOf("pipe.not-for-frequent-exchange"), "unverified");
}

TEST_F(VerifyBenchmarksTest, ASmokeRunDecidesNothingAndDoesNotFail) {
  const Outcome run = RunWith("decides", {"--benchmark-smoke"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(ReadFile(dir_ + "/bench-args.txt"), HasSubstr("--smoke"));
  EXPECT_EQ(VerdictOf("pipe.not-for-frequent-exchange"), "unverified");
  const Json report = Json::parse(ReadFile(out_ + "/report.json"));
  EXPECT_THAT(report["benchmarks"]["unusable"].get<std::string>(),
              HasSubstr("never how fast"));
}

TEST_F(VerifyBenchmarksTest, WithoutBenchmarksTheClaimSaysHowToMakeThem) {
  const Outcome run = Run({"--suite", PipeSuite(), "--out", out_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(VerdictOf("pipe.not-for-frequent-exchange"), "unverified");
  EXPECT_THAT(ReadFile(out_ + "/report.md"), HasSubstr("--benchmarks"));
}

TEST_F(VerifyBenchmarksTest, BadBenchmarkOptionsAreRefusedBeforeAnythingRuns) {
  MakeEarlierReport();
  const auto before = Snapshot(out_);
  ExpectRefused(Run({"--suite", PipeSuite(), "--out", out_, "--benchmarks",
                     "--no-host", "--kernel", "linux-6.1"}),
                "--benchmarks measures the host", before);
  ExpectRefused(Run({"--suite", PipeSuite(), "--out", out_, "--benchmarks",
                     "--benchmark-runner", dir_ + "/no-such-runner"}),
                "no-such-runner is missing or not executable", before);
#ifndef __OPTIMIZE__
  // The suite's own runner would time this unoptimised build.
  ExpectRefused(Run({"--suite", PipeSuite(), "--out", out_, "--benchmarks"}),
                "tools/bazel run -c opt //tools/verify -- --benchmarks",
                before);
#endif
  EXPECT_TRUE(Ran().empty());
}

}  // namespace
