#include "tools/verify/requirements.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <set>

#include "tools/verify/data_root.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

// How a kernel without a config shows whether an option is built, from
// what the guest's init reports. Each probe proves an option absent; none
// proves it present beyond doubt (kcmp is also selected by DRM), which is
// all the check needs: a folder is blocked only on proof.
enum class ProbeKind { kFilesystem, kNamespace, kSyscall };
struct Probe {
  const char* option;
  ProbeKind kind;
  const char* name;
};
constexpr Probe kProbes[] = {
    // register_filesystem() runs only for what is built.
    {"CONFIG_POSIX_MQUEUE", ProbeKind::kFilesystem, "mqueue"},
    {"CONFIG_PROC_FS", ProbeKind::kFilesystem, "proc"},
    // fs/proc/namespaces.c lists each entry under #ifdef CONFIG_X_NS.
    {"CONFIG_IPC_NS", ProbeKind::kNamespace, "ipc"},
    {"CONFIG_USER_NS", ProbeKind::kNamespace, "user"},
    {"CONFIG_NET_NS", ProbeKind::kNamespace, "net"},
    {"CONFIG_PID_NS", ProbeKind::kNamespace, "pid"},
    {"CONFIG_UTS_NS", ProbeKind::kNamespace, "uts"},
    {"CONFIG_CGROUPS", ProbeKind::kNamespace, "cgroup"},
    {"CONFIG_TIME_NS", ProbeKind::kNamespace, "time"},
    // kernel/sys_ni.c: COND_SYSCALL() makes each of these answer ENOSYS
    // when the option that builds it is off.
    {"CONFIG_SYSVIPC", ProbeKind::kSyscall, "msgget"},
    {"CONFIG_MEMFD_CREATE", ProbeKind::kSyscall, "memfd_create"},
    {"CONFIG_SIGNALFD", ProbeKind::kSyscall, "signalfd4"},
    {"CONFIG_EPOLL", ProbeKind::kSyscall, "epoll_create1"},
    {"CONFIG_FUTEX", ProbeKind::kSyscall, "futex"},
    {"CONFIG_AIO", ProbeKind::kSyscall, "io_setup"},
    {"CONFIG_INOTIFY_USER", ProbeKind::kSyscall, "inotify_init1"},
    {"CONFIG_FILE_LOCKING", ProbeKind::kSyscall, "flock"},
    // CHECKPOINT_RESTORE selects KCMP.
    {"CONFIG_CHECKPOINT_RESTORE", ProbeKind::kSyscall, "kcmp"},
    {"CONFIG_MULTIUSER", ProbeKind::kSyscall, "setuid"},
    {"CONFIG_BPF_SYSCALL", ProbeKind::kSyscall, "bpf"},
};

const Probe* ProbeFor(std::string_view option) {
  for (const Probe& probe : kProbes) {
    if (option == probe.option) return &probe;
  }
  return nullptr;
}

std::string Trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < line.size()) {
    const size_t begin = line.find_first_not_of(" \t", start);
    if (begin == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t", begin);
    if (end == std::string_view::npos) end = line.size();
    words.emplace_back(line.substr(begin, end - begin));
    start = end;
  }
  return words;
}

bool IsVersion(const std::string& text) {
  int parts = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string part =
        text.substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty() || part.find_first_not_of("0123456789") != part.npos) {
      return false;
    }
    ++parts;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts >= 2 && parts <= 3;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool HasModule(const std::vector<std::string>& list, const std::string& name) {
  const std::string normal = NormalModuleName(name);
  return std::any_of(list.begin(), list.end(), [&](const std::string& entry) {
    return NormalModuleName(entry) == normal;
  });
}

// "veth: finit_module: ENOENT" for module veth; "" when none.
std::string ModuleError(const std::vector<std::string>& errors,
                        const std::string& module) {
  const std::string normal = NormalModuleName(module);
  for (const std::string& error : errors) {
    const size_t colon = error.find(':');
    if (NormalModuleName(Trimmed(error.substr(0, colon))) == normal) {
      return error;
    }
  }
  return "";
}

void AddOnce(std::vector<std::string>& list, std::string item) {
  if (!Contains(list, item)) list.push_back(std::move(item));
}

class FolderChecker {
 public:
  FolderChecker(const FolderRequirements& folder, const KernelFacts& facts)
      : folder_(folder), facts_(facts) {
    check_.folder = folder.folder;
  }

  FolderCheck Check() {
    for (const OptionRequirement& option : folder_.options) {
      CheckOption(option);
    }
    if (facts_.booted) {
      for (const SyscallRequirement& call : folder_.syscalls) {
        if (Contains(facts_.enosys_syscalls, call.name)) {
          Lacks("answers ENOSYS to " + call.name + " (added in " +
                    call.version + ")",
                false);
        }
      }
    }
    return std::move(check_);
  }

