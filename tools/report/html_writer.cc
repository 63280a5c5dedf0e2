// report.html: one self-contained page. Everything it needs is inline (CSS,
// script, text): no URL outside the page, so it opens from a CI artifact, an
// e-mail attachment or an offline machine the same way, and tells no server
// that it was read. Without script everything is shown; the script only adds
// the filter (and reads an initial one from ?area=..&verdict=..). The markup
// is also well-formed XML (void elements self-closed, boolean attributes with
// a value), so tools and tests can read it with an XML parser.
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tools/report/benchmark_charts.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/claim_figures.h"
#include "tools/report/kernel_columns.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

// No "//" anywhere in the style or the script: the page check rejects every
// protocol-relative URL, so comments are /* */ only.
constexpr std::string_view kStyle = R"css(
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d0d4d9; --bg-alt: #f5f6f8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); margin: 0 auto;
       max-width: 72rem; padding: 1rem 1.5rem 4rem; }
[hidden] { display: none !important; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { margin: 0 0 0.5rem; font-size: 1.1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: var(--bg-alt); }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { background: var(--bg-alt); border: 1px solid var(--line); padding: 0.5rem;
      overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
blockquote { margin: 0.5rem 0; padding: 0.3rem 1rem; border-left: 4px solid var(--line);
             font-size: 1.1rem; }
blockquote p { margin: 0.2rem 0; }
blockquote .source { font-size: 0.85rem; color: var(--muted); }
section.claim { border: 1px solid var(--line); border-radius: 6px; padding: 0.8rem 1rem;
                margin: 1rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; color: var(--muted); }
dd { margin: 0; }
.verdict { display: inline-block; padding: 0 0.5rem; border-radius: 999px;
           font-size: 0.85rem; font-weight: 600; white-space: nowrap; }
.v-confirmed { background: #d7f5dd; color: #0b5d1e; }
.v-refined { background: #d9f0f3; color: #0b5560; }
.v-refuted { background: #dde6fb; color: #1c3f94; }
.v-deviates { background: #fbd9d7; color: #8c1d18; }
.v-expected-deviation { background: #fde9cf; color: #7a4a00; }
.v-flaky { background: #ecdcf7; color: #5b2a86; }
.v-unverified, .v-not-checkable { background: #e8eaed; color: #3c4043; }
.v-untested { background: #fff3c4; color: #6b5500; }
table.measured th[scope="row"] { font-weight: normal; background: none; }
td.more { color: var(--muted); font-style: italic; }
.beyond { color: var(--muted); font-style: italic; }
.warn { color: #8c1d18; font-weight: 600; }
svg.bench-chart { max-width: 100%; height: auto; display: block; }
figure.bench { margin: 0.5rem 0; }
figure.bench figcaption, p.bench-none { color: var(--muted); font-size: 0.9rem; }
.bench-unusable { border: 2px solid #8c1d18; background: #fdecea; color: #5c1410;
                  border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
table.bench td.number { white-space: nowrap; }
form#filter { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap;
              background: var(--bg-alt); padding: 0.5rem 0.8rem; border-radius: 6px; }
)css";

// What a page about a guest, or about several kernels, adds to kStyle: the
// failure box, highlighted rows, each kernel's evidence.
constexpr std::string_view kKernelsStyle = R"css(
.guest-failure { border: 2px solid #8c1d18; background: #fdecea; color: #5c1410;
                 border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
.guest-failure pre { color: var(--fg); }
table.kernels td.loud { color: #8c1d18; font-weight: 600; }
tr.differs-answers > td { background: #fff3c4; }
tr.differs-coverage > td { background: var(--bg-alt); }
section.claim.differs-answers { border: 2px solid #b8860b; }
.marker { font-size: 0.8rem; font-weight: 600; color: #7a4a00; white-space: nowrap; }
.marker.coverage { color: var(--muted); font-weight: normal; font-style: italic; }
.kernel-evidence { border-left: 3px solid var(--line); padding-left: 0.8rem; margin: 0.8rem 0; }
section.differs-claim { border: 1px solid #b8860b; border-radius: 6px; padding: 0.8rem 1rem;
                        margin: 1rem 0; }
)css";

constexpr std::string_view kScript = R"js(
(function () {
  var form = document.getElementById('filter');
  var area = document.getElementById('filter-area');
  var verdict = document.getElementById('filter-verdict');
  var count = document.getElementById('filter-count');
  if (!form || !area || !verdict) { return; }
  var params = new URLSearchParams(window.location.search);
  function preset(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; }
    }
  }
  preset(area, params.get('area') || '');
  preset(verdict, params.get('verdict') || '');
  function apply() {
    var a = area.value, v = verdict.value, shown = 0, total = 0;
    document.querySelectorAll('[data-verdict]').forEach(function (el) {
      var match = (a === '' || el.getAttribute('data-area') === a) &&
                  (v === '' || el.getAttribute('data-verdict') === v);
      el.hidden = !match;
      if (el.classList.contains('claim')) {
        total++;
        if (match) { shown++; }
      }
    });
    document.querySelectorAll('section.area').forEach(function (el) {
      el.hidden = el.querySelector('section.claim:not([hidden])') === null;
    });
    count.textContent = shown + ' of ' + total + ' claims shown';
    document.body.setAttribute('data-shown', String(shown));
  }
  area.addEventListener('change', apply);
  verdict.addEventListener('change', apply);
  form.hidden = false;
  apply();
  document.body.setAttribute('data-filter', 'ready');
})();
)js";

std::string Badge(Verdict verdict) {
  return fmt::format("<span class=\"verdict v-{}\">{}</span>",
                     VerdictKey(verdict), VerdictName(verdict));
}

std::string Code(std::string_view text) {
  return "<code>" + HtmlEscape(text) + "</code>";
}

std::string Pre(std::string_view text) {
  return "<pre>" + HtmlEscape(text) + "</pre>\n";
}

std::string Joined(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += ", ";
    joined += item;
  }
  return joined;
}

void WriteRun(const Report& report, std::string& html) {
  const RunInfo& run = report.run;
  const auto row = [&](std::string_view name, const std::string& value_html) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", name, value_html);
  };
  html += "<table class=\"run\">\n";
  row("kernel", "Linux " + HtmlEscape(run.kernel_release) + " (" +
                    HtmlEscape(run.machine) + ")");
  row("kernel version", HtmlEscape(run.kernel_version));
  // A guest's report says how it was booted; the host's has no such rows.
  for (const KernelFact& fact : GuestFacts(report)) {
    row(fact.name, HtmlEscape(fact.value));
  }
  row("host", HtmlEscape(run.hostname));
  row("date", HtmlEscape(run.started_utc));
  row("wall time", fmt::format("{:.1f} s", run.wall_seconds));
  row("command", Code(run.command_line));
  row("selection", run.selection.empty() ? std::string("every claim")
                                         : HtmlEscape(Joined(run.selection)));
  row("strict", run.strict ? "yes" : "no");
  row("binaries run", std::to_string(run.binaries.size()));
  row("verify", HtmlEscape(run.verify_version));
  html += "</table>\n";
}

// The health list (and the warnings), after a heading.
void WriteHealthBody(const KernelHealth& health, std::string& html) {
  html += "<ul>\n";
  html += "<li>Taint (<code>/proc/sys/kernel/tainted</code>): " +
          Code(health.tainted_before) + " before, " +
          Code(health.tainted_after) + " after" +
          (health.TaintChanged()
               ? " — <span class=\"warn\">the kernel was tainted during the "
                 "run</span>"
               : std::string(" (unchanged)")) +
          ".</li>\n";
  if (!health.log_unreadable.empty()) {
    html += "<li>Kernel log not read: " + HtmlEscape(health.log_unreadable) +
            ".</li>\n</ul>\n";
  } else if (health.warnings.empty()) {
    html +=
        "<li>Kernel log: no WARNING, BUG or Oops during the run.</li>\n</ul>\n";
  } else {
    html += fmt::format(
        "<li><span class=\"warn\">Kernel log: {} line(s) with WARNING, BUG or "
        "Oops appeared during the run:</span></li>\n</ul>\n",
        health.warnings.size());
    std::string lines;
    for (const std::string& line : health.warnings) lines += line + "\n";
    html += Pre(TrimMessage(lines, 100, 10000));
  }
}

void WriteHealth(const KernelHealth& health, std::string& html) {
  html += "<section id=\"health\">\n<h2>Kernel health</h2>\n";
  WriteHealthBody(health, html);
  html += "</section>\n";
}

// A guest that failed, loudly: the sentence, and the runner's message
// (which quotes the kernel's log). `heading` is "" or a heading element.
void WriteGuestFailure(const std::string& label, const KernelInfo& kernel,
                       std::string_view heading, std::string& html) {
  html += "<div class=\"guest-failure\" role=\"alert\">\n";
  if (!heading.empty()) {
    html += fmt::format("<{0}>{1}: {2}</{0}>\n", heading, HtmlEscape(label),
                        HtmlEscape(kernel.failure));
  }
  html += "<p><strong>" + HtmlEscape(GuestFailureSentence(label, kernel)) +
          "</strong></p>\n";
  if (!kernel.failure_message.empty()) {
    html += Pre(TrimMessage(kernel.failure_message, 100, 10000));
  }
  html += "</div>\n";
}

void WriteMissingRequirementsList(const KernelInfo& kernel, std::string& html) {
  html += "<ul>\n";
  for (const std::string& missing : kernel.missing_requirements) {
    html += "<li>" + HtmlEscape(missing) + "</li>\n";
  }
  html += "</ul>\n";
}

// verify --benchmarks: the figures of the benchmark run made with this
// report, after the summary. They decide the measured claims' verdicts; the
// claims' sections say how.
void WriteBenchmarks(const Report& report, std::string& html) {
  if (!report.benchmarks) return;
  html += "<section id=\"benchmarks\">\n<h2>Benchmarks</h2>\n";
  html += BenchmarkSectionBodyHtml(*report.benchmarks, "h3");
  html += "</section>\n";
}

void WriteSummary(const Report& report, std::string& html) {
  html += "<section id=\"summary\">\n<h2>Summary</h2>\n";
  html +=
      "<table class=\"counts\">\n<tr><th>verdict</th><th>claims</th></tr>\n";
  for (Verdict verdict : AllVerdicts()) {
    html += fmt::format("<tr><td>{}</td><td class=\"number\">{}</td></tr>\n",
                        Badge(verdict), report.Count(verdict));
  }
  html += fmt::format(
      "<tr><th>total</th><td class=\"number\"><strong>{}</strong></td></tr>\n"
      "</table>\n",
      report.claims.size());

  // The filter is hidden until the script shows it: without script there is
  // nothing to operate, and everything is shown.
  html +=
      "<form id=\"filter\" hidden=\"hidden\">\n<label>Area <select "
      "id=\"filter-area\">"
      "<option value=\"\">all areas</option>";
  for (const claims::Area& area : report.areas) {
    html += fmt::format("<option value=\"{}\">{} ({})</option>",
                        HtmlEscape(area.id), HtmlEscape(area.title),
                        HtmlEscape(area.id));
  }
  html +=
      "</select></label>\n<label>Verdict <select id=\"filter-verdict\">"
      "<option value=\"\">all verdicts</option>";
  for (Verdict verdict : AllVerdicts()) {
    html += fmt::format("<option value=\"{}\">{} ({})</option>",
                        VerdictKey(verdict), VerdictName(verdict),
                        report.Count(verdict));
  }
  html += "</select></label>\n<output id=\"filter-count\"></output>\n</form>\n";

  html +=
      "<table class=\"claims\">\n<thead><tr><th>claim</th><th>area</th>"
      "<th>verdict</th><th>the note says</th></tr></thead>\n<tbody>\n";
  for (const ClaimReport& claim : report.claims) {
    const claims::Claim& c = claim.claim;
    html += fmt::format(
        "<tr data-area=\"{}\" data-verdict=\"{}\"><td><a href=\"#{}\">{}</a>"
        "</td><td>{}</td><td>{}</td>{}</tr>\n",
        HtmlEscape(c.area), VerdictKey(claim.verdict),
        HtmlEscape(ClaimAnchor(c.id)), Code(c.id), HtmlEscape(c.area),
        Badge(claim.verdict),
        c.beyond_note
            ? std::string("<td class=\"beyond\">beyond the note</td>")
            : "<td lang=\"zh\">" + HtmlEscape(c.note_quote) + "</td>");
  }
  html += "</tbody>\n</table>\n</section>\n";
}

// `heading`: the element of the table's heading, "h4" in a claim's section,
// one deeper under a kernel's heading.
void WriteTests(const Report& report, const ClaimReport& claim,
                std::string& html, std::string_view heading = "h4") {
  if (claim.tests.empty()) return;
  html += fmt::format(
      "<{0}>Deciding tests</{0}>\n<table class=\"tests\">\n<tr><th>test</th>"
      "<th>outcome</th><th>declared at</th></tr>\n",
      heading);
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    std::string outcome = HtmlEscape(AttemptOutcome(test.first)) + " (" +
                          FormatSeconds(test.first.seconds) + " s)";
    if (test.rerun) {
      outcome +=
          "<br />rerun on its own: " + HtmlEscape(AttemptOutcome(*test.rerun)) +
          " (" + FormatSeconds(test.rerun->seconds) + " s)";
    }
    html += fmt::format(
        "<tr><td>{}<br />in {}</td><td>{}</td><td>{}</td></tr>\n",
        Code(test.full_name), Code(test.binary), outcome,
        test.declared_at.empty() ? std::string("—") : Code(test.declared_at));
  }
  html += "</table>\n";
  const auto write_messages = [&](const TestResult& test,
                                  const Attempt& attempt, bool rerun) {
    if (attempt.status == TestStatus::kPassed) return;
    const char* what =
        attempt.status == TestStatus::kSkipped ? "Skip" : "Failure";
    for (const std::string& message : attempt.messages) {
      html += fmt::format("<p>{} of {}{}:</p>\n", what, Code(test.full_name),
                          rerun ? " (rerun)" : "");
      html += Pre(TrimMessage(message));
    }
  };
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    write_messages(test, test.first, false);
    if (test.rerun) write_messages(test, *test.rerun, true);
  }
}

// Every figure the deciding tests recorded, whatever the claim's kind: one
// test cell spans the rows of its figures, so a long list reads as one block
// per test.
void WriteMeasuredFigures(const Report& report, const ClaimReport& claim,
                          std::string& html, std::string_view heading = "h4") {
  const ClaimFigures figures = FiguresOfClaim(report, claim);
  if (figures.groups.empty()) return;
  html += fmt::format(
      "<{0}>Figures measured</{0}>\n<table class=\"measured\">\n<tr><th>"
      "test</th><th>figure</th><th>value</th></tr>\n",
      heading);
  for (const TestFigures& group : figures.groups) {
    for (size_t i = 0; i < group.shown; ++i) {
      const auto& [name, value] = group.test->measured[i];
      html += "<tr>";
      if (i == 0) {
        html += fmt::format("<th scope=\"row\" rowspan=\"{}\">{}</th>",
                            group.shown, Code(group.test->full_name));
      }
      html += fmt::format("<td>{}</td><td>{}</td></tr>\n", Code(name),
                          HtmlEscape(FigureValueCell(value)));
    }
  }
  if (figures.left_out > 0) {
    html += fmt::format(
        "<tr><td colspan=\"3\" class=\"more\">… {} more in report.json (and "
        "junit.xml): this section shows the first {} figures.</td></tr>\n",
        figures.left_out, figures.shown);
  }
  html += "</table>\n";
}

// The note's words, or that the claim is beyond the note.
void WriteClaimQuote(const claims::Claim& c, std::string& html) {
  if (c.beyond_note) {
    html +=
        "<p class=\"beyond\">Beyond the note: documented semantics "
        "ipcproof also pins.</p>\n";
  } else {
    html += "<blockquote><p lang=\"zh\">" + HtmlEscape(c.note_quote) +
            "</p><p class=\"source\">— the note, section <span lang=\"zh\">" +
            HtmlEscape(c.note_section) + "</span></p></blockquote>\n";
  }
}

// The registry's meaning and semantics, as items of a <dl>.
void WriteMeaningItems(const claims::Claim& c, std::string& html) {
  html += "<dt>Meaning</dt><dd>" + HtmlEscape(c.meaning) + "</dd>\n";
  html += "<dt>Documented semantics</dt><dd>" + HtmlEscape(c.semantics);
  if (!c.references.empty())
    html += " (" + HtmlEscape(Joined(c.references)) + ")";
  html += "</dd>\n";
}

// One run's verdict for a claim and why, as items of a <dl>.
void WriteVerdictItems(const ClaimReport& claim, std::string& html) {
  const claims::Claim& c = claim.claim;
  html += "<dt>Verdict</dt><dd>" + Badge(claim.verdict) + " " +
          HtmlEscape(AsSentence(claim.explanation)) + "</dd>\n";
  if (!claim.expected_deviation_reason.empty()) {
    html +=
        "<dt>Expected deviation</dt><dd>A known kernel difference; it "
        "does not fail the run: " +
        HtmlEscape(claim.expected_deviation_reason) + "</dd>\n";
  }
  if (claim.verdict == Verdict::kNotCheckable && !c.not_checkable.empty() &&
      claim.explanation.find(c.not_checkable) == std::string::npos) {
    html += "<dt>Why not checkable</dt><dd>" + HtmlEscape(c.not_checkable) +
            "</dd>\n";
  }
  if (c.rule) {
    html += "<dt>Rule</dt><dd>" + HtmlEscape(c.rule->text) + "</dd>\n";
    if (!claim.rule_outcome.empty()) {
      html += "<dt>Rule outcome</dt><dd>" + HtmlEscape(claim.rule_outcome) +
              "</dd>\n";
    }
  }
}

// One run's evidence tables for a claim: the rule's figures, the deciding
// tests with their messages, the figures measured.
void WriteEvidenceTables(const Report& report, const ClaimReport& claim,
                         std::string& html, std::string_view heading = "h4") {
  const claims::Claim& c = claim.claim;
  if (c.rule && !claim.figures.empty()) {
    html +=
        "<table class=\"figures\">\n<tr><th>figure</th><th>value</th>"
        "<th>recorded by</th></tr>\n";
    for (const Figure& figure : claim.figures) {
      html += fmt::format(
          "<tr><td>{}</td><td class=\"number\">{}</td><td>{}</td></tr>\n",
          Code(figure.name), HtmlEscape(figure.value), Code(figure.test));
    }
    html += "</table>\n";
  }
  WriteTests(report, claim, html, heading);
  WriteMeasuredFigures(report, claim, html, heading);
}

void WriteClaim(const Report& report, const ClaimReport& claim,
                std::string& html) {
  const claims::Claim& c = claim.claim;
  html += fmt::format(
      "<section id=\"{}\" class=\"claim\" data-area=\"{}\" "
      "data-verdict=\"{}\">\n<h3>{} {}</h3>\n",
      HtmlEscape(ClaimAnchor(c.id)), HtmlEscape(c.area),
      VerdictKey(claim.verdict), Code(c.id), Badge(claim.verdict));
  WriteClaimQuote(c, html);
  html += "<dl>\n";
  WriteMeaningItems(c, html);
  WriteVerdictItems(claim, html);
  html += "</dl>\n";
  WriteEvidenceTables(report, claim, html);
  html += "</section>\n";
}

}  // namespace

std::string WriteHtml(const Report& report) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" "
      "/>\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\" />\n";
  html += "<title>ipcproof report: " + HtmlEscape(report.note_title) +
          " — Linux " + HtmlEscape(report.run.kernel_release) + "</title>\n";
  html += "<style>" + std::string(kStyle) +
          (report.run.kernel.guest ? std::string(kKernelsStyle) : "") +
          "</style>\n</head>\n<body>\n";
  html += "<header>\n<h1>ipcproof report: <span lang=\"zh\">" +
          HtmlEscape(report.note_title) + "</span></h1>\n";
  html += "<p>What the note says about Linux IPC, checked on Linux " +
          HtmlEscape(report.run.kernel_release) +
          ": each claim's verdict was earned by the tests of this run.</p>\n"
          "</header>\n";
  if (!report.run.kernel.failure.empty()) {
    WriteGuestFailure(report.run.kernel.label, report.run.kernel, "", html);
  }
  WriteRun(report, html);
  if (!report.run.kernel.missing_requirements.empty()) {
    html +=
        "<section id=\"missing-requirements\">\n<h2>Missing "
        "requirements</h2>\n<p>This kernel lacks what some folders need "
        "(conformance/*/requirements): their claims are unverified, naming "
        "what is missing, not failed.</p>\n";
    WriteMissingRequirementsList(report.run.kernel, html);
    html += "</section>\n";
  }
  WriteHealth(report.health, html);
  WriteSummary(report, html);
  WriteBenchmarks(report, html);
  html += "<main>\n";
  std::vector<bool> written(report.claims.size(), false);
  const auto write_area = [&](const std::string& id, const std::string& title) {
    bool any = false;
    for (size_t i = 0; i < report.claims.size(); ++i) {
      if (written[i] || report.claims[i].claim.area != id) continue;
      if (!any) {
        html += fmt::format(
            "<section class=\"area\" id=\"area-{}\">\n<h2>{} {}</h2>\n",
            HtmlEscape(id), HtmlEscape(title), Code(id));
      }
      any = true;
      written[i] = true;
      WriteClaim(report, report.claims[i], html);
    }
    if (any) html += "</section>\n";
  };
  for (const claims::Area& area : report.areas) write_area(area.id, area.title);
  for (size_t i = 0; i < report.claims.size(); ++i) {
    if (!written[i]) {
      const std::string area = report.claims[i].claim.area;
      write_area(area, area);
    }
  }
  html += "</main>\n<script>" + std::string(kScript) +
          "</script>\n</body>\n</html>\n";
  return html;
}

// --- Several kernels (verify --kernel K ...): a column per kernel.

namespace {

// The filter of the several-kernels page: area, kernel, verdict (on the
// chosen kernel, or on any), and whether the claim differs. Presets from
// ?area=..&kernel=..&verdict=..&differs=differs|answers. With a kernel
// chosen, the other kernels' evidence is hidden too.
constexpr std::string_view kKernelsScript = R"js(
(function () {
  var form = document.getElementById('filter');
  var area = document.getElementById('filter-area');
  var kernel = document.getElementById('filter-kernel');
  var verdict = document.getElementById('filter-verdict');
  var differs = document.getElementById('filter-differs');
  var count = document.getElementById('filter-count');
  if (!form || !area || !kernel || !verdict || !differs) { return; }
  var params = new URLSearchParams(window.location.search);
  function preset(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; }
    }
  }
  preset(area, params.get('area') || '');
  preset(kernel, params.get('kernel') || '');
  preset(verdict, params.get('verdict') || '');
  preset(differs, params.get('differs') || '');
  function apply() {
    var a = area.value, k = kernel.selectedIndex - 1, v = verdict.value;
    var d = differs.value, shown = 0, total = 0;
    document.querySelectorAll('[data-verdicts]').forEach(function (el) {
      var verdicts = el.getAttribute('data-verdicts').split(' ');
      var difference = el.getAttribute('data-differs');
      var match = (a === '' || el.getAttribute('data-area') === a) &&
                  (v === '' || (k < 0 ? verdicts.indexOf(v) >= 0
                                      : verdicts[k] === v)) &&
                  (d === '' || (d === 'answers' ? difference === 'answers'
                                                : difference !== 'same'));
      el.hidden = !match;
      if (el.classList.contains('claim')) {
        total++;
        if (match) { shown++; }
      }
    });
    document.querySelectorAll('.kernel-evidence').forEach(function (el) {
      el.hidden = k >= 0 && el.getAttribute('data-kernel') !== String(k);
    });
    document.querySelectorAll('section.area').forEach(function (el) {
      el.hidden = el.querySelector('section.claim:not([hidden])') === null;
    });
    count.textContent = shown + ' of ' + total + ' claims shown';
    document.body.setAttribute('data-shown', String(shown));
  }
  [area, kernel, verdict, differs].forEach(function (select) {
    select.addEventListener('change', apply);
  });
  form.hidden = false;
  apply();
  document.body.setAttribute('data-filter', 'ready');
})();
)js";

// The filter's attributes of a claim: its area, its verdict key on each
// kernel ("-" where that run lacks it) and how it differs.
std::string FilterAttributes(const ClaimAcrossKernels& row) {
  std::string verdicts;
  for (const ClaimReport* claim : row.on) {
    if (!verdicts.empty()) verdicts += ' ';
    verdicts +=
        claim == nullptr ? "-" : std::string(VerdictKey(claim->verdict));
  }
  return fmt::format(
      "data-area=\"{}\" data-verdicts=\"{}\" data-differs=\"{}\"",
      HtmlEscape(row.claim->claim.area), verdicts,
      DifferenceKey(row.difference));
}

std::string DifferenceClass(const ClaimAcrossKernels& row) {
  return row.Differs() ? "differs-" + std::string(DifferenceKey(row.difference))
                       : std::string();
}

std::string DifferenceMarker(const ClaimAcrossKernels& row) {
  switch (row.difference) {
    case Difference::kAnswers:
      return " <span class=\"marker\">differs</span>";
    case Difference::kCoverage:
      return " <span class=\"marker coverage\">some kernels only</span>";
    case Difference::kSame:
      break;
  }
  return "";
}

std::string BadgeOrAbsent(const ClaimReport* claim) {
  return claim == nullptr ? std::string("—") : Badge(claim->verdict);
}

std::string KernelHeaderCells(const std::vector<std::string>& labels) {
  std::string cells;
  for (const std::string& label : labels) {
    cells += "<th>" + HtmlEscape(label) + "</th>";
  }
  return cells;
}

void WriteCommonRun(const Report& report, std::string& html) {
  const RunInfo& run = report.run;
  const auto row = [&](std::string_view name, const std::string& value_html) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", name, value_html);
  };
  html += "<table class=\"run\">\n";
  row("host", HtmlEscape(run.hostname));
  row("date", HtmlEscape(run.started_utc));
  row("command", Code(run.command_line));
  row("selection", run.selection.empty() ? std::string("every claim")
                                         : HtmlEscape(Joined(run.selection)));
  row("strict", run.strict ? "yes" : "no");
  row("verify", HtmlEscape(run.verify_version));
  html += "</table>\n";
}

void WriteKernels(const std::vector<Report>& reports,
                  const std::vector<std::string>& labels, std::string& html) {
  html += "<section id=\"kernels\">\n<h2>Kernels</h2>\n";
  html += "<table class=\"kernels\">\n<tr><th></th>" +
          KernelHeaderCells(labels) + "</tr>\n";
  std::vector<std::vector<KernelFact>> facts;
  for (const Report& report : reports) facts.push_back(KernelFacts(report));
  for (size_t row = 0; row < facts.front().size(); ++row) {
    html += "<tr><th>" + HtmlEscape(facts.front()[row].name) + "</th>";
    for (const std::vector<KernelFact>& kernel : facts) {
      html += std::string(kernel[row].loud ? "<td class=\"loud\">" : "<td>") +
              HtmlEscape(kernel[row].value) + "</td>";
    }
    html += "</tr>\n";
  }
  html += "</table>\n";
  bool any_failure = false, any_missing = false;
  for (const Report& report : reports) {
    any_failure = any_failure || !report.run.kernel.failure.empty();
    any_missing =
        any_missing || !report.run.kernel.missing_requirements.empty();
  }
  if (any_failure) {
    html += "<section id=\"guest-failures\">\n<h3>Guest failures</h3>\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      if (reports[k].run.kernel.failure.empty()) continue;
      WriteGuestFailure(labels[k], reports[k].run.kernel, "h4", html);
    }
    html += "</section>\n";
  }
  if (any_missing) {
    html +=
        "<section id=\"missing-requirements\">\n<h3>Missing "
        "requirements</h3>\n<p>What some folders need "
        "(conformance/*/requirements) and a kernel lacks: their claims are "
        "unverified on that kernel, naming what is missing, not "
        "failed.</p>\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      if (reports[k].run.kernel.missing_requirements.empty()) continue;
      html += "<h4>" + HtmlEscape(labels[k]) + "</h4>\n";
      WriteMissingRequirementsList(reports[k].run.kernel, html);
    }
    html += "</section>\n";
  }
  html += "</section>\n";
}

