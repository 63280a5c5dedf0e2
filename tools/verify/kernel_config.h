// A kernel's build configuration (the .config Kconfig writes, shipped as
// boot/config-RELEASE in a Debian package and as /proc/config.gz by a kernel
// built with CONFIG_IKCONFIG_PROC), and the list of modules a modules
// directory holds: what can be known about a kernel before booting it.
#ifndef TOOLS_VERIFY_KERNEL_CONFIG_H_
#define TOOLS_VERIFY_KERNEL_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

struct KernelConfig {
  // Where it came from, for the report: "package boot/config-6.1.0-57-cloud-
  // amd64", "/proc/config.gz".
  std::string source;
  // CONFIG_X -> its value as written: "y", "m", "\"string\"", "64"; an
  // option written "# CONFIG_X is not set" -> "n".
  std::map<std::string, std::string, std::less<>> values;

  // "n" for an option the file does not mention (Kconfig leaves out what
  // depends on a disabled option).
  std::string Value(std::string_view option) const;
};

// Parses the text of a .config. Lines that are neither CONFIG_X=VALUE nor
// "# CONFIG_X is not set" are comments.
KernelConfig ParseKernelConfig(std::string_view text, std::string source);

// Reads a config file, gzip-compressed or not (by its first bytes). Throws
// InfrastructureError naming the file when it cannot be read or inflated.
KernelConfig ReadKernelConfig(const std::string& path, std::string source);

// The running kernel's config where it is cheap to find: /proc/config.gz,
// else /boot/config-$(uname -r); nullopt when neither is readable.
std::optional<KernelConfig> HostKernelConfig();

// The module names (file names without .ko[.xz|.zst|.gz], '-' as '_') listed
// in DIR/modules.dep or else DIR/modules.order; nullopt when DIR is empty or
// has neither file.
std::optional<std::vector<std::string>> ModulesOnDisk(
    const std::string& modules_dir);

// The name with every '-' as '_': the kernel treats the two as one in module
// names (modprobe ve-th loads ve_th.ko).
std::string NormalModuleName(std::string_view name);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_KERNEL_CONFIG_H_
