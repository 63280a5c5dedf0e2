// report.json: the whole Report for machines. docs/report-schema.md is the
// schema; bump kSchemaVersion there and here when a field changes meaning or
// goes away (adding an optional field keeps the version).
#include <stdexcept>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tools/report/kernel_columns.h"
#include "tools/report/report_writers.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

// 1: one kernel's run. 2: several (verify --kernel K ...): `kernels` holds
// one version-1 document per kernel.
constexpr int kSchemaVersion = 1;
constexpr int kSeveralKernelsVersion = 2;

using nlohmann::ordered_json;

// Foreign text (test output) may hold any bytes; JSON strings must be UTF-8.
std::string Text(std::string_view text) { return CleanText(text); }

ordered_json Strings(const std::vector<std::string>& items) {
  ordered_json list = ordered_json::array();
  for (const std::string& item : items) list.push_back(Text(item));
  return list;
}

ordered_json Pairs(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  ordered_json list = ordered_json::array();
  for (const auto& [name, value] : pairs) {
    list.push_back({{"name", Text(name)}, {"value", Text(value)}});
  }
  return list;
}

ordered_json AttemptJson(const Attempt& attempt) {
  ordered_json json = {{"status", TestStatusName(attempt.status)}};
  if (attempt.failure_kind != FailureKind::kNone) {
    json["failure_kind"] = FailureKindName(attempt.failure_kind);
  }
  json["messages"] = Strings(attempt.messages);
  json["seconds"] = attempt.seconds;
  return json;
}

// Where the run was: always in the several-kernels form, and in a single
// report when the run was in a guest or the kernel lacks a requirement.
ordered_json KernelJson(const KernelInfo& kernel, const std::string& label) {
  ordered_json json = {{"label", Text(label)}, {"guest", kernel.guest}};
  const auto optional = [&](const char* key, const std::string& value) {
    if (!value.empty()) json[key] = Text(value);
  };
  optional("package", kernel.package);
  optional("image_path", kernel.image_path);
  optional("accelerator", kernel.accelerator);
  optional("accelerator_note", kernel.accelerator_note);
  json["time_scale"] = kernel.time_scale;
  if (kernel.guest) json["boot_seconds"] = kernel.boot_seconds;
  optional("config_source", kernel.config_source);
  optional("failure", kernel.failure);
  optional("failure_message", kernel.failure_message);
  json["missing_requirements"] = Strings(kernel.missing_requirements);
  return json;
}

ordered_json RunJson(const RunInfo& run) {
  return {{"kernel_release", Text(run.kernel_release)},
          {"kernel_version", Text(run.kernel_version)},
          {"machine", Text(run.machine)},
          {"hostname", Text(run.hostname)},
          {"started_utc", Text(run.started_utc)},
          {"wall_seconds", run.wall_seconds},
          {"command_line", Text(run.command_line)},
          {"verify_version", Text(run.verify_version)},
          {"selection", Strings(run.selection)},
          {"strict", run.strict},
          {"binaries", Strings(run.binaries)}};
}

ordered_json HealthJson(const KernelHealth& health) {
  ordered_json json = {{"tainted_before", Text(health.tainted_before)},
                       {"tainted_after", Text(health.tainted_after)},
                       {"taint_changed", health.TaintChanged()},
                       {"warnings", Strings(health.warnings)},
                       {"warned", health.Warned()}};
  if (!health.log_unreadable.empty()) {
    json["log_unreadable"] = Text(health.log_unreadable);
  }
  return json;
}

