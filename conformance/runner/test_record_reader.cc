#include "conformance/runner/test_record_reader.h"

#include <cstdlib>

#include "conformance/runner/wire.h"

namespace ipcproof {

void TestRecordReader::Feed(std::string_view bytes) {
  pending_.append(bytes);
  size_t newline;
  while ((newline = pending_.find('\n')) != std::string::npos) {
    Handle(
        internal::DecodeRecord(std::string_view(pending_).substr(0, newline)));
    pending_.erase(0, newline + 1);
  }
}

void TestRecordReader::Handle(const std::vector<std::string>& record) {
  const std::string& kind = record[0];
  if (kind == internal::kPartRecord && record.size() >= 5) {
    if (record[1] == "skip") {
      outcome_.skip_message = record[4];
    } else if (record[1] != "success") {
      const std::string where =
          record[2].empty() ? "unknown file" : record[2] + ":" + record[3];
      outcome_.failures.push_back(where + ": Failure\n" + record[4]);
      if (on_failure_) on_failure_(outcome_.failures.back());
    }
  } else if (kind == internal::kPropertyRecord && record.size() >= 3) {
    outcome_.SetProperty(record[1], record[2]);
  } else if (kind == internal::kTimeoutRecord && record.size() >= 2) {
    budget_ = Budget{std::chrono::seconds(std::atol(record[1].c_str())),
                     Clock::now()};
  } else if (kind == internal::kEndRecord && record.size() >= 3) {
    ended_ = true;
    ended_status_ = record[1];
    ended_seconds_ = std::atof(record[2].c_str()) / 1000.0;
  }
}

}  // namespace ipcproof
