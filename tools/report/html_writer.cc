// report.html: one self-contained page. Everything it needs is inline (CSS,
// script, text): no URL outside the page, so it opens from a CI artifact, an
// e-mail attachment or an offline machine the same way, and tells no server
// that it was read. Without script everything is shown; the script only adds
// the filter (and reads an initial one from ?area=..&verdict=..). The markup
// is also well-formed XML (void elements self-closed, boolean attributes with
// a value), so tools and tests can read it with an XML parser.
#include <string>

#include "fmt/format.h"
#include "tools/report/claim_evidence.h"
#include "tools/report/claim_figures.h"
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
form#filter { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap;
              background: var(--bg-alt); padding: 0.5rem 0.8rem; border-radius: 6px; }
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

void WriteHealth(const KernelHealth& health, std::string& html) {
  html += "<section id=\"health\">\n<h2>Kernel health</h2>\n<ul>\n";
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

void WriteTests(const Report& report, const ClaimReport& claim,
                std::string& html) {
  if (claim.tests.empty()) return;
  html +=
      "<h4>Deciding tests</h4>\n<table class=\"tests\">\n<tr><th>test</th>"
      "<th>outcome</th><th>declared at</th></tr>\n";
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
                          std::string& html) {
  const ClaimFigures figures = FiguresOfClaim(report, claim);
  if (figures.groups.empty()) return;
  html +=
      "<h4>Figures measured</h4>\n<table class=\"measured\">\n<tr><th>test"
      "</th><th>figure</th><th>value</th></tr>\n";
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

void WriteClaim(const Report& report, const ClaimReport& claim,
                std::string& html) {
  const claims::Claim& c = claim.claim;
  html += fmt::format(
      "<section id=\"{}\" class=\"claim\" data-area=\"{}\" "
      "data-verdict=\"{}\">\n<h3>{} {}</h3>\n",
      HtmlEscape(ClaimAnchor(c.id)), HtmlEscape(c.area),
      VerdictKey(claim.verdict), Code(c.id), Badge(claim.verdict));
  if (c.beyond_note) {
    html +=
        "<p class=\"beyond\">Beyond the note: documented semantics "
        "ipcproof also pins.</p>\n";
  } else {
    html += "<blockquote><p lang=\"zh\">" + HtmlEscape(c.note_quote) +
            "</p><p class=\"source\">— the note, section <span lang=\"zh\">" +
            HtmlEscape(c.note_section) + "</span></p></blockquote>\n";
  }
  html += "<dl>\n<dt>Meaning</dt><dd>" + HtmlEscape(c.meaning) + "</dd>\n";
  html += "<dt>Documented semantics</dt><dd>" + HtmlEscape(c.semantics);
  if (!c.references.empty())
    html += " (" + HtmlEscape(Joined(c.references)) + ")";
  html += "</dd>\n";
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
  html += "</dl>\n";
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
  WriteTests(report, claim, html);
  WriteMeasuredFigures(report, claim, html);
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
  html += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  html += "<header>\n<h1>ipcproof report: <span lang=\"zh\">" +
          HtmlEscape(report.note_title) + "</span></h1>\n";
  html += "<p>What the note says about Linux IPC, checked on Linux " +
          HtmlEscape(report.run.kernel_release) +
          ": each claim's verdict was earned by the tests of this run.</p>\n"
          "</header>\n";
  WriteRun(report, html);
  WriteHealth(report.health, html);
  WriteSummary(report, html);
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

}  // namespace ipcproof::verify
