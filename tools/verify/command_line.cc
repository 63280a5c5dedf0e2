#include "tools/verify/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "tools/report/report_writers.h"
#include "tools/verify/guest_timing.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

constexpr char kDescription[] = R"(NAME
  verify - decide, on the running kernel, what a study note on Linux IPC says

SYNOPSIS
  tools/bazel run //tools/verify -- [OPTIONS]
  ipcproof/bin/verify [OPTIONS]            (from the unpacked grading bundle)

DESCRIPTION
  verify runs ipcproof's conformance binaries directly on this host, one
  after another (never cached, never in parallel), reads the gtest XML each
  one writes, and gives every claim of the registry (docs/claims.json) a
  verdict by the rule under VERDICTS. Each failed test is rerun once on its
  own before a deviation is reported. The kernel's health around the run is
  recorded: the taint flags before and after, and the kernel log lines with
  WARNING, BUG or Oops that appeared during it.

  With --kernel, the suite runs on other kernels too: each one is booted
  under QEMU (tools/kernels) with the binaries in an initramfs, all of them
  in one boot, and the failed tests are rerun alone in a second boot. The
  report then has one column per kernel, in the order given, after the
  host's (the reference) unless --kernel host places it elsewhere or
  --no-host leaves it out. Before a
  folder's binaries run, its requirements file (conformance/*/requirements)
  is checked against the kernel: its config (the package's boot/config-*,
  else /proc/config.gz in the guest, else probes: /proc/filesystems,
  /proc/self/ns, system calls that answer ENOSYS). A folder whose kernel
  option or system call is missing is not run there, and its claims are
  unverified, naming what is missing; options built as modules (=m) are
  loaded first. A guest that panics, oopses, hangs or never reports is never
  a pass: the claims whose tests did not report are unverified, naming the
  failure, and the run exits 1.

  The report is written in up to six formats into one directory, atomically:
  everything goes into OUT.tmp-XXXXXX beside OUT and replaces OUT only when
  every file was written, so a failed run leaves an earlier report as it was.)";

constexpr char kFooter[] = R"(VERDICTS
  From the tests that declare a claim, in this run:
  confirmed, refined, refuted
                  at least one passed and none failed: the registry's
                  predicted verdict (a measured claim: its rule applied to
                  figures recorded in this run); skips are listed
  kernel deviates a declaring test failed (an assertion, a crash of its
                  process, a watchdog timeout) and failed again rerun alone
  flaky           it failed, then passed when rerun alone: never a verdict
  expected deviation
                  a deviation the expected-deviations file lists for this
                  kernel release: reported, does not fail the run
  unverified      every declaring test skipped; each skip says why
  not checkable   no test, and the registry says why none can decide it
  untested        no test declares it: a gap in the suite

EXIT STATUS
  0  no claim deviates
  1  a claim deviates (one "verify: deviates: ID: ..." line each on stderr,
     "verify: LABEL: deviates: ID: ..." with several kernels); with
     --strict, also an untested, unverified or flaky claim; or a guest
     kernel failed (one "verify: LABEL: panic: ..." line: panic, oops, hang,
     silent, bad result stream) or one of its binaries did not report
  2  a usage error, or an error of the run itself (a data file that cannot
     be read, a binary that is missing, cannot start, crashes or hangs on
     the host, corrupt or truncated XML from the host, a test declaring an
     unknown claim, a kernel spec that does not resolve, QEMU that cannot
     start): one "verify: ..." line naming the file, binary or kernel, and
     nothing is written

