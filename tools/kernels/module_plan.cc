#include "tools/kernels/module_plan.h"

#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "tools/kernels/text_files.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;

std::string NormalName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// The .ko the fetch step decompressed beside a .ko.xz, else the compressed
// file (the init then asks the kernel to decompress it).
std::string Uncompressed(const std::string& path) {
  for (const char* suffix : {".xz", ".zst", ".gz"}) {
    if (path.ends_with(suffix)) {
      const std::string plain = path.substr(0, path.size() - strlen(suffix));
      if (IsFile(plain)) return plain;
    }
  }
  return path;
}

}  // namespace

std::string ModuleName(std::string_view path) {
  std::string name(path.substr(path.rfind('/') + 1));
  for (const char* suffix : {".xz", ".zst", ".gz"}) {
    if (name.ends_with(suffix)) name.resize(name.size() - strlen(suffix));
  }
  if (name.ends_with(".ko")) name.resize(name.size() - 3);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::vector<std::string> ModinfoDepends(const std::string& path) {
  const std::string bytes = ReadTextOrEmpty(path);
  if (bytes.size() < sizeof(Elf64_Ehdr) ||
      std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return {};
  }
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.e_shoff == 0 || header.e_shentsize != sizeof(Elf64_Shdr) ||
      header.e_shoff + header.e_shnum * sizeof(Elf64_Shdr) > bytes.size() ||
      header.e_shstrndx >= header.e_shnum) {
    return {};
  }
  auto section = [&](size_t index) {
    Elf64_Shdr entry;
    std::memcpy(&entry,
                bytes.data() + header.e_shoff + index * sizeof(Elf64_Shdr),
                sizeof entry);
    return entry;
  };
  const Elf64_Shdr names = section(header.e_shstrndx);
  for (size_t i = 0; i < header.e_shnum; ++i) {
    const Elf64_Shdr entry = section(i);
    if (names.sh_offset + entry.sh_name >= bytes.size() ||
        entry.sh_offset + entry.sh_size > bytes.size()) {
      continue;
    }
    if (std::strcmp(bytes.data() + names.sh_offset + entry.sh_name,
                    ".modinfo") != 0) {
      continue;
    }
    const std::string_view info(bytes.data() + entry.sh_offset, entry.sh_size);
    size_t at = 0;
    while (at < info.size()) {
      size_t end = info.find('\0', at);
      if (end == std::string_view::npos) end = info.size();
      const std::string_view item = info.substr(at, end - at);
      at = end + 1;
      if (!item.starts_with("depends=")) continue;
      std::vector<std::string> depends;
      std::string_view list = item.substr(8);
      while (!list.empty()) {
        const size_t comma = list.find(',');
        if (comma != 0) {
          depends.push_back(NormalName(std::string(list.substr(0, comma))));
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
      return depends;
    }
  }
  return {};
}

ModulePlan PlanModules(const std::string& modules_dir,
                       const std::vector<std::string>& wanted) {
  ModulePlan plan;
  if (wanted.empty()) return plan;
  if (modules_dir.empty()) {
    for (const std::string& name : wanted) {
      plan.errors.push_back(name +
                            ": the kernel has no modules directory "
                            "(lib/modules/RELEASE) to load it from");
    }
    return plan;
  }
  std::set<std::string> builtin;
  for (const std::string& line :
       Lines(ReadTextOrEmpty(modules_dir + "/modules.builtin"))) {
    builtin.insert(ModuleName(line));
  }
  // name → (relative path, dependencies).
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> table;
  const bool has_dep = IsFile(modules_dir + "/modules.dep");
  if (has_dep) {
    for (const std::string& line :
         Lines(ReadTextOrEmpty(modules_dir + "/modules.dep"))) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::vector<std::string> depends;
      std::istringstream rest(line.substr(colon + 1));
      for (std::string dep; rest >> dep;) depends.push_back(ModuleName(dep));
      table[ModuleName(line.substr(0, colon))] = {line.substr(0, colon),
                                                  depends};
    }
  } else {
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(modules_dir, error);
         !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
      const std::string path = it->path().string();
      if (!it->is_regular_file() ||
          (!path.ends_with(".ko") && !path.ends_with(".ko.xz"))) {
        continue;
      }
      const std::string name = ModuleName(path);
      if (path.ends_with(".ko") || !table.count(name)) {
        table[name] = {path.substr(modules_dir.size() + 1), {}};
      }
    }
  }
  std::set<std::string> placed;
  std::function<void(const std::string&, const std::string&, int)> place =
      [&](const std::string& name, const std::string& asked, int depth) {
        if (placed.count(name)) return;
        const auto found = table.find(name);
        if (found == table.end()) {
          plan.errors.push_back(asked + ": " +
                                (name == asked
                                     ? std::string()
                                     : "its dependency " + name + " is ") +
                                "not in " + modules_dir +
                                (has_dep ? "/modules.dep"
                                         : " (no modules.dep; searched for "
                                           "NAME.ko)"));
          return;
        }
        if (depth > 32) {
          plan.errors.push_back(asked + ": module dependencies loop at " +
                                name);
          return;
        }
        placed.insert(name);
        const std::string host_path =
            Uncompressed(modules_dir + "/" + found->second.first);
        std::vector<std::string> depends = found->second.second;
        if (!has_dep && host_path.ends_with(".ko")) {
          depends = ModinfoDepends(host_path);
        }
        for (const std::string& dep : depends) place(dep, asked, depth + 1);
        if (!IsFile(host_path)) {
          plan.errors.push_back(asked + ": " + host_path + " is missing");
          return;
        }
        plan.files.push_back({name, host_path});
      };
  for (const std::string& asked : wanted) {
    const std::string name = NormalName(asked);
    if (builtin.count(name) && !table.count(name)) {
      plan.builtin.push_back(asked);
      continue;
    }
    place(name, asked, 0);
  }
  return plan;
}

}  // namespace ipcproof::kernels
