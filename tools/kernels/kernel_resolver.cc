#include "tools/kernels/kernel_resolver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "tools/kernels/text_files.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;

constexpr char kLockRelative[] = "tools/kernels/kernels.lock";
constexpr char kWorkspace[] = "ipcproof";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool IsDirectory(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> fields;
  size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() &&
           std::isspace(static_cast<unsigned char>(line[at])))
      ++at;
    const size_t start = at;
    while (at < line.size() &&
           !std::isspace(static_cast<unsigned char>(line[at])))
      ++at;
    if (at > start) fields.emplace_back(line.substr(start, at - start));
  }
  return fields;
}

bool IsPackageName(std::string_view name) {
  // deb-control(5): lower case letters, digits, + - . ; at least two, the
  // first alphanumeric.
  if (name.size() < 2 || !std::isalnum(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
  });
}

// deb-version(7)'s character order: '~' before everything (even the end),
// then the end, then letters, then the rest.
int Order(int c) {
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int CompareFragment(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) -> int {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  while (i < a.size() || j < b.size()) {
    while ((at(a, i) && !std::isdigit(at(a, i))) ||
           (at(b, j) && !std::isdigit(at(b, j)))) {
      const int ac = Order(at(a, i));
      const int bc = Order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    int first_difference = 0;
    while (std::isdigit(at(a, i)) && std::isdigit(at(b, j))) {
      if (!first_difference) first_difference = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (std::isdigit(at(a, i))) return 1;
    if (std::isdigit(at(b, j))) return -1;
    if (first_difference) return first_difference;
  }
  return 0;
}

struct DebianVersion {
  long epoch = 0;
  std::string_view upstream, revision;
};

DebianVersion SplitVersion(std::string_view text) {
  DebianVersion version;
  if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    version.epoch =
        std::strtol(std::string(text.substr(0, colon)).c_str(), nullptr, 10);
    text.remove_prefix(colon + 1);
  }
  if (const size_t dash = text.rfind('-'); dash != std::string_view::npos) {
    version.revision = text.substr(dash + 1);
    text = text.substr(0, dash);
  }
  version.upstream = text;
  return version;
}

// The tree's last stdout line is the fetched tree; stderr (progress) passes
// through.
std::string RunFetchScript(const std::string& script,
                           const std::vector<std::string>& args) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  std::vector<std::string> argv_strings = {script};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    const std::string why =
        "exec " + script + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, why.data(), why.size());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(out[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    output.append(buffer, got);
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string command = script;
  for (const std::string& arg : args) command += " " + arg;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(
        command + " failed (" +
        (WIFEXITED(status)
             ? "exit status " + std::to_string(WEXITSTATUS(status))
             : "killed by signal " + std::to_string(WTERMSIG(status))) +
        "); its messages are above");
  }
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines.empty() ? "" : lines.back();
}

}  // namespace

std::string PasswdHome(uid_t uid) {
  std::ifstream passwd("/etc/passwd");
  for (std::string line; std::getline(passwd, line);) {
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ':');) {
      fields.push_back(field);
    }
    if (fields.size() >= 6 && fields[2] == std::to_string(uid)) {
      return fields[5];
    }
  }
  return "";
}

namespace {

std::string AbsoluteUserPath(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  // Under `bazel run` the working directory is the runfiles tree; the
  // user's own directory is BUILD_WORKING_DIRECTORY.
  const std::string user_dir = Env("BUILD_WORKING_DIRECTORY");
  if (!user_dir.empty() && !fs::exists(path) &&
      fs::exists(user_dir + "/" + path)) {
    return user_dir + "/" + path;
  }
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute.string();
}

}  // namespace

