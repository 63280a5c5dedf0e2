#include "tools/report/grading_config.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "nlohmann/json.hpp"

namespace ipcproof::verify {
namespace {

using nlohmann::json;

constexpr const char* kVisibilities[] = {"visible", "hidden", "after_due_date",
                                         "after_published"};

[[noreturn]] void Fail(const std::string& name, const std::string& problem) {
  throw std::runtime_error(name + ": " + problem);
}

void RejectUnknownKeys(const json& object,
                       std::initializer_list<std::string_view> known,
                       const std::string& name, const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || key == k;
    if (!is_known) {
      std::string list;
      for (std::string_view k : known) {
        list += (list.empty() ? "" : ", ") + std::string(k);
      }
      Fail(name, where + "unknown key \"" + key + "\" (known: " + list + ")");
    }
  }
}

std::string Visibility(const json& value, const std::string& name,
                       const std::string& where) {
  if (!value.is_string()) Fail(name, where + "\"visibility\" must be a string");
  const std::string visibility = value.get<std::string>();
  for (const char* known : kVisibilities) {
    if (visibility == known) return visibility;
  }
  Fail(name,
       where + "unknown visibility \"" + visibility +
           "\" (one of visible, hidden, after_due_date, after_published)");
}

double Weight(const json& value, const std::string& name,
              const std::string& where) {
  if (!value.is_number()) Fail(name, where + "\"weight\" must be a number");
  const double weight = value.get<double>();
  if (!std::isfinite(weight) || weight < 0) {
    Fail(name, where + "\"weight\" must not be negative, got " + value.dump());
  }
  return weight;
}

}  // namespace

GradingRule GradingConfig::For(const std::string& claim_id) const {
  for (const GradingRule& rule : rules) {
    if (fnmatch(rule.match.c_str(), claim_id.c_str(), 0) == 0) return rule;
  }
  return GradingRule{claim_id, default_weight, default_visibility};
}

GradingConfig ParseGradingConfig(const std::string& json_text,
                                 const std::string& name) {
  json document;
  try {
    document = json::parse(json_text);
  } catch (const json::parse_error& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 3,
    // column 5: ...": keep the part a reader needs.
    std::string what = error.what();
    const size_t at = what.find("parse error");
    Fail(name, "not valid JSON: " +
                   (at == std::string::npos ? what : what.substr(at)));
  }
  if (!document.is_object()) Fail(name, "the top level must be an object");
  RejectUnknownKeys(
      document,
      {"version", "per", "default", "rules", "hide_errors", "visibility"}, name,
      "");
  if (!document.contains("version")) Fail(name, "\"version\" is missing");
  if (!document["version"].is_number_integer() ||
      document["version"].get<int>() != 1) {
    Fail(name, "\"version\" must be 1, got " + document["version"].dump());
  }

  GradingConfig config;
  if (document.contains("per")) {
    const json& per = document["per"];
    if (!per.is_string() || (per != "claim" && per != "test")) {
      Fail(name, "\"per\" must be \"claim\" or \"test\", got " + per.dump());
    }
    config.per_test = per == "test";
  }
  if (document.contains("default")) {
    const json& fallback = document["default"];
    if (!fallback.is_object()) Fail(name, "\"default\" must be an object");
    RejectUnknownKeys(fallback, {"weight", "visibility"}, name, "default: ");
    if (fallback.contains("weight")) {
      config.default_weight = Weight(fallback["weight"], name, "default: ");
    }
    if (fallback.contains("visibility")) {
      config.default_visibility =
          Visibility(fallback["visibility"], name, "default: ");
    }
  }
  if (document.contains("rules")) {
    const json& rules = document["rules"];
    if (!rules.is_array()) Fail(name, "\"rules\" must be an array");
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string where = "rules[" + std::to_string(i) + "]: ";
      const json& rule = rules[i];
      if (!rule.is_object()) Fail(name, where + "must be an object");
      RejectUnknownKeys(rule, {"match", "weight", "visibility"}, name, where);
      if (!rule.contains("match") || !rule["match"].is_string() ||
          rule["match"].get<std::string>().empty()) {
        Fail(name, where +
                       "\"match\" must be a non-empty string (a glob on "
                       "the claim id)");
      }
      // A rule states what it changes; the rest comes from the default, so
      // raising the default weight raises every rule that does not set one.
      GradingRule parsed{rule["match"].get<std::string>(),
                         config.default_weight, config.default_visibility};
      if (rule.contains("weight"))
        parsed.weight = Weight(rule["weight"], name, where);
      if (rule.contains("visibility")) {
        parsed.visibility = Visibility(rule["visibility"], name, where);
      }
      config.rules.push_back(parsed);
    }
  }
  if (document.contains("hide_errors")) {
    if (!document["hide_errors"].is_string()) {
      Fail(name, "\"hide_errors\" must be a string");
    }
    config.hide_errors = document["hide_errors"].get<std::string>();
  }
  if (document.contains("visibility")) {
    config.visibility = Visibility(document["visibility"], name, "");
  }
  return config;
}

GradingConfig LoadGradingConfig(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string text;
  struct stat status;
  if (::fstat(fd, &status) == 0 && S_ISDIR(status.st_mode)) {
    ::close(fd);
    Fail(path, "is a directory, not a grading config");
  }
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      Fail(path, std::string("cannot read: ") + std::strerror(error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseGradingConfig(text, path);
}

}  // namespace ipcproof::verify
