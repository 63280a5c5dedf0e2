#include "conformance/kit/capabilities.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

bool DropEffectiveCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (__user_cap_data_struct& word : data) word.effective = 0;
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace ipcproof
