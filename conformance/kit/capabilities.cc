#include "conformance/kit/capabilities.h"

#include <sys/resource.h>

#include <initializer_list>

namespace ipcproof {

bool HoldsSysResourceCapability() {
  for (int resource : {RLIMIT_MSGQUEUE, RLIMIT_SIGPENDING, RLIMIT_MEMLOCK}) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) != 0 || limit.rlim_max == RLIM_INFINITY) {
      continue;
    }
    rlimit raised = limit;
    raised.rlim_max = limit.rlim_max + 1;
    if (::setrlimit(resource, &raised) != 0) return false;
    ::setrlimit(resource, &limit);  // lowering is always allowed
    return true;
  }
  return false;
}

}  // namespace ipcproof
