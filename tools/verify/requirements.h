// What each mechanism folder's tests need from a kernel (its `requirements`
// file, format in conformance/README.md), and the check of a kernel against
// it, so a report can say "linux-6.1 lacks CONFIG_POSIX_MQUEUE" instead of
// showing a page of failures. verify reads the kernel option lines
// (CONFIG_X=y) and the system call lines (syscall NAME VERSION); the other
// kinds (feature, sysctl, file, capability) are decided by the tests
// themselves, which skip with the reason, and change nothing here.
//
// A kernel is checked twice: before its boot, from what is on disk (the
// package's config, its modules), which decides what is not run at all and
// which modules to load; and after, from what the guest reported (its
// /proc/config.gz, /proc/filesystems, /proc/self/ns, the system calls that
// answered ENOSYS, the modules that loaded), which decides whose results are
// replaced by "unverified".
#ifndef TOOLS_VERIFY_REQUIREMENTS_H_
#define TOOLS_VERIFY_REQUIREMENTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/verify/kernel_config.h"

namespace ipcproof::verify {

struct OptionRequirement {
  std::string option;  // "CONFIG_SYSVIPC"
  char value = 'y';    // 'y' or 'm': needed (built in or as a module); 'n'
  // The comment block right above the line starts with "Optional:" (the
  // convention of the requirements files): the folder's tests skip with
  // the reason without it, so its absence is noted and blocks nothing.
  bool optional = false;
  int line = 0;
};

struct SyscallRequirement {
  std::string name;     // "mq_open", as in asm/unistd_64.h
  std::string version;  // "2.6.6", the kernel that added it
  int line = 0;
};

struct FolderRequirements {
  std::string folder;  // "conformance/mq"
  std::string file;    // "conformance/mq/requirements"
  std::vector<OptionRequirement> options;
  std::vector<SyscallRequirement> syscalls;
};

// Parses one file's text. Throws InfrastructureError "FILE:LINE: ..." on a
// CONFIG_ line that is not CONFIG_NAME=y|m|n or a syscall line without a
// name and a version (//tools/requirements:requirements_test checks the
// rest of the format).
FolderRequirements ParseRequirements(std::string_view text,
                                     const std::string& folder);

// The requirements of each of `folders` (workspace-relative, as binaries
// are named: "conformance/mq") that has a `requirements` file under `root`,
// in the order given, each once. A folder without one needs nothing.
std::vector<FolderRequirements> LoadRequirements(
    const std::string& root, const std::vector<std::string>& folders);

// "conformance/mq" for "conformance/mq/posix_mq_test"; "" for a bare name.
std::string FolderOf(const std::string& binary);

// The requirements of the folders these binaries (names, as listed in the
// suite) are in: a folder the selection leaves out says nothing about a
// run. In the order of `requirements`.
std::vector<FolderRequirements> RequirementsOf(
    const std::vector<FolderRequirements>& requirements,
    const std::vector<std::string>& binaries);

// The module an option builds (CONFIG_VETH -> "veth"): Kconfig names a
// driver's option after its module, which is what the kernel runner looks
// up in modules.dep.
std::string ModuleForOption(std::string_view option);

// What is known of one kernel when it is checked.
struct KernelFacts {
  std::string label;  // "linux-6.1", "host"
  // Its config: the package's (or the one beside the image), else the
  // guest's /proc/config.gz after a boot; none for a bare image.
  std::optional<KernelConfig> config;
  // The names of the modules its modules directory holds (modules.order or
  // modules.dep); nullopt when there is no such list.
  std::optional<std::vector<std::string>> available_modules;
  // After a boot: what the guest reported.
  bool booted = false;
  std::vector<std::string> filesystems;      // /proc/filesystems
  std::vector<std::string> namespaces;       // /proc/self/ns entries
  std::vector<std::string> enosys_syscalls;  // probed, answered ENOSYS
  std::vector<std::string> modules_loaded;
  std::vector<std::string> module_errors;  // "veth: finit_module: ENOENT"
  // The host: =m options are the kernel's to load on demand, and nothing is
  // probed.
  bool host = false;
};

struct FolderCheck {
  std::string folder;
  // Sentences naming what the kernel lacks and the file that asks for it:
  // "linux-6.1 lacks CONFIG_POSIX_MQUEUE (conformance/mq/requirements)".
  // Non-empty: the folder's binaries are not run (or their results are
  // replaced) and its claims are unverified.
  std::vector<std::string> missing;
  // Sentences that block nothing: an optional option lacking, an option
  // neither a config nor a probe can tell.
  std::vector<std::string> notes;
  // Modules to load before the tests (=m options), in file order.
  std::vector<std::string> modules;
};

struct RequirementsCheck {
  std::vector<FolderCheck> folders;

  // nullptr for a folder without requirements.
  const FolderCheck* Find(const std::string& folder) const;
  // The first sentence of what `folder` lacks; "" when nothing.
  std::string Missing(const std::string& folder) const;
  // Every module to load, each once, in folder order.
  std::vector<std::string> Modules() const;
  // Every sentence of missing or notes, each once, in folder order.
  std::vector<std::string> AllMissing() const;
  std::vector<std::string> AllNotes() const;
};

// The system calls the guest should probe for ENOSYS: every folder's, and,
// for a kernel whose config is unknown before the boot, those that tell
// whether an option is built (msgget for CONFIG_SYSVIPC, ...). Each once.
std::vector<std::string> SyscallsToProbe(
    const std::vector<FolderRequirements>& requirements, bool config_known);

// Checks every folder against what is known. Before a boot (facts.booted
// false) only the config and the modules on disk are read; an option that
// needs a boot to tell is left for the check after it. After a boot every
// source is read: the config, else the probes.
RequirementsCheck CheckRequirements(
    const std::vector<FolderRequirements>& requirements,
    const KernelFacts& facts);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_REQUIREMENTS_H_
