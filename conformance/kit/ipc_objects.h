// Listing the IPC objects of the caller's IPC namespace, to prove that a test
// leaves none behind (and that a leak would be seen).
#ifndef CONFORMANCE_KIT_IPC_OBJECTS_H_
#define CONFORMANCE_KIT_IPC_OBJECTS_H_

#include <string>
#include <vector>

namespace ipcproof {

// The System V message queue ids of the caller's IPC namespace, from
// /proc/sysvipc/msg (what `ipcs -q` shows).
std::vector<int> ListSysvMessageQueues();

// The POSIX message queue names ("/name") of the caller's IPC namespace.
// Reads them from an mqueue filesystem mounted, for the moment of the call,
// in a private mount namespace of a short-lived thread (the host has no
// /dev/mqueue, and the caller's mounts are left untouched). Throws
// std::system_error when the mount is refused (no CAP_SYS_ADMIN).
std::vector<std::string> ListPosixMessageQueues();

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_IPC_OBJECTS_H_
