// One process per test, kselftest-style.
//
// The test binary's main() (main.cc) hands control to RunTests(). Run
// normally, the binary is the *supervisor*: it lists the tests gtest would
// run (honouring --gtest_filter), and for each one re-executes itself with a
// filter naming just that test, in a new process group, with a temp dir of
// its own. It is the watchdog: a test that outlives its deadline has its
// process tree read from /proc (state, syscall, wchan of every thread) and
// killed. It then kills and reports any process the test left behind (it is
// a child subreaper, so orphans come back to it), removes the temp dir
// (reporting leftovers), and merges every test's result into one gtest-style
// XML file at --gtest_output=xml:PATH (or Bazel's XML_OUTPUT_FILE).
//
// The re-executed *child* runs the single test with gtest and streams its
// results (failures as they happen, properties, the verdict) to the
// supervisor through an inherited pipe, so a crash or a hang loses nothing
// that was already known.
//
// Flags (besides gtest's):
//   --ipcproof_timeout=SECONDS   per-test watchdog deadline (default 30;
//                                also IPCPROOF_TIMEOUT in the environment)
//   --ipcproof_in_process        run all tests in this process, no watchdog
//                                (for a debugger)
#ifndef CONFORMANCE_HARNESS_SUPERVISOR_H_
#define CONFORMANCE_HARNESS_SUPERVISOR_H_

namespace ipcproof {

// Call after testing::InitGoogleMock(); returns main()'s exit status.
int RunTests(int argc, char** argv);

}  // namespace ipcproof

#endif  // CONFORMANCE_HARNESS_SUPERVISOR_H_
