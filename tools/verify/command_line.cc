#include "tools/verify/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "tools/report/report_writers.h"
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
  1  a claim deviates (one "verify: deviates: ID: ..." line each on stderr);
     with --strict, also an untested, unverified or flaky claim
  2  a usage error, or an error of the run itself (a data file that cannot
     be read, a binary that is missing, cannot start, crashes or hangs,
     corrupt or truncated XML, a test declaring an unknown claim): one
     "verify: ..." line naming the file or binary, and nothing is written

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
  OUT/logs/NAME.txt              each binary's console output
  OUT/.ipcproof-report           marks a directory verify may replace; verify
                                 refuses to replace any other non-empty one

EXAMPLES
  tools/bazel run //tools/verify
  tools/bazel run //tools/verify -- --claims 'pipe.*' -f md,html -o /tmp/pipes
  tools/bazel run //tools/verify -- --areas mq,fifo --strict
  tools/bazel run //tools/verify -- --update-docs-report
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
                     "killed and verify fails"))
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
  return line;
}

}  // namespace ipcproof::verify
