#include "tools/report/report_writers.h"

namespace ipcproof::verify {

const std::vector<Format>& AllFormats() {
  static const std::vector<Format> kFormats = {
      {"md", "report.md"},     {"html", "report.html"},
      {"json", "report.json"}, {"junit", "junit.xml"},
      {"ktap", "report.ktap"}, {"gradescope", "results.json"},
  };
  return kFormats;
}

}  // namespace ipcproof::verify
