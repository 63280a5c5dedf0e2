// Writes the sample report (sample_report.h) in all six formats into a
// directory, the four-kernel sample into DIR/kernels/ and its panicked
// guest alone into DIR/guest/, to look at them without running the suite:
//   tools/bazel run //tools/report:write_sample_report -- /tmp/sample
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "tools/report/grading_config.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

namespace {

using namespace ipcproof::verify;

// Writes every format of `reports` (one report: the single form) into dir.
bool WriteAll(const std::vector<Report>& reports, const GradingConfig& config,
              const std::string& dir) {
  for (const Format& format : AllFormats()) {
    const std::string path = dir + "/" + format.file;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (format.name == "md") file << WriteMarkdown(reports);
    if (format.name == "html") file << WriteHtml(reports);
    if (format.name == "json") file << WriteJson(reports);
    if (format.name == "junit") file << WriteJunit(reports);
    if (format.name == "ktap") file << WriteKtap(reports);
    if (format.name == "gradescope") file << WriteGradescope(reports, config);
    if (!file.good()) {
      std::fprintf(stderr, "write_sample_report: %s: cannot write\n",
                   path.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_sample_report DIR\n");
    return 2;
  }
  try {
    const GradingConfig config = LoadGradingConfig("docs/grading.json");
    const std::string dir = argv[1];
    if (!WriteAll({testing::SampleReport()}, config, dir)) return 2;
    const testing::KernelsSample sample = testing::SampleKernels();
    const std::string kernels = dir + "/kernels";
    ::mkdir(kernels.c_str(), 0755);
    if (!WriteAll(sample.reports, config, kernels)) return 2;
    // The panicked student's kernel alone: what `verify --kernel bzImage`
    // writes.
    const std::string guest = dir + "/guest";
    ::mkdir(guest.c_str(), 0755);
    if (!WriteAll({sample.reports.back()}, config, guest)) return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "write_sample_report: %s\n", error.what());
    return 2;
  }
  return 0;
}