// Keys as docs/claims.json spells them, so a rule reads the same in both.
ordered_json RuleJson(const claims::MeasuredRule& rule) {
  ordered_json json = {{"text", Text(rule.text)},
                       {"figure", Text(rule.figure)},
                       {"aggregate", Text(rule.aggregate)},
                       {"op", Text(rule.op)},
                       {"threshold", rule.threshold},
                       {"then", Text(rule.verdict_if_true)},
                       {"else", Text(rule.verdict_if_false)}};
  if (rule.op == "==") json["tolerance"] = rule.tolerance;
  if (rule.measures_speed) json["speed"] = true;
  if (rule.benchmarks) {
    const claims::BenchmarkFigures& figures = *rule.benchmarks;
    json["benchmarks"] = {{"kind", Text(figures.kind)},
                          {"mechanisms", Strings(figures.mechanisms)},
                          {"sizes", figures.sizes},
                          {"relative_to", Text(figures.relative_to)}};
  }
  return json;
}

// verify --benchmarks' run: its stamp and every result, in benchmarks.json's
// own keys (docs/benchmarks-schema.md).
ordered_json BenchmarksJson(const BenchmarkRun& run) {
  ordered_json json = {{"file", Text(run.file)},
                       {"date", Text(run.date)},
                       {"command", Text(run.command)},
                       {"cpu_model", Text(run.cpu_model)},
                       {"cpus", run.cpus},
                       {"pinning", Text(run.pinning)},
                       {"ipc_namespace", Text(run.ipc_namespace)},
                       {"repetitions", run.repetitions},
                       {"smoke", run.smoke},
                       {"seconds", run.seconds},
                       {"usable", run.unusable.empty()}};
  if (!run.unusable.empty()) json["unusable"] = Text(run.unusable);
  ordered_json results = ordered_json::array();
  for (const BenchmarkResult& result : run.results) {
    ordered_json entry = {
        {"kind", Text(result.kind)}, {"mechanism", Text(result.mechanism)},
        {"size", result.size},       {"binary", Text(result.binary)},
        {"unit", Text(result.unit)}, {"repetitions", result.repetitions}};
    if (!result.skipped.empty()) {
      entry["skipped"] = Text(result.skipped);
    } else {
      entry["median"] = result.median ? ordered_json(*result.median) : nullptr;
      entry["cv"] = result.cv ? ordered_json(*result.cv) : nullptr;
    }
    results.push_back(entry);
  }
  json["results"] = results;
  return json;
}

ordered_json ClaimJson(const ClaimReport& report) {
  const claims::Claim& c = report.claim;
  ordered_json json = {
      {"id", c.id}, {"area", c.area}, {"beyond_note", c.beyond_note}};
  if (!c.beyond_note) {
    json["note"] = {{"quote", Text(c.note_quote)},
                    {"section", Text(c.note_section)}};
  }
  json["meaning"] = Text(c.meaning);
  json["semantics"] = Text(c.semantics);
  json["references"] = Strings(c.references);
  json["predicted"] = claims::PredictedName(c.predicted);
  json["folder"] = Text(c.folder);
  if (!c.not_checkable.empty()) json["not_checkable"] = Text(c.not_checkable);
  if (c.rule) json["rule"] = RuleJson(*c.rule);
  json["verdict"] = VerdictKey(report.verdict);
  json["verdict_name"] = VerdictName(report.verdict);
  json["earned"] = IsEarned(report.verdict);
  json["explanation"] = Text(report.explanation);
  json["tests"] = report.tests;
  ordered_json figures = ordered_json::array();
  for (const Figure& figure : report.figures) {
    figures.push_back({{"name", Text(figure.name)},
                       {"value", Text(figure.value)},
                       {"test", Text(figure.test)}});
  }
  json["figures"] = figures;
  if (!report.rule_outcome.empty()) {
    json["rule_outcome"] = Text(report.rule_outcome);
  }
  if (!report.expected_deviation_reason.empty()) {
    json["expected_deviation_reason"] = Text(report.expected_deviation_reason);
  }
  return json;
}

ordered_json TestJson(const TestResult& test) {
  ordered_json json = {{"binary", Text(test.binary)},
                       {"suite", Text(test.suite)},
                       {"name", Text(test.name)},
                       {"full_name", Text(test.full_name)}};
  if (!test.declared_at.empty()) json["declared_at"] = Text(test.declared_at);
  json["claims"] = Strings(test.claims);
  json["first"] = AttemptJson(test.first);
  if (test.rerun) json["rerun"] = AttemptJson(*test.rerun);
  json["measured"] = Pairs(test.measured);
  if (!test.unverified.empty()) json["unverified"] = Text(test.unverified);
  json["properties"] = Pairs(test.properties);
  return json;
}

