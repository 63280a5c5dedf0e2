// The time stamps of verify's reports and the benchmark runner's
// benchmarks.json: ISO 8601 in UTC to the second ("2026-12-01T18:47:03Z"),
// so that two stamps compare as text (verify --benchmarks refuses a file
// stamped before its run started).
#ifndef TOOLS_VERIFY_UTC_TIME_H_
#define TOOLS_VERIFY_UTC_TIME_H_

#include <string>

namespace ipcproof::verify {

// Now, as above.
std::string UtcNow();

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_UTC_TIME_H_