FILES
  The data root is the first of $RUNFILES_DIR/ipcproof, $TEST_SRCDIR/ipcproof,
  VERIFY.runfiles/ipcproof and VERIFY's directory/.. that holds
  docs/claims.json. Relative paths in the suite file are under it.
  docs/claims.json               the claim registry (--registry)
  tools/claims/claim_index.json  which tests declare which claims (--index)
  tools/verify/suite.txt         the conformance binaries, one a line (--suite)
  docs/expected-deviations.json  known kernel differences; none when absent
                                 (--expected-deviations)
  docs/grading.json              Gradescope weights and visibility; built-in
                                 defaults when absent (--grading-config)
  OUT/report.md, report.html, report.json, junit.xml, report.ktap,
  results.json                   the report, one file per format
  OUT/logs/NAME.txt              each binary's console output (the host)
  OUT/benchmarks/benchmarks.json the benchmark run of --benchmarks
                                 (docs/benchmarks-schema.md), with raw/ and
                                 run.log, the runner's output
  OUT/kernels/LABEL/console.log  a guest kernel's log (its serial console);
                                 rerun/console.log for the rerun boot
  OUT/kernels/LABEL/logs/NAME.txt
                                 the end of each binary's output in a guest
  tools/kernels/kernels.lock     the pinned packages of linux-6.1, linux-6.12
  $IPCPROOF_KERNEL_CACHE         the fetched kernels (--kernel-cache); else
                                 $XDG_CACHE_HOME/ipcproof/kernels, else
                                 ~/.cache/ipcproof/kernels
  OUT/.ipcproof-report           marks a directory verify may replace; verify
                                 refuses to replace any other non-empty one

EXAMPLES
  tools/bazel run //tools/verify
  tools/bazel run //tools/verify -- --claims 'pipe.*' -f md,html -o /tmp/pipes
  tools/bazel run //tools/verify -- --areas mq,fifo --strict
  tools/bazel run //tools/verify -- --update-docs-report
  tools/bazel run -c opt //tools/verify -- --benchmarks -o /tmp/measured
  tools/bazel run //tools/verify -- --kernel linux-6.1 --kernel linux-6.12 \
      -o /tmp/three-kernels
  tools/bazel run //tools/verify -- --kernel ~/linux/arch/x86/boot/bzImage \
      --no-host --areas mq --accel tcg
  ipcproof/bin/verify -f gradescope -o /autograder/results-dir)";

// The synopsis is part of the description, so CLI11's one-line "Usage:" is
// left out.
class ManPageFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override {
    return "";
  }
  // A heading like the page's others: "OPTIONS", not CLI11's "OPTIONS:".
  std::string make_group(
      std::string group, bool is_positional,
      std::vector<const CLI::Option*> options) const override {
    std::string text = "\n" + group + "\n";
    for (const CLI::Option* option : options) {
      text += make_option(option, is_positional);
    }
    return text;
  }
};

// CLI11 prints an option's description as one line; broken here at word
// boundaries, it indents the continuation lines under the first.
constexpr size_t kNameColumn = 30;
constexpr size_t kPageWidth = 79;

std::string Wrapped(const std::string& text) {
  const size_t width = kPageWidth - kNameColumn;
  std::string out;
  size_t line_length = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (line_length > 0 && line_length + 1 + word.size() > width) {
      out += '\n';
      line_length = 0;
    } else if (line_length > 0) {
      out += ' ';
      ++line_length;
    }
    out += word;
    line_length += word.size();
    start = end + 1;
  }
  return out;
}

std::vector<std::string> CheckFormats(const std::vector<std::string>& asked) {
  std::vector<std::string> names;
  for (const Format& format : AllFormats()) names.push_back(format.name);
  if (asked.empty()) return names;
  for (const std::string& name : asked) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const std::string& n : names)
        known += (known.empty() ? "" : ",") + n;
      throw UsageError("--formats: no format \"" + name +
                       "\" (known: " + known + ")");
    }
  }
  std::vector<std::string> chosen;
  for (const std::string& name : names) {
    if (std::find(asked.begin(), asked.end(), name) != asked.end()) {
      chosen.push_back(name);
    }
  }
  return chosen;
}

// Each kernel once (a second column for the same kernel would only repeat
// the first), none empty; the host alone when none is given. The host is
// the column other kernels are compared with: it comes first unless named
// elsewhere in the list or left out with --no-host (a student's kernel
// graded alone).
std::vector<std::string> CheckKernels(const std::vector<std::string>& asked,
                                      bool no_host) {
  if (asked.empty()) {
    if (no_host) throw UsageError("--no-host: name a --kernel to run instead");
    return {kHostKernel};
  }
  std::vector<std::string> kernels;
  for (const std::string& spec : asked) {
    if (spec.empty()) throw UsageError("--kernel: an empty kernel spec");
    if (std::find(kernels.begin(), kernels.end(), spec) != kernels.end()) {
      throw UsageError("--kernel: \"" + spec + "\" is given twice");
    }
    kernels.push_back(spec);
  }
  const bool host_named =
      std::find(kernels.begin(), kernels.end(), kHostKernel) != kernels.end();
  if (no_host && host_named) {
    throw UsageError("--no-host and --kernel host contradict each other");
  }
  if (!no_host && !host_named) kernels.insert(kernels.begin(), kHostKernel);
  return kernels;
}

}  // namespace

