#include "conformance/kit/errno_name.h"

#include <cerrno>
#include <cstring>

namespace ipcproof {

std::string ErrnoName(int err) {
  const int saved = errno;
  const char* name = strerrorname_np(err);
  std::string text = name ? name : "errno " + std::to_string(err);
  text += " (";
  text += std::strerror(err);
  text += ")";
  errno = saved;
  return text;
}

}  // namespace ipcproof
