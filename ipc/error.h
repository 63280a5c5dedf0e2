// Error reporting shared by every ipc/ wrapper.
//
// A failing system call becomes std::system_error whose code is the errno and
// whose what() names the call (and, where it helps, its arguments), so a test
// log says "write(fd=4, 65536 bytes): Broken pipe" rather than a bare errno.
// A bad argument is refused with std::invalid_argument before any syscall is
// made, so the kernel never sees a request the wrapper already knows is wrong.
#ifndef IPC_ERROR_H_
#define IPC_ERROR_H_

#include <string>
#include <string_view>
#include <system_error>

namespace ipc {

// Throws std::system_error for `err` with `call` as the context string.
[[noreturn]] void ThrowSystemError(int err, std::string_view call);

// Same, reading the errno left by the call that just failed. Only with a
// message that needs no allocation (a literal): building a string can change
// errno, so otherwise save errno first and call ThrowSystemError.
[[noreturn]] void ThrowErrno(std::string_view call);

// Throws std::invalid_argument("<where>: <why>").
[[noreturn]] void ThrowInvalidArgument(std::string_view where,
                                       std::string_view why);

// Throws std::invalid_argument when `ok` is false.
inline void CheckArgument(bool ok, std::string_view where,
                          std::string_view why) {
  if (!ok) ThrowInvalidArgument(where, why);
}

}  // namespace ipc

#endif  // IPC_ERROR_H_