 private:
  // "linux-6.1 lacks CONFIG_X (conformance/mq/requirements)".
  void Lacks(const std::string& what, bool optional) {
    std::string sentence = facts_.label + " " + what + " (" + folder_.file;
    if (optional) {
      check_.notes.push_back(sentence + ", where it is optional)");
    } else {
      check_.missing.push_back(sentence + ")");
    }
  }

  void CheckOption(const OptionRequirement& option) {
    const std::string module = ModuleForOption(option.option);
    // Before a boot whose config is unknown, the modules directory still
    // tells: a module file exists only for an option built as one.
    if (!facts_.host && !facts_.booted && facts_.available_modules &&
        option.value != 'n' && HasModule(*facts_.available_modules, module) &&
        (!facts_.config || facts_.config->Value(option.option) == "m")) {
      AddOnce(check_.modules, module);
    }
    if (!facts_.config) {
      if (facts_.booted) Probed(option);
      return;
    }
    const std::string value = facts_.config->Value(option.option);
    const bool built = value == "y" || value == "m";
    if (option.value == 'n') {
      if (built) {
        Lacks("has " + option.option + "=" + value + ", which must be unset",
              option.optional);
      }
      return;
    }
    if (!built) {
      Lacks("lacks " + option.option, option.optional);
      return;
    }
    if (value == "m" && !facts_.host) Module(option, module);
  }

  // An option built as a module is met once the module is loaded.
  void Module(const OptionRequirement& option, const std::string& module) {
    const std::string built = option.option + "=m";
    if (!facts_.booted) {
      if (facts_.available_modules &&
          !HasModule(*facts_.available_modules, module)) {
        Lacks("has " + built + ", but its modules hold no " + module,
              option.optional);
        return;
      }
      AddOnce(check_.modules, module);
      return;
    }
    if (HasModule(facts_.modules_loaded, module)) return;
    const std::string error = ModuleError(facts_.module_errors, module);
    if (!error.empty()) {
      Lacks("could not load " + module + " (" + built + "): " + error,
            option.optional);
    } else {
      Lacks("did not load " + module + " (" + built + ")", option.optional);
    }
  }

  // No config at all: what the guest's reports prove absent.
  void Probed(const OptionRequirement& option) {
    if (option.value == 'n') return;
    if (HasModule(facts_.modules_loaded, ModuleForOption(option.option))) {
      return;
    }
    const Probe* probe = ProbeFor(option.option);
    std::string absent;
    if (probe != nullptr) {
      switch (probe->kind) {
        case ProbeKind::kFilesystem:
          if (facts_.filesystems.empty()) break;  // not reported: unknown
          if (!Contains(facts_.filesystems, probe->name)) {
            absent = std::string("/proc/filesystems has no ") + probe->name;
          }
          break;
        case ProbeKind::kNamespace:
          if (facts_.namespaces.empty()) break;
          if (!Contains(facts_.namespaces, probe->name)) {
            absent = std::string("/proc/self/ns has no ") + probe->name;
          }
          break;
        case ProbeKind::kSyscall:
          if (Contains(facts_.enosys_syscalls, probe->name)) {
            absent = std::string(probe->name) + " answers ENOSYS";
          }
          break;
      }
      if (!absent.empty()) {
        Lacks("lacks " + option.option + ": " + absent, option.optional);
      }
      return;
    }
    // Said once for every folder that asks (AllNotes drops repeats): the
    // tests themselves decide, and skip or fail with the reason.
    check_.notes.push_back(facts_.label +
                           " has no config, and no probe tells "
                           "whether it has " +
                           option.option + ": not checked");
  }

  const FolderRequirements& folder_;
  const KernelFacts& facts_;
  FolderCheck check_;
};

}  // namespace

