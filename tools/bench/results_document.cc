#include "tools/bench/results_document.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "tools/verify/utc_time.h"

namespace ipcproof::bench {
namespace {

using nlohmann::json;

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "unknown (no \"model name\" in /proc/cpuinfo)";
}

}  // namespace

RunStamp StampThisMachine() {
  RunStamp stamp;
  struct utsname names;
  if (::uname(&names) == 0) {
    stamp.kernel_release = names.release;
    stamp.kernel_version = names.version;
    stamp.machine = names.machine;
    stamp.host = names.nodename;
  }
  stamp.cpu_model = CpuModel();
  stamp.cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  stamp.date = verify::UtcNow();
  return stamp;
}

std::string CombinedContext(const std::vector<BinaryRun>& binaries,
                            const std::string& key) {
  std::vector<std::pair<std::string, std::string>> reported;
  for (const BinaryRun& binary : binaries) {
    const auto value = binary.context.find(key);
    if (value != binary.context.end()) {
      reported.emplace_back(binary.name, value->second);
    }
  }
  if (reported.empty()) return "not reported";
  bool agree = true;
  for (const auto& [name, value] : reported) {
    agree = agree && value == reported.front().second;
  }
  if (agree) return reported.front().second;
  std::string combined;
  for (const auto& [name, value] : reported) {
    if (!combined.empty()) combined += "; ";
    combined += name + ": " + value;
  }
  return combined;
}

json ResultJson(const Result& result) {
  json entry = {
      {"kind", result.name.kind}, {"mechanism", result.name.mechanism},
      {"size", result.name.size}, {"binary", result.binary},
      {"unit", result.unit},      {"repetitions", result.repetitions}};
  if (result.skipped) {
    entry["skipped"] = *result.skipped;
    return entry;
  }
  entry["median"] = result.median;
  entry["mean"] = result.mean;
  entry["stddev"] = result.stddev ? json(*result.stddev) : json(nullptr);
  entry["cv"] = result.cv ? json(*result.cv) : json(nullptr);
  return entry;
}

json BuildDocument(const RunStamp& stamp, const std::vector<Result>& results) {
  json binaries = json::array();
  for (const BinaryRun& binary : stamp.binaries) {
    binaries.push_back({{"name", binary.name},
                        {"end", binary.end},
                        {"seconds", binary.seconds},
                        {"context", binary.context}});
  }
  json run = {
      {"kernel",
       {{"release", stamp.kernel_release},
        {"version", stamp.kernel_version},
        {"machine", stamp.machine}}},
      {"host", stamp.host},
      {"cpu_model", stamp.cpu_model},
      {"cpus", stamp.cpus},
      {"date", stamp.date},
      {"command", stamp.command},
      {"repetitions", stamp.repetitions},
      {"min_time", stamp.min_time ? json(*stamp.min_time) : json(nullptr)},
      {"filter", stamp.filter ? json(*stamp.filter) : json(nullptr)},
      {"pinning", CombinedContext(stamp.binaries, "pinning")},
      {"ipc_namespace", CombinedContext(stamp.binaries, "ipc_namespace")},
      {"smoke", stamp.smoke},
      {"binaries", binaries},
  };
  json entries = json::array();
  for (const Result& result : results) entries.push_back(ResultJson(result));
  return {{"schema", kSchema},
          {"version", kSchemaVersion},
          {"run", run},
          {"results", entries}};
}

}  // namespace ipcproof::bench