void WriteSeveralSummary(const std::vector<Report>& reports,
                         const std::vector<std::string>& labels,
                         const std::vector<ClaimAcrossKernels>& rows,
                         std::string& html) {
  html += "<section id=\"summary\">\n<h2>Summary</h2>\n";
  html += "<table class=\"counts\">\n<tr><th>verdict</th>" +
          KernelHeaderCells(labels) + "</tr>\n";
  for (Verdict verdict : AllVerdicts()) {
    html += "<tr><td>" + Badge(verdict) + "</td>";
    for (const Report& report : reports) {
      html +=
          fmt::format("<td class=\"number\">{}</td>", report.Count(verdict));
    }
    html += "</tr>\n";
  }
  html += "<tr><th>total</th>";
  for (const Report& report : reports) {
    html += fmt::format("<td class=\"number\"><strong>{}</strong></td>",
                        report.claims.size());
  }
  html += "</tr>\n</table>\n";

  // Hidden until the script shows it, as on the single page.
  html +=
      "<form id=\"filter\" hidden=\"hidden\">\n<label>Area <select "
      "id=\"filter-area\"><option value=\"\">all areas</option>";
  for (const claims::Area& area : reports.front().areas) {
    html += fmt::format("<option value=\"{}\">{} ({})</option>",
                        HtmlEscape(area.id), HtmlEscape(area.title),
                        HtmlEscape(area.id));
  }
  html +=
      "</select></label>\n<label>Kernel <select id=\"filter-kernel\">"
      "<option value=\"\">any kernel</option>";
  for (const std::string& label : labels) {
    html +=
        fmt::format("<option value=\"{0}\">{0}</option>", HtmlEscape(label));
  }
  html +=
      "</select></label>\n<label>Verdict <select id=\"filter-verdict\">"
      "<option value=\"\">all verdicts</option>";
  for (Verdict verdict : AllVerdicts()) {
    html += fmt::format("<option value=\"{}\">{}</option>", VerdictKey(verdict),
                        VerdictName(verdict));
  }
  html +=
      "</select></label>\n<label>Kernels <select id=\"filter-differs\">"
      "<option value=\"\">all claims</option>"
      "<option value=\"differs\">differs between kernels</option>"
      "<option value=\"answers\">different answers only</option>"
      "</select></label>\n<output id=\"filter-count\"></output>\n</form>\n";

  html += "<table class=\"claims\">\n<thead><tr><th>claim</th><th>area</th>" +
          KernelHeaderCells(labels) +
          "<th>the note says</th></tr></thead>\n<tbody>\n";
  for (const ClaimAcrossKernels& row : rows) {
    const claims::Claim& c = row.claim->claim;
    const std::string css = DifferenceClass(row);
    html += "<tr" + (css.empty() ? "" : " class=\"" + css + "\"") + " " +
            FilterAttributes(row) + "><td><a href=\"#" +
            HtmlEscape(ClaimAnchor(c.id)) + "\">" + Code(c.id) + "</a>" +
            DifferenceMarker(row) + "</td><td>" + HtmlEscape(c.area) + "</td>";
    for (const ClaimReport* claim : row.on) {
      html += "<td>" + BadgeOrAbsent(claim) + "</td>";
    }
    html += c.beyond_note
                ? std::string("<td class=\"beyond\">beyond the note</td>")
                : "<td lang=\"zh\">" + HtmlEscape(c.note_quote) + "</td>";
    html += "</tr>\n";
  }
  html += "</tbody>\n</table>\n</section>\n";
}