FolderRequirements ParseRequirements(std::string_view text,
                                     const std::string& folder) {
  FolderRequirements requirements;
  requirements.folder = folder;
  requirements.file = folder + "/requirements";
  auto fail = [&](int line, const std::string& problem) {
    throw InfrastructureError(requirements.file + ":" + std::to_string(line) +
                              ": " + problem);
  };
  // Whether the comment block right above the current line began with
  // "Optional:".
  bool in_comment = false;
  bool comment_optional = false;
  int number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = Trimmed(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.starts_with("#")) {
      if (!in_comment) {
        comment_optional = Trimmed(line.substr(1)).starts_with("Optional:");
      }
      in_comment = true;
      continue;
    }
    const bool optional = in_comment && comment_optional;
    in_comment = false;
    comment_optional = false;
    if (line.empty()) continue;
    if (line.starts_with("CONFIG_")) {
      const size_t equals = line.find('=');
      const std::string name = line.substr(0, equals);
      const std::string value =
          equals == std::string::npos ? "" : line.substr(equals + 1);
      if (equals == std::string::npos || name.size() <= 7 ||
          name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
              std::string::npos ||
          (value != "y" && value != "m" && value != "n")) {
        fail(number, "not CONFIG_NAME=y|m|n: " + line);
      }
      requirements.options.push_back(OptionRequirement{
          .option = name,
          .value = value[0],
          .optional = optional,
          .line = number,
      });
      continue;
    }
    const std::vector<std::string> words = Words(line);
    if (words[0] == "syscall") {
      if (words.size() != 3 || !IsVersion(words[2])) {
        fail(number, "expected: syscall NAME VERSION: " + line);
      }
      requirements.syscalls.push_back(SyscallRequirement{
          .name = words[1], .version = words[2], .line = number});
    }
  }
  return requirements;
}

std::vector<FolderRequirements> LoadRequirements(
    const std::string& root, const std::vector<std::string>& folders) {
  std::vector<FolderRequirements> loaded;
  std::set<std::string> seen;
  for (const std::string& folder : folders) {
    if (folder.empty() || !seen.insert(folder).second) continue;
    const std::string path = UnderRoot(root, folder + "/requirements");
    if (::access(path.c_str(), F_OK) != 0) continue;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw InfrastructureError(DescribeErrno("open(" + path + ")", errno));
    }
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    loaded.push_back(ParseRequirements(text, folder));
  }
  return loaded;
}

std::string FolderOf(const std::string& binary) {
  const size_t slash = binary.find_last_of('/');
  return slash == std::string::npos ? "" : binary.substr(0, slash);
}

std::vector<FolderRequirements> RequirementsOf(
    const std::vector<FolderRequirements>& requirements,
    const std::vector<std::string>& binaries) {
  std::set<std::string> folders;
  for (const std::string& binary : binaries) folders.insert(FolderOf(binary));
  std::vector<FolderRequirements> chosen;
  for (const FolderRequirements& folder : requirements) {
    if (folders.contains(folder.folder)) chosen.push_back(folder);
  }
  return chosen;
}

std::string ModuleForOption(std::string_view option) {
  if (option.starts_with("CONFIG_")) option.remove_prefix(7);
  std::string module(option);
  for (char& c : module) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return module;
}

const FolderCheck* RequirementsCheck::Find(const std::string& folder) const {
  for (const FolderCheck& check : folders) {
    if (check.folder == folder) return &check;
  }
  return nullptr;
}

std::string RequirementsCheck::Missing(const std::string& folder) const {
  const FolderCheck* check = Find(folder);
  return check == nullptr || check->missing.empty() ? ""
                                                    : check->missing.front();
}

std::vector<std::string> RequirementsCheck::Modules() const {
  std::vector<std::string> modules;
  for (const FolderCheck& check : folders) {
    if (!check.missing.empty()) continue;  // not run: nothing to load
    for (const std::string& module : check.modules) AddOnce(modules, module);
  }
  return modules;
}

std::vector<std::string> RequirementsCheck::AllMissing() const {
  std::vector<std::string> all;
  for (const FolderCheck& check : folders) {
    for (const std::string& sentence : check.missing) AddOnce(all, sentence);
  }
  return all;
}

std::vector<std::string> RequirementsCheck::AllNotes() const {
  std::vector<std::string> all;
  for (const FolderCheck& check : folders) {
    for (const std::string& sentence : check.notes) AddOnce(all, sentence);
  }
  return all;
}

std::vector<std::string> SyscallsToProbe(
    const std::vector<FolderRequirements>& requirements, bool config_known) {
  std::vector<std::string> calls;
  for (const FolderRequirements& folder : requirements) {
    for (const SyscallRequirement& call : folder.syscalls) {
      AddOnce(calls, call.name);
    }
    if (config_known) continue;
    for (const OptionRequirement& option : folder.options) {
      const Probe* probe = ProbeFor(option.option);
      if (probe != nullptr && probe->kind == ProbeKind::kSyscall) {
        AddOnce(calls, probe->name);
      }
    }
  }
  return calls;
}

RequirementsCheck CheckRequirements(
    const std::vector<FolderRequirements>& requirements,
    const KernelFacts& facts) {
  RequirementsCheck check;
  for (const FolderRequirements& folder : requirements) {
    check.folders.push_back(FolderChecker(folder, facts).Check());
  }
  return check;
}

}  // namespace ipcproof::verify
