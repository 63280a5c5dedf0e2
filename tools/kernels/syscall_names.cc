#include "tools/kernels/syscall_names.h"

#include <utility>

namespace ipcproof::kernels {
namespace {

struct Entry {
  std::string_view name;
  long number;
};

constexpr Entry kFromHeaders[] = {
#include "tools/kernels/syscall_table.inc"
};

// Added after Linux 6.1 (the headers of Debian bookworm's linux-libc-dev),
// from linux-6.12's arch/x86/entry/syscalls/syscall_64.tbl. x86-64 numbers
// never change once assigned.
constexpr Entry kNewer[] = {
    {"cachestat", 451},         {"fchmodat2", 452},
    {"map_shadow_stack", 453},  {"futex_wake", 454},
    {"futex_wait", 455},        {"futex_requeue", 456},
    {"statmount", 457},         {"listmount", 458},
    {"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460},
    {"lsm_list_modules", 461},  {"mseal", 462},
};

}  // namespace

long X86_64SyscallNumber(std::string_view name) {
  for (const Entry& entry : kFromHeaders) {
    if (entry.name == name) return entry.number;
  }
  for (const Entry& entry : kNewer) {
    if (entry.name == name) return entry.number;
  }
  return -1;
}

}  // namespace ipcproof::kernels