std::string DiffersAnchor(const std::string& id) { return "differs-" + id; }

// One kernel's verdict and evidence for a claim, under a heading.
void WriteKernelEvidence(const Report& report, const std::string& label,
                         size_t kernel, const ClaimReport* claim,
                         std::string_view heading, std::string_view inner,
                         std::string& html) {
  html += fmt::format("<div class=\"kernel-evidence\" data-kernel=\"{}\">\n",
                      kernel);
  if (claim == nullptr) {
    html += fmt::format(
        "<{0}>On {1}: not run</{0}>\n<p>This kernel's run did not include the "
        "claim.</p>\n</div>\n",
        heading, HtmlEscape(label));
    return;
  }
  html += fmt::format("<{0}>On {1}: {2}</{0}>\n<dl>\n", heading,
                      HtmlEscape(label), Badge(claim->verdict));
  WriteVerdictItems(*claim, html);
  html += "</dl>\n";
  WriteEvidenceTables(report, *claim, html, inner);
  html += "</div>\n";
}

void WriteDiffers(const std::vector<Report>& reports,
                  const std::vector<std::string>& labels,
                  const std::vector<ClaimAcrossKernels>& rows,
                  std::string& html) {
  const auto [answers, coverage] = CountDifferences(rows);
  html += "<section id=\"differs\">\n<h2>Differs between kernels</h2>\n";
  if (answers + coverage == 0) {
    html +=
        "<p>Every claim has the same verdict on every kernel.</p>\n"
        "</section>\n";
    return;
  }
  html += "<h3>Different answers</h3>\n";
  if (answers == 0) {
    html +=
        "<p>No claim got different answers: where two kernels answered, "
        "they agree.</p>\n";
  } else {
    html += fmt::format(
        "<p>{} claim(s) got different answers on different kernels. Each is "
        "shown with every kernel's verdict and evidence.</p>\n",
        answers);
    html += "<table class=\"differs\">\n<tr><th>claim</th><th>area</th>" +
            KernelHeaderCells(labels) + "</tr>\n";
    for (const ClaimAcrossKernels& row : rows) {
      if (row.difference != Difference::kAnswers) continue;
      html += "<tr class=\"differs-answers\" " + FilterAttributes(row) +
              "><td><a href=\"#" + HtmlEscape(DiffersAnchor(row.id)) + "\">" +
              Code(row.id) + "</a></td><td>" +
              HtmlEscape(row.claim->claim.area) + "</td>";
      for (const ClaimReport* claim : row.on) {
        html += "<td>" + BadgeOrAbsent(claim) + "</td>";
      }
      html += "</tr>\n";
    }
    html += "</table>\n";
    for (const ClaimAcrossKernels& row : rows) {
      if (row.difference != Difference::kAnswers) continue;
      html += "<section class=\"differs-claim\" id=\"" +
              HtmlEscape(DiffersAnchor(row.id)) + "\" " +
              FilterAttributes(row) + ">\n<h4>" + Code(row.id) + "</h4>\n";
      html += "<p>" + HtmlEscape(row.claim->claim.meaning) + " (<a href=\"#" +
              HtmlEscape(ClaimAnchor(row.id)) +
              "\">the claim's section</a>)</p>\n";
      html +=
          "<table class=\"kernel-verdicts\">\n<tr><th>kernel</th><th>verdict"
          "</th><th>why</th></tr>\n";
      for (size_t k = 0; k < row.on.size(); ++k) {
        const ClaimReport* claim = row.on[k];
        html += "<tr><td>" + HtmlEscape(labels[k]) + "</td><td>" +
                BadgeOrAbsent(claim) + "</td><td>" +
                (claim == nullptr ? std::string("not in this kernel's run")
                                  : HtmlEscape(claim->explanation)) +
                "</td></tr>\n";
      }
      html += "</table>\n";
      for (size_t k = 0; k < row.on.size(); ++k) {
        WriteKernelEvidence(reports[k], labels[k], k, row.on[k], "h5", "h6",
                            html);
      }
      html += "</section>\n";
    }
  }
  html += "<h3>Decided on some kernels only</h3>\n";
  if (coverage == 0) {
    html +=
        "<p>None: every claim answered on one kernel was answered on "
        "all.</p>\n</section>\n";
    return;
  }
  html += fmt::format(
      "<p>{} claim(s) have the same answer wherever there is one, but some "
      "kernels gave none (a missing requirement, a guest that failed, "
      "skipped tests). Each claim's section has every kernel's "
      "evidence.</p>\n",
      coverage);
  html += "<table class=\"coverage\">\n<tr><th>claim</th><th>area</th>" +
          KernelHeaderCells(labels) + "<th>why not everywhere</th></tr>\n";
  for (const ClaimAcrossKernels& row : rows) {
    if (row.difference != Difference::kCoverage) continue;
    html += "<tr class=\"differs-coverage\" " + FilterAttributes(row) +
            "><td><a href=\"#" + HtmlEscape(ClaimAnchor(row.id)) + "\">" +
            Code(row.id) + "</a></td><td>" + HtmlEscape(row.claim->claim.area) +
            "</td>";
    std::string why;
    for (size_t k = 0; k < row.on.size(); ++k) {
      const ClaimReport* claim = row.on[k];
      html += "<td>" + BadgeOrAbsent(claim) + "</td>";
      std::string reason;
      if (claim == nullptr) {
        reason = "not in this kernel's run";
      } else if (!IsAnswer(claim->verdict)) {
        reason = NoVerdictReason(*claim);
      } else {
        continue;
      }
      why += "<li>" + HtmlEscape(labels[k] + ": " + reason) + "</li>";
    }
    html += "<td><ul>" + why + "</ul></td></tr>\n";
  }
  html += "</table>\n</section>\n";
}

