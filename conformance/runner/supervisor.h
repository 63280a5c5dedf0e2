// The runner: one process per test, kselftest-style.
//
// The test binary's main() (main.cc) hands control to RunTests(). Run
// normally, the binary is the *supervisor*: it lists the tests gtest would
// run and, for each one, re-executes itself with a filter naming just that
// test, in a new process group, with a directory of its own; it watches
// each under a deadline, kills and reports what a test leaves behind, and
// merges every result into one gtest-style XML file. The re-executed *test
// process* runs its single test with gtest and streams the results to the
// supervisor. The runner knows no IPC mechanism and nothing of the test kit
// (conformance/kit), which sits above it and meets it only at the wire.
//
// One file per job:
//   options.h           --ipcproof_timeout, --ipcproof_time_scale,
//                       --ipcproof_in_process, XML path
//   test_selection.h    which tests run: gtest's own filtering
//   temp_dirs.h         each test's directory, locked while its runner
//                       lives; directories of dead runners removed
//   watchdog.h          fork/exec of one test, its deadline, its verdict
//   process_tree.h      /proc: a test's processes, what they do, leftovers
//   watched_dirs.h      IPC names (/dev/shm) a test left, by its prefix
//   wire.h              the records between test process and supervisor
//   test_record_reader.h  the supervisor's end of the wire
//   wire_listener.h     the test process's end (a gtest listener)
//   outcome.h           what is known about one test
//   xml_writer.h        the merged XML, rewritten after every test
//   xml_properties.h    the property names tests write (claims, measured.*,
//                       unverified), for the kit and the XML's readers
//   programs.h          programs the binary plays instead of host binaries
//
// Flags (besides gtest's --gtest_filter, --gtest_output=xml:PATH, ...):
//   --ipcproof_timeout=SECONDS   per-test watchdog budget (default 30; also
//                                IPCPROOF_TIMEOUT in the environment); a
//                                test may set its own with SetTestTimeout
//   --ipcproof_time_scale=N      1..100 (default 1; also IPCPROOF_TIME_SCALE
//                                in the environment): every budget above is
//                                allowed N times as long, and each test
//                                process gets N (kit/time_scale.h) so the
//                                kit's "should happen soon" deadlines scale
//                                too; the XML's root carries it
//   --ipcproof_in_process        run all tests in this process, no watchdog
//                                (for a debugger); the tests still get a
//                                directory from the runner
//   --ipcproof_watch_dir=PATH    a directory to watch for the test's IPC
//                                names besides /dev/shm (repeatable)
// Environment: XML_OUTPUT_FILE (Bazel's) as --gtest_output=xml:PATH;
// IPCPROOF_TMPDIR, the first place test directories are made (temp_dirs.h).
// Each test process is given IPCPROOF_RESULT_FD, IPCPROOF_TEST_TMPDIR,
// IPCPROOF_NAME_PREFIX and IPCPROOF_TIME_SCALE (wire.h).
//
// Exit status: 0 when every test passed or skipped, 1 when one failed (or
// the XML could not be rewritten during the run), 2 when the run could not
// start (a malformed flag, an XML path that cannot be written).
#ifndef CONFORMANCE_RUNNER_SUPERVISOR_H_
#define CONFORMANCE_RUNNER_SUPERVISOR_H_

namespace ipcproof {

// Call after testing::InitGoogleMock(); returns main()'s exit status.
int RunTests(int argc, char** argv);

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_SUPERVISOR_H_
