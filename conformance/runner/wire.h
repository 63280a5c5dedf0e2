// The wire between a test child and its supervisor (internal to the harness).
//
// The child writes one line per record to an inherited pipe: fields separated
// by TAB, each field escaped so it holds no TAB, newline or backslash. Records
// are sent as they happen (not at the end) so that a test that crashes or
// hangs still tells the supervisor everything it had established.
//
//   part  <success|nonfatal|fatal|skip>  <file>  <line>  <message>
//   prop  <key>  <value>
//   timeout  <seconds>          the test asks for a longer watchdog budget
//   end   <passed|failed|skipped>  <elapsed ms>
#ifndef CONFORMANCE_HARNESS_RESULT_CHANNEL_H_
#define CONFORMANCE_HARNESS_RESULT_CHANNEL_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::internal {

// The environment variable through which the supervisor passes the fd.
inline constexpr char kResultFdEnv[] = "IPCPROOF_RESULT_FD";

std::string EncodeRecord(const std::vector<std::string>& fields);
std::vector<std::string> DecodeRecord(std::string_view line);

// The child's end, or -1 when the test runs in-process.
int ResultFd();

// Sends one record to the supervisor; a no-op in-process. Safe to call from
// any thread of the test child (each record is one write of < PIPE_BUF
// bytes when short; longer ones are sent whole by one writer at a time).
void SendRecord(const std::vector<std::string>& fields);

}  // namespace ipcproof::internal

#endif  // CONFORMANCE_HARNESS_RESULT_CHANNEL_H_
