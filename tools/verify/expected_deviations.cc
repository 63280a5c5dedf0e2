#include "tools/verify/expected_deviations.h"

#include <fnmatch.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace ipcproof::verify {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

std::string ReadWholeFile(const std::string& path) {
  // A directory opens as a stream on Linux and reads as nothing; say what it
  // is rather than report it as empty JSON.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    Fail(path, "cannot read: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) Fail(path, std::string("cannot read: ") + std::strerror(errno));
  return text.str();
}

// A misspelt key ("reasons") must not pass silently, so an object carries
// exactly the keys of the format.
void RequireExactKeys(const json& object,
                      std::initializer_list<std::string_view> keys,
                      const std::string& path, const std::string& where) {
  for (std::string_view key : keys) {
    if (!object.contains(key)) {
      Fail(path, where + "missing key \"" + std::string(key) + "\"");
    }
  }
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view allowed : keys) known = known || key == allowed;
    if (!known) Fail(path, where + "unknown key \"" + key + "\"");
  }
}

std::string RequireText(const json& object, const char* key,
                        const std::string& path, const std::string& where) {
  const json& value = object.at(key);
  if (!value.is_string()) {
    Fail(path, where + "\"" + key + "\" must be a string");
  }
  std::string text = value.get<std::string>();
  if (text.empty()) Fail(path, where + "\"" + key + "\" is empty");
  return text;
}

}  // namespace

std::vector<ExpectedDeviation> LoadExpectedDeviations(
    const std::string& path, const claims::Registry& registry) {
  const std::string text = ReadWholeFile(path);
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    Fail(path, std::string("not valid JSON: ") + error.what());
  }
  if (!document.is_object()) Fail(path, "the top level must be an object");
  RequireExactKeys(document, {"version", "deviations"}, path, "");
  const json& version = document.at("version");
  if (!version.is_number_integer() || version.get<long long>() != 1) {
    Fail(path, "\"version\" must be 1, found " + version.dump());
  }
  const json& entries = document.at("deviations");
  if (!entries.is_array()) Fail(path, "\"deviations\" must be an array");

  std::vector<ExpectedDeviation> deviations;
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& entry = entries[i];
    const std::string where = "deviations[" + std::to_string(i) + "]: ";
    if (!entry.is_object()) Fail(path, where + "must be an object");
    RequireExactKeys(entry, {"claim", "kernel", "reason"}, path, where);
    ExpectedDeviation deviation{
        .claim = RequireText(entry, "claim", path, where),
        .kernel = RequireText(entry, "kernel", path, where),
        .reason = RequireText(entry, "reason", path, where),
    };
    if (registry.Find(deviation.claim) == nullptr) {
      Fail(path,
           where + "claim \"" + deviation.claim + "\" is not in the registry");
    }
    deviations.push_back(std::move(deviation));
  }
  return deviations;
}

const ExpectedDeviation* FindExpectedDeviation(
    const std::vector<ExpectedDeviation>& expected, const std::string& claim,
    const std::string& kernel_release) {
  for (const ExpectedDeviation& deviation : expected) {
    if (deviation.claim == claim &&
        fnmatch(deviation.kernel.c_str(), kernel_release.c_str(), 0) == 0) {
      return &deviation;
    }
  }
  return nullptr;
}

}  // namespace ipcproof::verify
