#include "tools/verify/kernel_config.h"

#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

// A config is some hundred kilobytes; more than this inflated is not one.
constexpr size_t kMaxConfigBytes = 64 << 20;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InfrastructureError(DescribeErrno("open(" + path + ")", errno));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw InfrastructureError(DescribeErrno("read(" + path + ")", errno));
  }
  return text;
}

std::string Inflate(const std::string& compressed, const std::string& path) {
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip header, not a zlib one.
  if (::inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    throw InfrastructureError(path + ": inflateInit2 failed");
  }
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string text;
  char buffer[1 << 16];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = ::inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    text.append(buffer, sizeof buffer - stream.avail_out);
    if (text.size() > kMaxConfigBytes) {
      ::inflateEnd(&stream);
      throw InfrastructureError(path + ": inflates to more than " +
                                std::to_string(kMaxConfigBytes) + " bytes");
    }
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      break;  // input ended before the gzip trailer
    }
  }
  ::inflateEnd(&stream);
  if (status != Z_STREAM_END) {
    throw InfrastructureError(path + ": not a complete gzip stream (zlib " +
                              std::to_string(status) + ")");
  }
  return text;
}

std::string Trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

bool IsOptionName(std::string_view name) {
  if (!name.starts_with("CONFIG_") || name.size() == 7) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          (c >= 'a' && c <= 'z'))) {
      return false;
    }
  }
  return true;
}

// "kernel/drivers/net/veth.ko.xz:" -> "veth".
std::string ModuleFromPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  const size_t ko = path.find(".ko");
  if (ko == std::string_view::npos) return "";
  return NormalModuleName(path.substr(0, ko));
}

}  // namespace

std::string KernelConfig::Value(std::string_view option) const {
  const auto found = values.find(option);
  return found == values.end() ? "n" : found->second;
}

KernelConfig ParseKernelConfig(std::string_view text, std::string source) {
  KernelConfig config;
  config.source = std::move(source);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = Trimmed(text.substr(start, end - start));
    start = end + 1;
    constexpr std::string_view kNotSet = " is not set";
    if (line.starts_with("# CONFIG_") && line.ends_with(kNotSet)) {
      const std::string name = line.substr(2, line.size() - 2 - kNotSet.size());
      if (IsOptionName(name)) config.values[name] = "n";
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    const std::string name = line.substr(0, equals);
    if (IsOptionName(name)) config.values[name] = line.substr(equals + 1);
  }
  return config;
}

KernelConfig ReadKernelConfig(const std::string& path, std::string source) {
  std::string bytes = ReadWhole(path);
  // RFC 1952: every gzip member starts with 0x1f 0x8b.
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    bytes = Inflate(bytes, path);
  }
  return ParseKernelConfig(bytes, std::move(source));
}

std::optional<KernelConfig> HostKernelConfig() {
  std::vector<std::string> candidates = {"/proc/config.gz"};
  utsname names{};
  if (::uname(&names) == 0) {
    candidates.push_back(std::string("/boot/config-") + names.release);
  }
  for (const std::string& path : candidates) {
    if (::access(path.c_str(), R_OK) != 0) continue;
    try {
      return ReadKernelConfig(path, path);
    } catch (const InfrastructureError&) {
      // The next source, or none: the host check is a courtesy.
    }
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> ModulesOnDisk(
    const std::string& modules_dir) {
  if (modules_dir.empty()) return std::nullopt;
  for (const char* list : {"modules.dep", "modules.order"}) {
    const std::string path = modules_dir + "/" + list;
    if (::access(path.c_str(), R_OK) != 0) continue;
    const std::string text = ReadWhole(path);
    std::vector<std::string> names;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      start = end + 1;
      // modules.dep: "kernel/drivers/net/veth.ko: dependencies..."; the
      // module is the first word.
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) line = line.substr(0, colon);
      std::string name = ModuleFromPath(Trimmed(line));
      if (!name.empty()) names.push_back(std::move(name));
    }
    return names;
  }
  return std::nullopt;
}

std::string NormalModuleName(std::string_view name) {
  std::string normal(name);
  for (char& c : normal) {
    if (c == '-') c = '_';
  }
  return normal;
}

}  // namespace ipcproof::verify
