// The contract between the runner and a test process it starts: the
// environment the test process is given, and the records it sends back.
//
// Environment (set by the runner, conformance/runner/watchdog.cc):
//   IPCPROOF_RESULT_FD     the write end of the pipe records go to
//   IPCPROOF_TEST_TMPDIR   the test's own directory (kit/temp_path.h reads it)
//   IPCPROOF_NAME_PREFIX   the prefix of the test's POSIX IPC names
//                          (kit/ipc_names.h reads it): the runner removes
//                          what a watched directory holds with it
//   IPCPROOF_TIME_SCALE    the run's time scale, 1..100 (kit/time_scale.h
//                          reads it): how many times longer than on a fast
//                          machine a "should happen soon" may take here
//
// Records: one line each on the result pipe, fields separated by TAB, each
// field escaped so it holds no TAB, newline or backslash. Records are sent
// as they happen (not at the end) so that a test that crashes or hangs still
// tells the runner everything it had established.
//
//   part  <success|nonfatal|fatal|skip>  <file>  <line>  <message>
//   prop  <key>  <value>
//   timeout  <seconds>          the test asks for a budget of its own
//   end   <passed|failed|skipped>  <elapsed ms>
//
// The test process's end is WireListener (wire_listener.h) plus the kit's
// RecordTestProperty and SetTestTimeout; the runner's end is
// TestRecordReader (test_record_reader.h).
#ifndef CONFORMANCE_RUNNER_WIRE_H_
#define CONFORMANCE_RUNNER_WIRE_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::internal {

// The environment variable through which the runner passes the fd.
inline constexpr char kResultFdEnv[] = "IPCPROOF_RESULT_FD";
// The environment variable through which the runner names the directory it
// made for the test (and removes after it, reporting anything left in it).
inline constexpr char kTestTempDirEnv[] = "IPCPROOF_TEST_TMPDIR";
// The environment variable through which the runner gives the test its
// IPC name prefix, "ipcproof.<supervisor pid>.<run token>.<test index>.":
// the token tells apart supervisors of different PID namespaces sharing one
// /dev/shm.
inline constexpr char kIpcNamePrefixEnv[] = "IPCPROOF_NAME_PREFIX";

// The environment variable through which the runner gives the test the
// run's time scale (--ipcproof_time_scale), in decimal: always set for a
// test process, even to 1, so none inherits another run's.
inline constexpr char kTimeScaleEnv[] = "IPCPROOF_TIME_SCALE";
// The scales the runner accepts. 10 is what an emulated guest (QEMU's TCG)
// needs; 100 bounds a typo, not a machine.
inline constexpr int kMinTimeScale = 1;
inline constexpr int kMaxTimeScale = 100;

// `text` as a time scale: decimal digits only, kMinTimeScale..kMaxTimeScale;
// 0 when it is anything else ("", "0", "10s", "+3", "101"). Allocates
// nothing and calls nothing, so it is async-signal-safe (a forked child's
// kit waits read the scale too).
int ParseTimeScale(std::string_view text);

// Record kinds: the first field of a record.
inline constexpr char kPartRecord[] = "part";
inline constexpr char kPropertyRecord[] = "prop";
inline constexpr char kTimeoutRecord[] = "timeout";
inline constexpr char kEndRecord[] = "end";

// "ipcproof.<pid>.<token>.<test>." (or "ipcproof.<pid>.<token>." for an
// empty `test`), with this process's pid and a token of 8 hex digits drawn
// once per process: the runner's prefix for its test number `test`, and the
// kit's own when no runner gave one. Dots end every field, so one prefix is
// never contained in another's names (test 3's "….3." is not in "….13.").
std::string MakeIpcNamePrefix(std::string_view test);

std::string EncodeRecord(const std::vector<std::string>& fields);
std::vector<std::string> DecodeRecord(std::string_view line);

// The test process's end, or -1 when the test runs in-process.
int ResultFd();

// Sends one record to the runner; a no-op in-process. Safe to call from any
// thread of the test process (each record is one write of < PIPE_BUF bytes
// when short; longer ones are sent whole by one writer at a time).
void SendRecord(const std::vector<std::string>& fields);

}  // namespace ipcproof::internal

#endif  // CONFORMANCE_RUNNER_WIRE_H_
