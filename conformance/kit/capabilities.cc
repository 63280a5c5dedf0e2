#include "conformance/kit/capabilities.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace ipcproof {

bool HoldsSysResourceCapability() {
  // In a throwaway child, so this process's limits are never touched: lower
  // RLIMIT_CORE's hard limit to 0 (lowering is always allowed), then try to
  // raise it to 1, which only CAP_SYS_RESOURCE permits. Decidable whatever
  // the limits were, even when every hard limit is infinite.
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0) ::_exit(2);
    const rlimit one{0, 1};
    ::_exit(::setrlimit(RLIMIT_CORE, &one) == 0 ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool DropEffectiveCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (__user_cap_data_struct& word : data) word.effective = 0;
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace ipcproof
