#include "tools/kernels/guest_wire.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace ipcproof::kernels {
namespace {

constexpr char kPlanMagic[] = "ipcproof-plan 1";

bool NeedsEscape(unsigned char c) { return c <= ' ' || c == '%' || c >= 0x7f; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    const size_t space = line.find(' ', start);
    const size_t end = space == std::string_view::npos ? line.size() : space;
    fields.push_back(line.substr(start, end - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return fields;
}

template <typename Int>
bool ParseInt(std::string_view text, Int* value) {
  if (text.empty()) return false;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

[[noreturn]] void PlanError(size_t line_number, std::string_view line,
                            std::string_view what) {
  throw std::runtime_error("plan line " + std::to_string(line_number) + " ('" +
                           std::string(line.substr(0, 80)) +
                           "'): " + std::string(what));
}

std::string Shown(std::string_view bytes) {
  std::string shown;
  for (unsigned char c : bytes.substr(0, 40)) {
    if (c >= ' ' && c < 0x7f) {
      shown += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      shown += hex;
    }
  }
  return "'" + shown + "'";
}

}  // namespace

std::string EscapeField(std::string_view raw) {
  std::string escaped;
  escaped.reserve(raw.size());
  for (unsigned char c : raw) {
    if (NeedsEscape(c)) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      escaped += hex;
    } else {
      escaped += static_cast<char>(c);
    }
  }
  return escaped;
}

std::string UnescapeField(std::string_view escaped) {
  std::string raw;
  raw.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '%') {
      raw += escaped[i];
      continue;
    }
    const int high = i + 1 < escaped.size() ? HexValue(escaped[i + 1]) : -1;
    const int low = i + 2 < escaped.size() ? HexValue(escaped[i + 2]) : -1;
    if (high < 0 || low < 0) {
      throw std::runtime_error("bad %XX escape at offset " + std::to_string(i) +
                               " of '" + std::string(escaped) + "'");
    }
    raw += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return raw;
}

std::string EncodePlan(const Plan& plan) {
  std::string text = std::string(kPlanMagic) + "\n";
  text += "heartbeat " + std::to_string(plan.heartbeat_seconds) + "\n";
  for (const PlanModule& module : plan.modules) {
    text += "module " + EscapeField(module.name) + " " +
            EscapeField(module.guest_path) + "\n";
  }
  for (const PlanProbe& probe : plan.probes) {
    text += "probe " + EscapeField(probe.name) + " " +
            std::to_string(probe.number) + "\n";
  }
  for (const PlanBinary& binary : plan.binaries) {
    text += "binary " + EscapeField(binary.name) + " " +
            EscapeField(binary.guest_path) + " " +
            std::to_string(binary.time_limit_seconds) + "\n";
    for (const std::string& arg : binary.args) {
      text += "arg " + EscapeField(arg) + "\n";
    }
  }
  text += "end\n";
  return text;
}

Plan DecodePlan(std::string_view text) {
  Plan plan;
  size_t line_number = 0;
  bool ended = false;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) {
      PlanError(line_number + 1, text.substr(start),
                "the last line has no newline (truncated plan?)");
    }
    const std::string_view line = text.substr(start, newline - start);
    start = newline + 1;
    ++line_number;
    if (ended) PlanError(line_number, line, "text after 'end'");
    if (line_number == 1) {
      if (line != kPlanMagic) {
        PlanError(line_number, line,
                  std::string("expected '") + kPlanMagic + "'");
      }
      continue;
    }
    const std::vector<std::string_view> fields = SplitSpaces(line);
    const std::string_view keyword = fields[0];
    auto want = [&](size_t count) {
      if (fields.size() != count) {
        PlanError(line_number, line,
                  "'" + std::string(keyword) + "' takes " +
                      std::to_string(count - 1) + " fields, found " +
                      std::to_string(fields.size() - 1));
      }
    };
    try {
      if (keyword == "heartbeat") {
        want(2);
        if (!ParseInt(fields[1], &plan.heartbeat_seconds) ||
            plan.heartbeat_seconds <= 0) {
          PlanError(line_number, line, "heartbeat wants seconds > 0");
        }
      } else if (keyword == "module") {
        want(3);
        plan.modules.push_back(
            {UnescapeField(fields[1]), UnescapeField(fields[2])});
      } else if (keyword == "probe") {
        want(3);
        PlanProbe probe{UnescapeField(fields[1]), 0};
        if (!ParseInt(fields[2], &probe.number) || probe.number < 0) {
          PlanError(line_number, line, "bad system call number");
        }
        plan.probes.push_back(probe);
      } else if (keyword == "binary") {
        want(4);
        PlanBinary binary;
        binary.name = UnescapeField(fields[1]);
        binary.guest_path = UnescapeField(fields[2]);
        if (!ParseInt(fields[3], &binary.time_limit_seconds) ||
            binary.time_limit_seconds <= 0) {
          PlanError(line_number, line, "bad time limit (seconds > 0)");
        }
        plan.binaries.push_back(std::move(binary));
      } else if (keyword == "arg") {
        want(2);
        if (plan.binaries.empty()) {
          PlanError(line_number, line, "'arg' before any 'binary'");
        }
        plan.binaries.back().args.push_back(UnescapeField(fields[1]));
      } else if (keyword == "end") {
        want(1);
        ended = true;
      } else {
        PlanError(line_number, line, "unknown keyword");
      }
    } catch (const std::runtime_error& error) {
      if (std::string_view(error.what()).starts_with("plan line")) throw;
      PlanError(line_number, line, error.what());
    }
  }
  if (line_number == 0) PlanError(0, "", "empty plan");
  if (!ended) {
    PlanError(line_number, "", "no 'end' line (truncated plan?)");
  }
  return plan;
}

