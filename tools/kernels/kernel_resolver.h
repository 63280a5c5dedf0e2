// The pieces of ResolveKernel (guest_run.h), for its tests: the lock file,
// the kernel cache, and finding a kernel image's config and modules.
//
// The cache (20-design.md): CACHE/PACKAGE_VERSION/ is a `dpkg -x` tree
// (boot/vmlinuz-RELEASE, boot/config-RELEASE, lib/modules/RELEASE/) with a
// READY file written last; a tree without READY is incomplete.
#ifndef TOOLS_KERNELS_KERNEL_RESOLVER_H_
#define TOOLS_KERNELS_KERNEL_RESOLVER_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "tools/kernels/guest_run.h"

namespace ipcproof::kernels {

struct LockEntry {
  std::string shorthand;  // "linux-6.1"
  std::string package;    // "linux-image-6.1.0-57-cloud-amd64-unsigned"
  std::string version;    // "6.1.192-3"
  std::string sha256;     // of the .deb, 64 hex digits
  int line = 0;
};

// Parses a lock file's text: "# comment" and blank lines, else four fields.
// Throws std::runtime_error naming `source`:LINE and what is wrong.
std::vector<LockEntry> ParseLockFile(std::string_view text,
                                     const std::string& source);

// The home directory of `uid` in /etc/passwd ("" when absent), read
// directly: getpwuid in a fully static binary needs glibc's NSS libraries at
// run time.
std::string PasswdHome(uid_t uid);

// ${IPCPROOF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipcproof/kernels}
// ($HOME from the password database when unset).
std::string DefaultKernelCache();

// The lock file beside the running binary's data: the runfiles tree
// (RUNFILES_DIR, TEST_SRCDIR, EXE.runfiles), the workspace of `bazel run`
// (BUILD_WORKSPACE_DIRECTORY), or the grading bundle's layout (bin/..).
// "" when none exists; `tried` receives every place looked at.
std::string DefaultLockFile(std::vector<std::string>* tried = nullptr);

// CACHE/PACKAGE_VERSION when it holds READY; "" otherwise.
std::string CachedTree(const std::string& cache, const std::string& package,
                       const std::string& version);

// Every complete cached version of `package`, newest first (Debian version
// order).
std::vector<std::string> CachedVersions(const std::string& cache,
                                        const std::string& package);

// dpkg's version order (deb-version(7)): <0, 0, >0.
int CompareDebianVersions(std::string_view a, std::string_view b);

// A `dpkg -x` tree → the image (boot/vmlinuz-*; exactly one), its config
// (boot/config-RELEASE) and modules (lib/modules/RELEASE). Throws
// std::runtime_error saying what is missing.
KernelImage KernelFromTree(const std::string& tree, const std::string& label,
                           const std::string& package);

// A path to an image: checks it is an x86 bzImage (the "HdrS" boot header)
// and finds its config (config-SUFFIX beside vmlinuz-SUFFIX, PATH.config,
// .config beside it, or the kernel tree's .config for
// arch/x86/boot/bzImage) and modules (DIR/../lib/modules/*/).
KernelImage KernelFromPath(const std::string& path);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_KERNEL_RESOLVER_H_
