// One test in a process of its own, under a deadline.
//
// RunTestInChild makes the test a directory (temp_dirs.h), re-executes this
// binary with a filter naming only that test, in a new process group, and
// reads its records (test_record_reader.h) until it exits or its budget
// runs out. A test past its budget has its process tree read from /proc
// (process_tree.h) and killed. Then every process the test left behind is
// killed and reported, and so is every file left in its directory.
#ifndef CONFORMANCE_RUNNER_WATCHDOG_H_
#define CONFORMANCE_RUNNER_WATCHDOG_H_

#include "conformance/runner/options.h"
#include "conformance/runner/outcome.h"
#include "conformance/runner/test_selection.h"

namespace ipcproof {

// Runs `test` in a child process; its budget is options.timeout unless the
// test sets its own (SetTestTimeout), either allowed options.time_scale
// times as long. The calling process must be a child
// subreaper (so orphans of the test come back to it) and have no other
// children.
Outcome RunTestInChild(const SelectedTest& test, const Options& options);

}  // namespace ipcproof

#endif  // CONFORMANCE_RUNNER_WATCHDOG_H_