std::vector<LockEntry> ParseLockFile(std::string_view text,
                                     const std::string& source) {
  std::vector<LockEntry> entries;
  int number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const std::vector<std::string> fields = Fields(line);
    if (fields.empty()) continue;
    const std::string where = source + ":" + std::to_string(number) + ": ";
    if (fields.size() != 4) {
      throw std::runtime_error(
          where + "want 4 fields (shorthand package version sha256), found " +
          std::to_string(fields.size()));
    }
    LockEntry entry{fields[0], fields[1], fields[2], fields[3], number};
    if (!IsPackageName(entry.package)) {
      throw std::runtime_error(where + "'" + entry.package +
                               "' is not a Debian package name");
    }
    if (entry.sha256.size() != 64 ||
        !std::all_of(entry.sha256.begin(), entry.sha256.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        })) {
      throw std::runtime_error(where + "'" + entry.sha256 +
                               "' is not a sha256 (64 hex digits)");
    }
    for (const LockEntry& other : entries) {
      if (other.shorthand == entry.shorthand) {
        throw std::runtime_error(where + "shorthand '" + entry.shorthand +
                                 "' again (first on line " +
                                 std::to_string(other.line) + ")");
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string DefaultKernelCache() {
  if (std::string cache = Env("IPCPROOF_KERNEL_CACHE"); !cache.empty()) {
    return cache;
  }
  std::string base = Env("XDG_CACHE_HOME");
  if (base.empty()) {
    std::string home = Env("HOME");
    if (home.empty()) home = PasswdHome(::getuid());
    base = home + "/.cache";
  }
  return base + "/ipcproof/kernels";
}

std::string DefaultLockFile(std::vector<std::string>* tried) {
  std::vector<std::string> candidates;
  for (const char* variable : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (std::string dir = Env(variable); !dir.empty()) {
      candidates.push_back(dir + "/" + kWorkspace + "/" + kLockRelative);
    }
  }
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    candidates.push_back(executable.string() + ".runfiles/" + kWorkspace + "/" +
                         kLockRelative);
  }
  if (std::string workspace = Env("BUILD_WORKSPACE_DIRECTORY");
      !workspace.empty()) {
    candidates.push_back(workspace + "/" + kLockRelative);
  }
  if (!error) {
    candidates.push_back(executable.parent_path().parent_path().string() + "/" +
                         kLockRelative);
  }
  for (const std::string& candidate : candidates) {
    if (tried) tried->push_back(candidate);
    if (IsFile(candidate)) return candidate;
  }
  return "";
}

std::string CachedTree(const std::string& cache, const std::string& package,
                       const std::string& version) {
  const std::string tree = cache + "/" + package + "_" + version;
  return IsFile(tree + "/READY") ? tree : "";
}

std::vector<std::string> CachedVersions(const std::string& cache,
                                        const std::string& package) {
  std::vector<std::string> versions;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(cache, error)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = package + "_";
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        IsFile(entry.path().string() + "/READY")) {
      versions.push_back(name.substr(prefix.size()));
    }
  }
  std::sort(versions.begin(), versions.end(),
            [](const std::string& a, const std::string& b) {
              return CompareDebianVersions(a, b) > 0;
            });
  return versions;
}

int CompareDebianVersions(std::string_view a, std::string_view b) {
  const DebianVersion left = SplitVersion(a);
  const DebianVersion right = SplitVersion(b);
  if (left.epoch != right.epoch) return left.epoch < right.epoch ? -1 : 1;
  if (int order = CompareFragment(left.upstream, right.upstream); order != 0) {
    return order < 0 ? -1 : 1;
  }
  const int order = CompareFragment(left.revision, right.revision);
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

KernelImage KernelFromTree(const std::string& tree, const std::string& label,
                           const std::string& package) {
  std::vector<std::string> images;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(tree + "/boot", error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("vmlinuz-") && IsFile(entry.path().string())) {
      images.push_back(name);
    }
  }
  if (images.size() != 1) {
    throw std::runtime_error(tree + "/boot holds " +
                             std::to_string(images.size()) +
                             " vmlinuz-* images (want exactly one)" +
                             (error ? ": " + error.message() : std::string()));
  }
  const std::string release = images[0].substr(std::strlen("vmlinuz-"));
  KernelImage kernel;
  kernel.label = label;
  kernel.package = package;
  kernel.image_path = tree + "/boot/" + images[0];
  if (const std::string config = tree + "/boot/config-" + release;
      IsFile(config)) {
    kernel.config_path = config;
  }
  if (const std::string modules = tree + "/lib/modules/" + release;
      IsDirectory(modules)) {
    kernel.modules_dir = modules;
  }
  return kernel;
}

KernelImage KernelFromPath(const std::string& given) {
  const std::string path = AbsoluteUserPath(given);
  if (!IsFile(path)) {
    throw std::runtime_error("kernel image " + path +
                             ": not a file (a kernel spec is host, a lock "
                             "shorthand, a Debian package or an image path)");
  }
  // Documentation/arch/x86/boot.rst: a bzImage has "HdrS" at 0x202.
  char header[0x206] = {};
  {
    std::ifstream in(path, std::ios::binary);
    in.read(header, sizeof header);
  }
  if (std::memcmp(header,
                  "\x7f"
                  "ELF",
                  4) == 0) {
    throw std::runtime_error(path +
                             " is an ELF vmlinux, which QEMU does not boot: "
                             "use the bzImage (arch/x86/boot/bzImage)");
  }
  if (std::memcmp(header + 0x202, "HdrS", 4) != 0) {
    throw std::runtime_error(path +
                             " is not an x86 bzImage (no \"HdrS\" boot "
                             "header at offset 0x202)");
  }
  const fs::path image(path);
  const std::string dir = image.parent_path().string();
  const std::string name = image.filename().string();
  KernelImage kernel;
  kernel.label = name;
  kernel.image_path = path;
  std::string suffix;
  if (name.starts_with("vmlinuz-")) suffix = name.substr(8);
  std::vector<std::string> configs;
  if (!suffix.empty()) configs.push_back(dir + "/config-" + suffix);
  configs.push_back(path + ".config");
  configs.push_back(dir + "/.config");
  if (path.ends_with("/arch/x86/boot/bzImage")) {
    configs.push_back(
        image.parent_path().parent_path().parent_path().parent_path().string() +
        "/.config");
  }
  for (const std::string& config : configs) {
    if (IsFile(config)) {
      kernel.config_path = config;
      break;
    }
  }
  const std::string modules_root = dir + "/../lib/modules";
  if (!suffix.empty() && IsDirectory(modules_root + "/" + suffix)) {
    kernel.modules_dir = modules_root + "/" + suffix;
  } else {
    std::vector<std::string> releases;
    std::error_code error;
    for (const fs::directory_entry& entry :
         fs::directory_iterator(modules_root, error)) {
      if (entry.is_directory()) releases.push_back(entry.path().string());
    }
    if (releases.size() == 1) kernel.modules_dir = releases[0];
  }
  if (!kernel.modules_dir.empty()) {
    kernel.modules_dir = fs::weakly_canonical(kernel.modules_dir).string();
  }
  return kernel;
}

