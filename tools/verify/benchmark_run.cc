#include "tools/verify/benchmark_run.h"

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "nlohmann/json.hpp"

namespace ipcproof::verify {
namespace {

using nlohmann::json;

constexpr char kSchema[] = "ipcproof-benchmarks";
constexpr int kSchemaVersion = 1;

// Figures are written with six significant digits: more than any
// benchmark's spread allows, and the same text in every format.
std::string Number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string StringOr(const json& object, const char* key,
                     const std::string& otherwise = "") {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return otherwise;
  return found->get<std::string>();
}

std::optional<double> NumberAt(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

std::string JoinStrings(const json& array, size_t most) {
  std::string joined;
  size_t shown = 0;
  if (!array.is_array()) return joined;
  for (const json& item : array) {
    if (!item.is_string()) continue;
    if (shown == most) {
      joined += "; and " + std::to_string(array.size() - most) + " more";
      break;
    }
    if (!joined.empty()) joined += "; ";
    joined += item.get<std::string>();
    ++shown;
  }
  return joined;
}

// Why the file's figures must not decide, or "" when they may. The checks
// run in the order a reader would ask: is it ours at all, is it whole, is
// it this kernel's and this run's, is it a real measurement.
std::string Unusable(const json& document, const BenchmarkExpectations& expect,
                     const BenchmarkRun& run, bool& failed) {
  failed = true;
  if (StringOr(document, "schema") != kSchema ||
      NumberAt(document, "version") != std::optional<double>(kSchemaVersion)) {
    return "benchmarks.json is not schema \"" + std::string(kSchema) +
           "\" version " + std::to_string(kSchemaVersion);
  }
  const json& stamp = document["run"];
  if (stamp.value("complete", false) != true) {
    std::string why = "the benchmark run is incomplete";
    const std::string problems =
        JoinStrings(stamp.value("problems", json()), 5);
    const std::string missing = JoinStrings(stamp.value("missing", json()), 5);
    if (!problems.empty()) why += ": " + problems;
    if (!missing.empty()) why += "; no result for " + missing;
    return why;
  }
  const std::string release =
      stamp.contains("kernel") ? StringOr(stamp["kernel"], "release") : "";
  if (release != expect.kernel_release) {
    return "the benchmark run was made on kernel \"" + release +
           "\", not on this one (" + expect.kernel_release + ")";
  }
  // ISO 8601 in UTC compares as text.
  if (run.date.empty() || run.date < expect.not_before_utc) {
    return "the benchmark run is stamped " +
           (run.date.empty() ? std::string("with no date") : run.date) +
           ", before this verify run started (" + expect.not_before_utc +
           "): an older file decides nothing";
  }
  if (run.smoke != expect.smoke) {
    return run.smoke ? "the benchmark run is a smoke run, which was not asked "
                       "for"
                     : "a smoke run was asked for, and the file is not one";
  }
  if (run.smoke) {
    failed = false;
    return "a smoke run (--benchmark-smoke: each benchmark once, at its "
           "smallest size) shows that the benchmarks run, never how fast";
  }
  if (stamp.contains("binaries") && stamp["binaries"].is_array()) {
    for (const json& binary : stamp["binaries"]) {
      const json context = binary.value("context", json::object());
      const std::string build = StringOr(context, "build", "not reported");
      if (build != "optimized") {
        return "benchmark binary " + StringOr(binary, "name", "?") +
               " was built " + build +
               ": its times measure unoptimised code; run `tools/bazel run "
               "-c opt //tools/verify -- --benchmarks`";
      }
    }
  }
  failed = false;
  return "";
}

BenchmarkResult ReadResult(const json& entry) {
  BenchmarkResult result;
  result.kind = StringOr(entry, "kind");
  result.mechanism = StringOr(entry, "mechanism");
  if (const auto size = NumberAt(entry, "size")) {
    result.size = static_cast<int64_t>(*size);
  }
  result.binary = StringOr(entry, "binary");
  result.unit = StringOr(entry, "unit");
  result.repetitions =
      static_cast<int>(NumberAt(entry, "repetitions").value_or(0));
  result.skipped = StringOr(entry, "skipped");
  if (result.skipped.empty()) {
    result.median = NumberAt(entry, "median");
    result.cv = NumberAt(entry, "cv");
  }
  return result;
}

}  // namespace

BenchmarkReading ReadBenchmarkRun(std::string_view json_text,
                                  const BenchmarkExpectations& expect) {
  BenchmarkReading reading;
  BenchmarkRun& run = reading.run;
  run.file = expect.file_in_report;
  const json document = json::parse(json_text, nullptr, false);
  if (document.is_discarded() || !document.is_object() ||
      !document.contains("run") || !document["run"].is_object()) {
    reading.failed = true;
    run.unusable = "benchmarks.json is not JSON with a \"run\" object";
    return reading;
  }
  const json& stamp = document["run"];
  run.date = StringOr(stamp, "date");
  run.cpu_model = StringOr(stamp, "cpu_model");
  run.cpus = static_cast<int>(NumberAt(stamp, "cpus").value_or(0));
  run.pinning = StringOr(stamp, "pinning");
  run.ipc_namespace = StringOr(stamp, "ipc_namespace");
  run.repetitions =
      static_cast<int>(NumberAt(stamp, "repetitions").value_or(0));
  run.smoke = stamp.value("smoke", false) == true;
  if (stamp.contains("binaries") && stamp["binaries"].is_array()) {
    for (const json& binary : stamp["binaries"]) {
      run.seconds += NumberAt(binary, "seconds").value_or(0);
    }
  }
  if (document.contains("results") && document["results"].is_array()) {
    for (const json& entry : document["results"]) {
      if (entry.is_object()) run.results.push_back(ReadResult(entry));
    }
  }
  run.unusable = Unusable(document, expect, run, reading.failed);
  return reading;
}

BenchmarkReading MissingBenchmarkRun(const std::string& why,
                                     const BenchmarkExpectations& expect) {
  BenchmarkReading reading;
  reading.failed = true;
  reading.run.file = expect.file_in_report;
  reading.run.unusable = why;
  return reading;
}

namespace {

// The results of one kind by (mechanism, size).
using ResultsBySize =
    std::map<std::pair<std::string, int64_t>, const BenchmarkResult*>;

bool Usable(const BenchmarkResult* result) {
  return result != nullptr && result->skipped.empty() && result->median &&
         *result->median > 0;
}

// The best result of `kind` at `size` over every mechanism: the lowest time,
// the highest rate.
const BenchmarkResult* Fastest(const BenchmarkRun& run, const std::string& kind,
                               int64_t size) {
  const BenchmarkResult* best = nullptr;
  for (const BenchmarkResult& result : run.results) {
    if (result.kind != kind || result.size != size || !Usable(&result)) {
      continue;
    }
    const bool rate = result.unit == "bytes_per_second";
    if (best == nullptr || (rate ? *result.median > *best->median
                                 : *result.median < *best->median)) {
      best = &result;
    }
  }
  return best;
}

class FigureList {
 public:
  explicit FigureList(TestResult& test) : test_(test) {}

