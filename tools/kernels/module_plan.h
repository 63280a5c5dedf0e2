// Which module files to pack and load, in which order, for the modules a
// run asks for ("veth"): found by name in the kernel's modules.dep with
// their dependencies, dependencies first (modprobe's order). A tree without
// modules.dep (Debian's packages leave it to depmod at install time) is
// searched for NAME.ko and each module's .modinfo "depends=" is read. What
// cannot be found is an error to report, not an exception.
#ifndef TOOLS_KERNELS_MODULE_PLAN_H_
#define TOOLS_KERNELS_MODULE_PLAN_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

struct ModuleFile {
  std::string name;       // "veth"
  std::string host_path;  // the .ko (or .ko.xz when no .ko is beside it)
};

struct ModulePlan {
  std::vector<ModuleFile> files;     // dependencies first
  std::vector<std::string> builtin;  // asked for, and built into the kernel
  std::vector<std::string> errors;   // "veth: not in DIR/modules.dep"
};

// `modules_dir` is lib/modules/RELEASE ("" = the kernel has none).
ModulePlan PlanModules(const std::string& modules_dir,
                       const std::vector<std::string>& wanted);

// "kernel/drivers/net/veth.ko.xz" → "veth"; '-' becomes '_' (modprobe
// treats them alike).
std::string ModuleName(std::string_view path);

// The "depends=" list of an uncompressed module's .modinfo ELF section.
std::vector<std::string> ModinfoDepends(const std::string& path);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_MODULE_PLAN_H_