void WriteSeveralClaim(const std::vector<Report>& reports,
                       const std::vector<std::string>& labels,
                       const ClaimAcrossKernels& row, std::string& html) {
  const claims::Claim& c = row.claim->claim;
  const std::string css = DifferenceClass(row);
  html += "<section id=\"" + HtmlEscape(ClaimAnchor(c.id)) +
          "\" class=\"claim" + (css.empty() ? "" : " " + css) + "\" " +
          FilterAttributes(row) + ">\n<h3>" + Code(c.id);
  if (row.Differs()) {
    for (size_t k = 0; k < row.on.size(); ++k) {
      html += " " + HtmlEscape(labels[k]) + " " + BadgeOrAbsent(row.on[k]);
    }
  } else {
    html += " " + Badge(row.claim->verdict) + " on every kernel";
  }
  html += "</h3>\n";
  WriteClaimQuote(c, html);
  html += "<dl>\n";
  WriteMeaningItems(c, html);
  if (row.difference == Difference::kAnswers) {
    html +=
        "<dt>Differs between kernels</dt><dd>The kernels answered "
        "differently (<a href=\"#" +
        HtmlEscape(DiffersAnchor(c.id)) +
        "\">all answers side by side</a>).</dd>\n";
  } else if (row.difference == Difference::kCoverage) {
    html +=
        "<dt>Differs between kernels</dt><dd>Decided on some kernels "
        "only.</dd>\n";
  }
  html += "</dl>\n";
  for (size_t k = 0; k < row.on.size(); ++k) {
    WriteKernelEvidence(reports[k], labels[k], k, row.on[k], "h4", "h5", html);
  }
  html += "</section>\n";
}

}  // namespace