CommandLine ParseCommandLine(int argc, const char* const* argv) {
  CommandLine line;
  CLI::App app(kDescription, "verify");
  app.footer(kFooter);
  auto formatter = std::make_shared<ManPageFormatter>();
  formatter->column_width(kNameColumn);
  app.formatter(formatter);
  app.option_defaults()->group("OPTIONS");
  app.set_help_flag("-h,--help", Wrapped("print this page and exit"));

  std::vector<std::string> formats;
  int binary_timeout = 0;
  app.add_option(
         "-o,--out", line.out,
         Wrapped("the report directory (default ipcproof-report, relative "
                 "to the directory `bazel run` was started in)"))
      ->option_text("DIR");
  app.add_option(
         "-f,--formats", formats,
         Wrapped("comma-separated formats to write: md, html, json, junit, "
                 "ktap, gradescope (default: all)"))
      ->delimiter(',')
      ->option_text("LIST");
  app.add_option(
         "--claims", line.claims,
         Wrapped("decide only these claims: comma-separated ids or globs "
                 "(pipe.*); only the tests declaring them run"))
      ->delimiter(',')
      ->option_text("LIST");
  app.add_option(
         "--areas", line.areas,
         Wrapped("decide only the claims of these areas (pipe, fifo, mq, "
                 "...); with --claims, the union"))
      ->delimiter(',')
      ->option_text("LIST");
  app.add_flag(
      "--strict", line.strict,
      Wrapped("also exit 1 when a claim is untested, unverified or flaky"));
  app.add_option(
         "--timeout", line.timeout_seconds,
         Wrapped("each test's watchdog, in seconds, passed to every binary "
                 "as --ipcproof_timeout (default 30)"))
      ->check(CLI::Range(1, 86400))
      ->option_text("SECONDS");
  CLI::Option* binary_timeout_option =
      app.add_option(
             "--binary-timeout", binary_timeout,
             Wrapped("the bound on one binary's run, in seconds (default: "
                     "its tests x (timeout + 5) + 60); past it the binary is "
                     "killed and verify fails. In a guest kernel it is "
                     "multiplied by the time scale (TCG " +
                     std::to_string(kernels::kTcgTimeScale) + ", KVM " +
                     std::to_string(kernels::kKvmTimeScale) +
                     ", auto as TCG; default there: scale x (" +
                     std::to_string(kernels::kBinaryTimeLimitPerScale.count()) +
                     " + " + std::to_string(kGuestSecondsPerTest.count()) +
                     " x its tests)), and a binary killed at it leaves its "
                     "claims unverified"))
          ->check(CLI::Range(1, 7 * 86400))
          ->option_text("SECONDS");
  app.add_option(
         "--registry", line.registry,
         Wrapped("the claim registry (default: docs/claims.json under the "
                 "data root)"))
      ->option_text("FILE");
  app.add_option("--index", line.index,
                 Wrapped("the claim -> test index (default: "
                         "tools/claims/claim_index.json under the data root)"))
      ->option_text("FILE");
  app.add_option(
         "--suite", line.suite,
         Wrapped("the binaries to run, one a line, relative to the data "
                 "root or absolute (default: tools/verify/suite.txt)"))
      ->option_text("FILE");
  app.add_option("--expected-deviations", line.expected_deviations,
                 Wrapped("known kernel differences (default: "
                         "docs/expected-deviations.json, if present)"))
      ->option_text("FILE");
  app.add_option("--grading-config", line.grading_config,
                 Wrapped("Gradescope weights and visibility (default: "
                         "docs/grading.json, if present)"))
      ->option_text("FILE");
  app.add_flag("--gradescope-per-test", line.gradescope_per_test,
               Wrapped("one Gradescope entry per test instead of per claim"));
  app.add_flag(
      "--update-docs-report", line.update_docs_report,
      Wrapped("also write report.md to the workspace's docs/report.md, "
              "once everything else succeeded (under `bazel run` only)"));
  app.add_flag("-q,--quiet", line.quiet, "no progress lines");
  app.add_flag("--no-host", line.no_host,
               Wrapped("run only the --kernel kernels, without the host's "
                       "column (grading a student's kernel alone)"));
  app.add_option(
         "--kernel", line.kernels,
         Wrapped("run the suite on this kernel too; repeatable, one report "
                 "column per kernel, the host first unless placed elsewhere "
                 "or left out with --no-host: host (the "
                 "running kernel), linux-6.1 or linux-6.12 (the packages "
                 "pinned in tools/kernels/kernels.lock), a Debian package "
                 "such as linux-image-6.1.0-57-cloud-amd64-unsigned, "
                 "optionally =VERSION (fetched into the cache), or the path of "
                 "a bzImage or "
                 "vmlinuz (its config beside it: config-SUFFIX, PATH.config "
                 "or .config); LABEL=PATH names that kernel's column "
                 "(student=./bzImage)"))
      ->allow_extra_args(false)
      ->option_text("SPEC");
  app.add_option(
         "--accel", line.accel,
         Wrapped("how QEMU runs a guest kernel: kvm, tcg (emulation), or "
                 "auto (default: try KVM by booting, else TCG; the report "
                 "says which ran)"))
      ->check(CLI::IsMember({"auto", "tcg", "kvm"}))
      ->option_text("auto|tcg|kvm");
  app.add_option("--guest-cpus", line.guest_cpus,
                 Wrapped("CPUs of a guest kernel's machine (default 2)"))
      ->check(CLI::Range(1, 64))
      ->option_text("N");
  app.add_option("--guest-memory", line.guest_memory_mib,
                 Wrapped("memory of a guest kernel's machine, in MiB "
                         "(default 2048)"))
      ->check(CLI::Range(256, 1 << 20))
      ->option_text("MIB");
  app.add_option(
         "--kernel-cache", line.kernel_cache,
         Wrapped("where fetched kernel packages are kept (default: "
                 "$IPCPROOF_KERNEL_CACHE, else $XDG_CACHE_HOME/ipcproof/"
                 "kernels, else ~/.cache/ipcproof/kernels)"))
      ->option_text("DIR");
  app.add_option(
         "--guest-busybox", line.guest_busybox,
         Wrapped("the static busybox a guest kernel gets as /bin/sh, cat "
                 "and readlink, the programs some tests exec (default: "
                 "/bin/busybox, Debian's busybox-static)"))
      ->option_text("FILE");

  app.add_flag(
      "--benchmarks", line.benchmarks,
      Wrapped("also run the benchmarks (tools/bench: latency and throughput "
              "of every mechanism, memcpy, the zero-copy paths; minutes) on "
              "the host after its suite, into OUT/benchmarks/, and decide the "
              "claims whose rules read them (pipe.not-for-frequent-exchange, "
              "mq.not-for-big-data) from that run alone; needs an optimised "
              "build: tools/bazel run -c opt //tools/verify -- --benchmarks"));
  app.add_flag(
      "--benchmark-smoke", line.benchmark_smoke,
      Wrapped("--benchmarks with each benchmark once at its smallest size "
              "(seconds, any build): shows that they run; decides nothing"));
  app.add_option("--benchmark-repetitions", line.benchmark_repetitions,
                 Wrapped("repetitions of each benchmark (default 5); the "
                         "figures are their medians"))
      ->check(CLI::Range(1, 1000))
      ->option_text("N");
  app.add_option("--benchmark-runner", line.benchmark_runner,
                 Wrapped("the benchmark runner to run (default: "
                         "tools/bench/bench under the data root)"))
      ->option_text("FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    line.help = true;
    line.help_text = app.help();
    return line;
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what());
  }
  if (binary_timeout_option->count() > 0) {
    line.binary_timeout_seconds = binary_timeout;
  }
  line.formats = CheckFormats(formats);
  line.kernels = CheckKernels(line.kernels, line.no_host);
  if (line.benchmark_smoke) line.benchmarks = true;
  if (line.benchmarks && line.no_host) {
    throw UsageError(
        "--benchmarks measures the host, and --no-host leaves it out (the "
        "benchmarks do not run in a guest: libbenchmark is a shared library)");
  }
  return line;
}

}  // namespace ipcproof::verify
