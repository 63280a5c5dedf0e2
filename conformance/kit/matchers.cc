#include "conformance/kit/matchers.h"

#include <cstring>

namespace ipcproof {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  std::string text = name ? name : "errno " + std::to_string(err);
  text += " (";
  text += std::strerror(err);
  text += ")";
  return text;
}

}  // namespace ipcproof
