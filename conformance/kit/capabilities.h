// Whether this process holds a capability where the kernel checks it,
// decided by trying something only that capability allows (the house rule:
// privilege is decided by trying, never by reading the uid).
#ifndef CONFORMANCE_KIT_CAPABILITIES_H_
#define CONFORMANCE_KIT_CAPABILITIES_H_

namespace ipcproof {

// CAP_SYS_RESOURCE in the initial user namespace, which is where msgctl's
// IPC_SET above msgmnb, F_SETPIPE_SZ above pipe-max-size and mq_open above
// fs/mqueue/msg_max look (capable(), not ns_capable()). Decided by raising a
// finite hard resource limit by one and putting it back (setrlimit(2): "A
// privileged process (under Linux: one with the CAP_SYS_RESOURCE capability
// in the initial user namespace) may make arbitrary changes to either limit
// value"). False when every hard limit tried is infinite (nothing to decide
// by) or the raise is refused.
bool HoldsSysResourceCapability();

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_CAPABILITIES_H_
