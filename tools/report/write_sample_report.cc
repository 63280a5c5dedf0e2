// Writes the sample report (sample_report.h) in all six formats into a
// directory, to look at them without running the suite:
//   tools/bazel run //tools/report:write_sample_report -- /tmp/sample
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include "tools/report/grading_config.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

int main(int argc, char** argv) {
  using namespace ipcproof::verify;
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_sample_report DIR\n");
    return 2;
  }
  try {
    const Report report = testing::SampleReport();
    const GradingConfig config = LoadGradingConfig("docs/grading.json");
    for (const Format& format : AllFormats()) {
      const std::string path = std::string(argv[1]) + "/" + format.file;
      std::ofstream file(path, std::ios::binary | std::ios::trunc);
      if (format.name == "md") file << WriteMarkdown(report);
      if (format.name == "html") file << WriteHtml(report);
      if (format.name == "json") file << WriteJson(report);
      if (format.name == "junit") file << WriteJunit(report);
      if (format.name == "ktap") file << WriteKtap(report);
      if (format.name == "gradescope") file << WriteGradescope(report, config);
      if (!file.good()) {
        std::fprintf(stderr, "write_sample_report: %s: cannot write\n",
                     path.c_str());
        return 2;
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "write_sample_report: %s\n", error.what());
    return 2;
  }
  return 0;
}
