#include "tools/bench/benchmark_output.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace ipcproof::bench {
namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

// What Google Benchmark appends to a family's name (benchmark_register.cc:
// "real_time", "manual_time", and "key:value" for iterations, min_time,
// repeats, threads): not part of the suite's name.
bool IsAppendedByGoogleBenchmark(const std::string& component) {
  return component == "real_time" || component == "manual_time" ||
         component.find(':') != std::string::npos;
}

std::optional<int64_t> ParseSize(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

// Seconds per time_unit, as nanoseconds.
double NanosecondsPer(const std::string& time_unit) {
  if (time_unit == "ns") return 1;
  if (time_unit == "us") return 1e3;
  if (time_unit == "ms") return 1e6;
  if (time_unit == "s") return 1e9;
  throw std::runtime_error("unknown time_unit \"" + time_unit + "\"");
}

// The figure of `entry` in `unit`; a "cv" aggregate is a fraction already.
double Figure(const json& entry, const std::string& unit, bool is_cv) {
  if (unit == "bytes_per_second") {
    return entry.at("bytes_per_second").get<double>();
  }
  const double real_time = entry.at("real_time").get<double>();
  if (is_cv) return real_time;
  return real_time * NanosecondsPer(entry.value("time_unit", "ns"));
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One run_name's entries, in the order the binary wrote them.
struct Group {
  std::string run_name;
  std::vector<const json*> entries;
};

void ReadGroup(const Group& group, const std::string& binary,
               BinaryOutput& output) {
  const std::optional<BenchmarkName> name = ParseBenchmarkName(group.run_name);
  if (!name) {
    output.problems.push_back(binary + ": \"" + group.run_name +
                              "\" is not named kind/mechanism/size");
    return;
  }
  Result result;
  result.name = *name;
  result.binary = binary;
  bool has_bytes = false;
  for (const json* entry : group.entries) {
    has_bytes = has_bytes || entry->contains("bytes_per_second");
  }
  result.unit = UnitOfKind(name->kind, has_bytes);

  int errors = 0;
  std::string first_error;
  std::vector<const json*> runs;                  // iterations without error
  std::map<std::string, const json*> aggregates;  // by aggregate_name
  for (const json* entry : group.entries) {
    result.repetitions =
        std::max(result.repetitions, entry->value("repetitions", 0));
    if (entry->value("error_occurred", false)) {
      if (errors++ == 0) first_error = entry->value("error_message", "");
      continue;
    }
    if (entry->value("run_type", "iteration") == "aggregate") {
      aggregates[entry->value("aggregate_name", "")] = entry;
    } else {
      runs.push_back(entry);
    }
  }
  if (errors > 0) {
    std::string reason = first_error.empty() ? "skipped" : first_error;
    if (errors < result.repetitions) {
      reason += " (in " + std::to_string(errors) + " of " +
                std::to_string(result.repetitions) + " repetitions)";
    }
    result.skipped = reason;
    output.results.push_back(result);
    return;
  }
  if (result.unit == "bytes_per_second" && !has_bytes) {
    output.problems.push_back(binary + ": " + name->Text() +
                              " reports no bytes_per_second");
    return;
  }
  try {
    if (aggregates.count("median") != 0 && aggregates.count("mean") != 0) {
      result.median = Figure(*aggregates["median"], result.unit, false);
      result.mean = Figure(*aggregates["mean"], result.unit, false);
      if (aggregates.count("stddev") != 0) {
        result.stddev = Figure(*aggregates["stddev"], result.unit, false);
      }
      if (aggregates.count("cv") != 0) {
        result.cv = Figure(*aggregates["cv"], result.unit, true);
      }
    } else if (!runs.empty()) {
      // One repetition (Google Benchmark reports no aggregates then), or a
      // run without --benchmark_report_aggregates_only: the same
      // statistics from the repetitions themselves.
      std::vector<double> values;
      for (const json* run : runs) {
        values.push_back(Figure(*run, result.unit, false));
      }
      double sum = 0;
      for (double value : values) sum += value;
      result.mean = sum / values.size();
      result.median = Median(values);
      result.repetitions = static_cast<int>(values.size());
      if (values.size() > 1) {
        double squares = 0;
        for (double value : values) {
          squares += (value - result.mean) * (value - result.mean);
        }
        result.stddev = std::sqrt(squares / (values.size() - 1));
        result.cv = result.mean != 0 ? *result.stddev / result.mean : 0;
      }
    } else {
      output.problems.push_back(binary + ": " + name->Text() +
                                " has neither runs nor median and mean");
      return;
    }
  } catch (const std::exception& error) {
    output.problems.push_back(binary + ": " + name->Text() + ": " +
                              error.what());
    return;
  }
  output.results.push_back(result);
}

}  // namespace

std::string BenchmarkName::Text() const {
  return kind + "/" + mechanism + "/" + std::to_string(size);
}

std::optional<BenchmarkName> ParseBenchmarkName(const std::string& printed) {
  std::vector<std::string> kept;
  for (const std::string& component : Split(printed, '/')) {
    if (!IsAppendedByGoogleBenchmark(component)) kept.push_back(component);
  }
  if (kept.size() != 3 || kept[0].empty() || kept[1].empty()) {
    return std::nullopt;
  }
  const std::optional<int64_t> size = ParseSize(kept[2]);
  if (!size) return std::nullopt;
  return BenchmarkName{kept[0], kept[1], *size};
}

std::string UnitOfKind(const std::string& kind, bool has_bytes_per_second) {
  if (kind == "throughput" || kind == "memcpy" || kind == "zerocopy") {
    return "bytes_per_second";
  }
  if (kind == "latency" || kind == "syscall" || kind == "wrapper") return "ns";
  return has_bytes_per_second ? "bytes_per_second" : "ns";
}

BinaryOutput ParseBenchmarkJson(const std::string& json_text,
                                const std::string& binary) {
  json document;
  try {
    document = json::parse(json_text);
  } catch (const json::parse_error& error) {
    throw std::runtime_error(std::string("not JSON (") + error.what() + ")");
  }
  if (!document.is_object() || !document.contains("benchmarks") ||
      !document["benchmarks"].is_array()) {
    throw std::runtime_error("no \"benchmarks\" array");
  }
  BinaryOutput output;
  if (document.contains("context") && document["context"].is_object()) {
    for (const auto& [key, value] : document["context"].items()) {
      if (value.is_string()) output.context[key] = value.get<std::string>();
    }
  }
  std::vector<Group> groups;
  for (const json& entry : document["benchmarks"]) {
    const std::string run_name =
        entry.value("run_name", entry.value("name", ""));
    auto group =
        std::find_if(groups.begin(), groups.end(),
                     [&](const Group& g) { return g.run_name == run_name; });
    if (group == groups.end()) {
      groups.push_back(Group{run_name, {}});
      group = groups.end() - 1;
    }
    group->entries.push_back(&entry);
  }
  for (const Group& group : groups) ReadGroup(group, binary, output);
  return output;
}

std::vector<std::string> ParseBenchmarkList(const std::string& text) {
  std::vector<std::string> names;
  for (std::string line : Split(text, '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    // Names have no spaces; the library's warnings ("***WARNING*** ...")
    // and the binary's own notes on stderr do.
    if (!line.empty() && line.find(' ') == std::string::npos) {
      names.push_back(line);
    }
  }
  return names;
}

}  // namespace ipcproof::bench