std::string EncodeRecordHeader(std::string_view kind, std::string_view name,
                               uint64_t length) {
  return std::string(kRecordMagic) + std::string(kind) + " " +
         (name.empty() ? std::string("-") : EscapeField(name)) + " " +
         std::to_string(length) + "\n";
}

std::string EncodeRecord(std::string_view kind, std::string_view name,
                         std::string_view payload) {
  std::string bytes = EncodeRecordHeader(kind, name, payload.size());
  bytes += payload;
  bytes += '\n';
  return bytes;
}

DecodedStream DecodeResultStream(std::string_view bytes) {
  DecodedStream stream;
  size_t at = 0;
  auto fail = [&](std::string what, bool truncated) {
    stream.error = "at byte " + std::to_string(at) + " (record " +
                   std::to_string(stream.records.size() + 1) + "): " + what;
    stream.truncated = truncated;
    return stream;
  };
  while (at < bytes.size()) {
    const std::string_view rest = bytes.substr(at);
    if (stream.has_end) {
      return fail("bytes after the end record: " + Shown(rest), false);
    }
    if (!rest.starts_with(kRecordMagic)) {
      if (kRecordMagic.starts_with(rest)) {
        return fail("the stream stops inside a record header", true);
      }
      return fail(
          "expected a record header '@ipcproof KIND NAME LENGTH', found " +
              Shown(rest),
          false);
    }
    const size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) {
      if (rest.size() > 512) {
        return fail("a record header longer than 512 bytes: " + Shown(rest),
                    false);
      }
      return fail("the stream stops inside a record header", true);
    }
    const std::string_view header =
        rest.substr(kRecordMagic.size(), newline - kRecordMagic.size());
    const std::vector<std::string_view> fields = SplitSpaces(header);
    uint64_t length = 0;
    if (fields.size() != 3 || fields[0].empty() || fields[1].empty() ||
        !ParseInt(fields[2], &length)) {
      return fail("a malformed record header " +
                      Shown(rest.substr(0, newline)) +
                      " (want KIND NAME LENGTH)",
                  false);
    }
    for (char c : fields[0]) {
      if (!((c >= 'a' && c <= 'z') || c == '-')) {
        return fail("a record kind that is not [a-z-]: " + Shown(fields[0]),
                    false);
      }
    }
    Record record;
    record.kind = fields[0];
    if (fields[1] != "-") {
      try {
        record.name = UnescapeField(fields[1]);
      } catch (const std::runtime_error& error) {
        return fail(std::string("record name: ") + error.what(), false);
      }
    }
    const size_t payload_at = newline + 1;
    if (length >= rest.size() - payload_at) {
      return fail("record '" + record.kind + "' announces " +
                      std::to_string(length) + " bytes, " +
                      std::to_string(rest.size() - payload_at) +
                      " arrived (cut off)",
                  true);
    }
    if (rest[payload_at + length] != '\n') {
      return fail("record '" + record.kind + "' of " + std::to_string(length) +
                      " bytes is not followed by a newline: " +
                      Shown(rest.substr(payload_at + length)),
                  false);
    }
    record.payload = rest.substr(payload_at, length);
    if (record.kind == kRecordEnd) {
      size_t count = 0;
      if (!ParseInt(std::string_view(record.payload), &count) ||
          count != stream.records.size()) {
        return fail("the end record counts '" + record.payload + "' records, " +
                        std::to_string(stream.records.size()) +
                        " came before it",
                    false);
      }
      stream.has_end = true;
    }
    stream.records.push_back(std::move(record));
    at += payload_at + length + 1;
    stream.consumed = at;
  }
  return stream;
}

}  // namespace ipcproof::kernels