KernelImage ResolveKernel(std::string_view spec_view,
                          const ResolveOptions& options) {
  const std::string spec(spec_view);
  if (spec.empty()) throw std::runtime_error("empty kernel spec");
  if (spec == "host") {
    throw std::runtime_error(
        "'host' is the running kernel: it is not booted in a guest");
  }

  std::vector<LockEntry> lock;
  std::string lock_file = options.lock_file;
  std::vector<std::string> tried;
  if (lock_file.empty()) lock_file = DefaultLockFile(&tried);
  if (!lock_file.empty())
    lock = ParseLockFile(ReadTextOrThrow(lock_file), lock_file);

  std::string label, package, version;
  bool locked = false;
  for (const LockEntry& entry : lock) {
    if (entry.shorthand == spec) {
      label = spec;
      package = entry.package;
      version = entry.version;
      locked = true;
    }
  }
  if (!locked) {
    const bool looks_like_path =
        spec.find('/') != std::string::npos || IsFile(AbsoluteUserPath(spec));
    if (looks_like_path) return KernelFromPath(spec);
    if (spec.starts_with("linux-") && spec.find("image") == std::string::npos &&
        lock.empty()) {
      std::string where = options.lock_file;
      if (where.empty()) {
        for (const std::string& place : tried) where += "\n  " + place;
      }
      throw std::runtime_error("'" + spec +
                               "' looks like a lock-file shorthand, but no "
                               "lock file was found; looked at:" +
                               where);
    }
    const size_t equals = spec.find('=');
    package = spec.substr(0, equals);
    if (equals != std::string::npos) version = spec.substr(equals + 1);
    if (!IsPackageName(package) ||
        (equals != std::string::npos && version.empty())) {
      std::string shorthands;
      for (const LockEntry& entry : lock) {
        shorthands += (shorthands.empty() ? "" : ", ") + entry.shorthand;
      }
      throw std::runtime_error(
          "'" + spec + "' is neither a shorthand of " +
          (lock_file.empty() ? std::string("the lock file") : lock_file) +
          " (" + (shorthands.empty() ? "none" : shorthands) +
          "), a Debian package name[=VERSION], nor an image file");
    }
    label = package;
    if (version.empty()) {
      for (const LockEntry& entry : lock) {
        if (entry.package == package) {
          version = entry.version;
          locked = true;
        }
      }
    }
  }

  const std::string cache =
      options.cache_dir.empty() ? DefaultKernelCache() : options.cache_dir;
  auto lookup = [&]() -> std::string {
    if (!version.empty()) return CachedTree(cache, package, version);
    const std::vector<std::string> versions = CachedVersions(cache, package);
    if (versions.empty()) return "";
    version = versions.front();
    return CachedTree(cache, package, version);
  };
  std::string tree = lookup();
  if (tree.empty()) {
    const std::string wanted =
        package + (version.empty() ? std::string() : "=" + version);
    if (options.fetch_script.empty()) {
      throw std::runtime_error(
          wanted + " is not in the kernel cache " + cache + " (no complete " +
          package + "_" + (version.empty() ? std::string("*") : version) +
          "/READY); fetch it with tools/kernels/fetch_kernel.sh " +
          (locked ? std::string("--locked") : wanted));
    }
    std::vector<std::string> args = {"--cache", cache};
    args.push_back(locked ? std::string("--locked") : wanted);
    const std::string fetched = RunFetchScript(options.fetch_script, args);
    tree = lookup();
    if (tree.empty() && !fetched.empty() && IsFile(fetched + "/READY")) {
      tree = fetched;
      const std::string name = fs::path(fetched).filename().string();
      if (name.starts_with(package + "_")) {
        version = name.substr(package.size() + 1);
      }
    }
    if (tree.empty()) {
      throw std::runtime_error(options.fetch_script + " ran, but " + cache +
                               " still holds no complete " + package + "_" +
                               (version.empty() ? std::string("*") : version));
    }
  }
  return KernelFromTree(tree, label, package + " " + version);
}

}  // namespace ipcproof::kernels
