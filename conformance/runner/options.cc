#include "conformance/runner/options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "conformance/runner/wire.h"
#include "gtest/gtest.h"

namespace ipcproof {
namespace {

constexpr char kTimeoutFlag[] = "--ipcproof_timeout=";
constexpr char kTimeScaleFlag[] = "--ipcproof_time_scale=";
constexpr char kInProcessFlag[] = "--ipcproof_in_process";
constexpr char kWatchDirFlag[] = "--ipcproof_watch_dir=";

std::chrono::seconds ParseSeconds(const char* text, const char* where) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) {
    std::fprintf(stderr, "ipcproof: %s wants a positive number of seconds\n",
                 where);
    std::exit(2);
  }
  return std::chrono::seconds(value);
}

int ParseScale(const char* text, const char* where) {
  const int scale = internal::ParseTimeScale(text);
  if (scale == 0) {
    std::fprintf(stderr,
                 "ipcproof: %s wants a whole number from %d to %d (got '%s')\n",
                 where, internal::kMinTimeScale, internal::kMaxTimeScale, text);
    std::exit(2);
  }
  return scale;
}

}  // namespace

Options TakeOptions(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("IPCPROOF_TIMEOUT"); env && *env) {
    options.timeout = ParseSeconds(env, "IPCPROOF_TIMEOUT");
  }
  if (const char* env = std::getenv(internal::kTimeScaleEnv); env && *env) {
    options.time_scale = ParseScale(env, internal::kTimeScaleEnv);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(kTimeoutFlag)) {
      options.timeout =
          ParseSeconds(argv[i] + std::strlen(kTimeoutFlag), kTimeoutFlag);
    } else if (arg.starts_with(kTimeScaleFlag)) {
      options.time_scale =
          ParseScale(argv[i] + std::strlen(kTimeScaleFlag), kTimeScaleFlag);
    } else if (arg == kInProcessFlag) {
      options.in_process = true;
    } else if (arg.starts_with(kWatchDirFlag)) {
      const std::string_view dir = arg.substr(std::strlen(kWatchDirFlag));
      if (dir.empty() || dir.front() != '/') {
        std::fprintf(stderr, "ipcproof: %s wants an absolute path\n",
                     kWatchDirFlag);
        std::exit(2);
      }
      options.watched_dirs.emplace_back(dir);
    } else {
      options.passthrough.emplace_back(arg);
    }
  }
  return options;
}

std::string XmlOutputPath(const char* argv0) {
  const std::string output = GTEST_FLAG_GET(output);
  if (output.empty()) return "";
  if (!output.starts_with("xml")) {
    std::fprintf(stderr,
                 "ipcproof: only xml output is supported (asked for '%s')\n",
                 output.c_str());
    return "";
  }
  std::string path =
      output.size() > 4 && output[3] == ':' ? output.substr(4) : "";
  if (path.empty()) return "test_detail.xml";
  if (path.back() == '/') {
    std::string base = argv0;
    base = base.substr(base.rfind('/') + 1);
    path += base + ".xml";
  }
  return path;
}

}  // namespace ipcproof
