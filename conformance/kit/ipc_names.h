// Names for POSIX IPC objects (shm_open, sem_open, mq_open) unique to the
// running test.
//
// POSIX shared memory and named semaphores live in /dev/shm (a semaphore
// "/x" is the file /dev/shm/sem.x, sem_overview(7)), which no namespace
// hides, and conformance binaries run concurrently under `bazel test`. So
// the runner gives each test process a prefix of its own in
// $IPCPROOF_NAME_PREFIX ("ipcproof.<supervisor pid>.<run token>.<test
// index>.", runner/wire.h), and after the test removes every entry of its
// watched directories (/dev/shm by default) whose name contains that
// prefix, failing the test that left it (runner/watchdog.cc). A name made
// here is therefore both collision-free and cleaned up after a crash.
//
//   const std::string name = UniqueIpcName("counter");
//   // "/ipcproof.4242.9f3ac01e.7.counter.0"
//   const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
//
// With --ipcproof_in_process (or outside the runner) there is no prefix
// from the runner: the prefix is "ipcproof.<pid>.<random token>." of this
// process, and nothing is removed for the test.
#ifndef CONFORMANCE_KIT_IPC_NAMES_H_
#define CONFORMANCE_KIT_IPC_NAMES_H_

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

namespace ipcproof {

// The longest name (without its leading '/') UniqueIpcName returns:
// NAME_MAX less the 4 bytes of "sem.", which sem_open prepends to make the
// file name in /dev/shm, so the same name serves shm_open, sem_open and
// mq_open.
inline constexpr std::size_t kMaxIpcNameLength = NAME_MAX - 4;

// This test's prefix (no leading '/'): $IPCPROOF_NAME_PREFIX when the
// runner set one (and it is usable: non-empty, no '/', short enough),
// otherwise this process's own fallback. The same for every call in one
// process.
const std::string& IpcNamePrefix();

// "/" + IpcNamePrefix() + stem + "." + n, n counting up from 0 per
// process: a fresh valid POSIX IPC name on every call. Throws
// std::invalid_argument when `stem` contains '/' or '\0', or when the name
// would be longer than kMaxIpcNameLength after its '/'. Not
// async-signal-safe (it allocates): make names before forking.
std::string UniqueIpcName(std::string_view stem);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_IPC_NAMES_H_
