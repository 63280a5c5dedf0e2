// Naming an errno value the way a man page does: "EPIPE (Broken pipe)".
//
// Every message of the kit that reports a failed call (a matcher's mismatch,
// a child's exit code, a skip reason) names the errno with this, so a log
// reads "failed with EBADF (Bad file descriptor)", never "failed with 9".
#ifndef CONFORMANCE_KIT_ERRNO_NAME_H_
#define CONFORMANCE_KIT_ERRNO_NAME_H_

#include <cerrno>
#include <string>

namespace ipcproof {

// "EPIPE (Broken pipe)"; "errno 4000 (Unknown error 4000)" for a value with
// no symbolic name. Leaves errno as it found it, so a matcher may call it
// between reading errno and a second look at it.
std::string ErrnoName(int err);

// The errno values Linux gives a symbolic name run from 1 to EHWPOISON (133
// on x86-64): the range a matcher enumerates to name a set of errnos.
inline constexpr int kLargestNamedErrno = EHWPOISON;

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_ERRNO_NAME_H_