std::string WriteHtml(const std::vector<Report>& reports) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteHtml(reports.front());
  const std::vector<std::string> labels = KernelLabels(reports);
  const std::vector<ClaimAcrossKernels> rows = ClaimsAcrossKernels(reports);
  const Report& first = reports.front();

  std::string kernels;
  for (size_t k = 0; k < reports.size(); ++k) {
    if (!kernels.empty()) kernels += ", ";
    kernels += KernelTitle(labels[k], reports[k]);
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" "
      "/>\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\" />\n";
  html += "<title>ipcproof report: " + HtmlEscape(first.note_title) + " — " +
          std::to_string(reports.size()) + " kernels</title>\n";
  html += "<style>" + std::string(kStyle) + std::string(kKernelsStyle) +
          "</style>\n</head>\n<body>\n";
  html += "<header>\n<h1>ipcproof report: <span lang=\"zh\">" +
          HtmlEscape(first.note_title) + "</span></h1>\n";
  html += fmt::format(
      "<p>What the note says about Linux IPC, checked on {} kernels, a column "
      "each: {}. Each kernel's verdicts were earned by the tests run on that "
      "kernel.</p>\n</header>\n",
      reports.size(), HtmlEscape(kernels));
  // A guest that failed is said before anything else.
  for (size_t k = 0; k < reports.size(); ++k) {
    const std::string sentence =
        GuestFailureSentence(labels[k], reports[k].run.kernel);
    if (sentence.empty()) continue;
    html += "<div class=\"guest-failure\" role=\"alert\"><p><strong>" +
            HtmlEscape(sentence) +
            "</strong> Its log is under <a href=\"#guest-failures\">Guest "
            "failures</a>.</p></div>\n";
  }
  const auto [answers, coverage] = CountDifferences(rows);
  if (answers + coverage > 0) {
    html += fmt::format(
        "<p class=\"differs-count\"><strong>{} claim(s) got different answers "
        "on different kernels, and {} were decided on some kernels "
        "only:</strong> see <a href=\"#differs\">Differs between "
        "kernels</a>.</p>\n",
        answers, coverage);
  } else {
    html +=
        "<p class=\"differs-count\">Every claim has the same verdict on "
        "every kernel.</p>\n";
  }
  WriteCommonRun(first, html);
  WriteKernels(reports, labels, html);
  html += "<section id=\"health\">\n<h2>Kernel health</h2>\n";
  for (size_t k = 0; k < reports.size(); ++k) {
    html += "<h3>" + HtmlEscape(labels[k]) + "</h3>\n";
    WriteHealthBody(reports[k].health, html);
  }
  html += "</section>\n";
  WriteSeveralSummary(reports, labels, rows, html);
  // The benchmarks run on the host only: each report that has them, under
  // its kernel's label.
  bool any_benchmarks = false;
  for (const Report& report : reports) {
    any_benchmarks = any_benchmarks || report.benchmarks.has_value();
  }
  if (any_benchmarks) {
    html += "<section id=\"benchmarks\">\n<h2>Benchmarks</h2>\n";
    for (size_t k = 0; k < reports.size(); ++k) {
      if (!reports[k].benchmarks) continue;
      html += "<h3>On " + HtmlEscape(labels[k]) + "</h3>\n";
      html += BenchmarkSectionBodyHtml(*reports[k].benchmarks, "h4");
    }
    html += "</section>\n";
  }
  WriteDiffers(reports, labels, rows, html);

  html += "<main>\n";
  std::vector<bool> written(rows.size(), false);
  const auto write_area = [&](const std::string& id, const std::string& title) {
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (written[i] || rows[i].claim->claim.area != id) continue;
      if (!any) {
        html += fmt::format(
            "<section class=\"area\" id=\"area-{}\">\n<h2>{} {}</h2>\n",
            HtmlEscape(id), HtmlEscape(title), Code(id));
      }
      any = true;
      written[i] = true;
      WriteSeveralClaim(reports, labels, rows[i], html);
    }
    if (any) html += "</section>\n";
  };
  for (const claims::Area& area : first.areas) write_area(area.id, area.title);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!written[i]) {
      const std::string area = rows[i].claim->claim.area;
      write_area(area, area);
    }
  }
  html += "</main>\n<script>" + std::string(kKernelsScript) +
          "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace ipcproof::verify