  void Add(const std::string& name, const std::string& value) {
    if (seen_.insert(name).second) test_.measured.emplace_back(name, value);
  }

  // The median of `result` (or why there is none) under its own name.
  void AddMedian(const std::string& kind, const std::string& mechanism,
                 int64_t size, const BenchmarkResult* result) {
    const std::string name =
        kind + "." + mechanism + "." + std::to_string(size);
    if (result == nullptr) {
      Add(name, "no result");
    } else if (!result->skipped.empty()) {
      Add(name, "skipped: " + result->skipped);
    } else if (!result->median) {
      Add(name, "no median");
    } else {
      Add(name, Number(*result->median));
      if (result->cv) Add(name + ".cv", Number(*result->cv));
    }
  }

 private:
  TestResult& test_;
  std::set<std::string> seen_;
};

TestResult BenchmarkTest(const claims::Claim& claim,
                         const claims::BenchmarkFigures& figures,
                         const BenchmarkRun& run) {
  TestResult test;
  test.binary = kBenchmarkBinary;
  test.suite = kBenchmarkSuite;
  test.name = claim.id;
  test.full_name = test.suite + "." + test.name;
  test.claims = {claim.id};
  test.properties.emplace_back("benchmarks", run.file);
  if (!run.unusable.empty()) {
    test.first.status = TestStatus::kSkipped;
    test.first.messages = {run.unusable};
    test.unverified = run.unusable + "; leaves " + claim.id + " unverified";
    return test;
  }
  test.first.status = TestStatus::kPassed;

  ResultsBySize results;
  for (const BenchmarkResult& result : run.results) {
    if (result.kind == figures.kind) {
      results[{result.mechanism, result.size}] = &result;
    }
  }
  const auto find = [&](const std::string& mechanism, int64_t size) {
    const auto found = results.find({mechanism, size});
    return found == results.end() ? nullptr : found->second;
  };

  FigureList list(test);
  for (int64_t size : figures.sizes) {
    const BenchmarkResult* reference = nullptr;
    if (figures.relative_to == "fastest") {
      reference = Fastest(run, figures.kind, size);
      const std::string name =
          figures.kind + ".fastest." + std::to_string(size);
      if (reference == nullptr) {
        list.Add(name, "no result");
      } else {
        list.Add(name, reference->mechanism);
        list.AddMedian(figures.kind, reference->mechanism, size, reference);
      }
    } else {
      reference = find(figures.relative_to, size);
      list.AddMedian(figures.kind, figures.relative_to, size, reference);
    }
    for (const std::string& mechanism : figures.mechanisms) {
      const BenchmarkResult* result = find(mechanism, size);
      list.AddMedian(figures.kind, mechanism, size, result);
      if (Usable(result) && Usable(reference)) {
        list.Add(figures.FigureName(mechanism, size),
                 Number(*result->median / *reference->median));
      }
    }
  }
  return test;
}

}  // namespace

std::vector<TestResult> BenchmarkTests(const claims::Registry& registry,
                                       const std::vector<std::string>& selected,
                                       const BenchmarkRun& run) {
  const std::set<std::string> chosen(selected.begin(), selected.end());
  std::vector<TestResult> tests;
  for (const claims::Claim& claim : registry.claims) {
    if (!chosen.empty() && !chosen.contains(claim.id)) continue;
    if (!claim.rule || !claim.rule->benchmarks) continue;
    tests.push_back(BenchmarkTest(claim, *claim.rule->benchmarks, run));
  }
  return tests;
}

}  // namespace ipcproof::verify
