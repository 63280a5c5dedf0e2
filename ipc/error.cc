#include "ipc/error.h"

#include <cerrno>
#include <stdexcept>

namespace ipc {

void ThrowSystemError(int err, std::string_view call) {
  throw std::system_error(err, std::system_category(), std::string(call));
}

void ThrowErrno(std::string_view call) { ThrowSystemError(errno, call); }

void ThrowInvalidArgument(std::string_view where, std::string_view why) {
  std::string message(where);
  message += ": ";
  message += why;
  throw std::invalid_argument(message);
}

}  // namespace ipc