// The version-1 document of one report. `label`: the kernel's label in the
// report; `with_kernel`: write run.kernel even for a plain host run.
ordered_json ReportJson(const Report& report, const std::string& label,
                        bool with_kernel) {
  ordered_json json = {{"schema", "ipcproof-report"},
                       {"version", kSchemaVersion}};
  json["run"] = RunJson(report.run);
  const KernelInfo& kernel = report.run.kernel;
  if (with_kernel || kernel.guest || !kernel.missing_requirements.empty()) {
    json["run"]["kernel"] = KernelJson(kernel, label);
  }
  json["note"] = {{"title", Text(report.note_title)}};
  ordered_json areas = ordered_json::array();
  for (const claims::Area& area : report.areas) {
    areas.push_back({{"id", Text(area.id)}, {"title", Text(area.title)}});
  }
  json["areas"] = areas;
  json["health"] = HealthJson(report.health);
  ordered_json counts = ordered_json::object();
  for (Verdict verdict : AllVerdicts()) {
    counts[std::string(VerdictKey(verdict))] = report.Count(verdict);
  }
  counts["total"] = report.claims.size();
  json["counts"] = counts;
  json["deviates"] = report.AnyDeviation();
  ordered_json claims = ordered_json::array();
  for (const ClaimReport& claim : report.claims) {
    claims.push_back(ClaimJson(claim));
  }
  json["claims"] = claims;
  ordered_json tests = ordered_json::array();
  for (const TestResult& test : report.tests) tests.push_back(TestJson(test));
  json["tests"] = tests;
  if (report.benchmarks)
    json["benchmarks"] = BenchmarksJson(*report.benchmarks);
  return json;
}

// Every string went through CleanText; `replace` is the last guard, so a
// byte that slipped through costs one U+FFFD, never the report.
std::string Dumped(const ordered_json& json) {
  return json.dump(2, ' ', false, ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace

std::string WriteJson(const Report& report) {
  const std::string label =
      report.run.kernel.label.empty() ? "host" : report.run.kernel.label;
  return Dumped(ReportJson(report, label, false));
}

std::string WriteJson(const std::vector<Report>& reports) {
  if (reports.empty()) throw std::invalid_argument("no report to write");
  if (reports.size() == 1) return WriteJson(reports.front());
  const std::vector<std::string> labels = KernelLabels(reports);
  ordered_json json = {{"schema", "ipcproof-report"},
                       {"version", kSeveralKernelsVersion}};
  ordered_json kernels = ordered_json::array();
  bool deviates = false, guest_failed = false;
  for (size_t k = 0; k < reports.size(); ++k) {
    kernels.push_back(ReportJson(reports[k], labels[k], true));
    deviates = deviates || reports[k].AnyDeviation();
    guest_failed = guest_failed || !reports[k].run.kernel.failure.empty();
  }
  json["labels"] = Strings(labels);
  json["deviates"] = deviates;
  json["guest_failed"] = guest_failed;
  ordered_json differs = ordered_json::array();
  for (const ClaimAcrossKernels& row : ClaimsAcrossKernels(reports)) {
    if (!row.Differs()) continue;
    ordered_json verdicts = ordered_json::array();
    for (const ClaimReport* claim : row.on) {
      if (claim == nullptr) {
        verdicts.push_back(nullptr);
      } else {
        verdicts.push_back(VerdictKey(claim->verdict));
      }
    }
    differs.push_back({{"id", Text(row.id)},
                       {"difference", DifferenceKey(row.difference)},
                       {"verdicts", verdicts}});
  }
  json["differs"] = differs;
  json["kernels"] = kernels;
  return Dumped(json);
}

}  // namespace ipcproof::verify
