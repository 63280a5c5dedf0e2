#include "tools/report/text_escape.h"

#include <algorithm>
#include <cstdint>

#include "fmt/format.h"

namespace ipcproof::verify {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at text[i], or 0 if the bytes there
// are not one (overlong forms, surrogates and code points past U+10FFFF are
// not valid: RFC 3629).
size_t ValidSequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
  const uint8_t lead = byte(0);
  size_t length;
  uint32_t code_point;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3F);
  }
  if (length == 3 && code_point < 0x800) return 0;
  if (length == 4 && (code_point < 0x10000 || code_point > 0x10FFFF)) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

std::string CleanText(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = ValidSequenceLength(text, i);
    if (length == 0) {
      clean += kReplacement;
      ++i;
      continue;
    }
    if (length == 1) {
      const char c = text[i];
      if (c == '\r') {
        // CRLF line ends would double every line break in HTML <pre> and
        // confuse line-based formats (KTAP); a lone CR carries nothing.
      } else if (c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7F)) {
        clean += c;
      } else {
        clean += fmt::format("\\x{:02x}", static_cast<uint8_t>(c));
      }
    } else {
      clean.append(text.substr(i, length));
    }
    i += length;
  }
  return clean;
}

std::string OneLine(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string line;
  line.reserve(clean.size());
  bool pending_space = false;
  for (char c : clean) {
    if (IsSpace(c)) {
      pending_space = !line.empty();
      continue;
    }
    if (pending_space) line += ' ';
    pending_space = false;
    line += c;
  }
  return line;
}

std::string TrimMessage(std::string_view text, size_t max_lines,
                        size_t max_bytes) {
  std::string clean = CleanText(text);
  while (!clean.empty() && IsSpace(clean.back())) clean.pop_back();
  size_t cut = std::min(clean.size(), max_bytes);
  size_t lines = 0;
  for (size_t i = 0; i < cut; ++i) {
    if (clean[i] == '\n' && ++lines == max_lines) {
      cut = i;
      break;
    }
  }
  if (cut == clean.size()) return clean;
  // Back up to the start of a UTF-8 character (a continuation byte is
  // 10xxxxxx), so the cut never leaves half a character.
  while (cut > 0 && (static_cast<uint8_t>(clean[cut]) & 0xC0) == 0x80) --cut;
  const size_t left_out = clean.size() - cut;
  std::string trimmed = clean.substr(0, cut);
  if (!trimmed.empty() && trimmed.back() != '\n') trimmed += '\n';
  trimmed += fmt::format(
      "[... {} more bytes left out here; report.json and junit.xml hold the "
      "whole message]",
      left_out);
  return trimmed;
}

std::string HtmlEscape(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string escaped;
  escaped.reserve(clean.size());
  for (char c : clean) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string MarkdownEscape(std::string_view text) {
  // Anywhere in a line: the characters CommonMark and GFM give an inline
  // meaning (escapes, code, emphasis, links, raw HTML, entities, table cells,
  // strikethrough). A backslash before ASCII punctuation is always a literal.
  constexpr std::string_view kInline = "\\`*_[]<>|&~";
  const std::string line = OneLine(text);
  std::string escaped;
  escaped.reserve(line.size());
  // At the start of a line, also what would open a heading, a list item or a
  // block quote ("# x", "- x", "+ x", "1. x", "1) x"), since the caller may
  // put the text first on its line.
  size_t start = 0;
  if (!line.empty() && (line[0] == '#' || line[0] == '-' || line[0] == '+')) {
    escaped += '\\';
  } else {
    while (start < line.size() && line[start] >= '0' && line[start] <= '9') {
      escaped += line[start++];
    }
    if (start > 0 && start < line.size() &&
        (line[start] == '.' || line[start] == ')') &&
        (start + 1 == line.size() || line[start + 1] == ' ')) {
      escaped += '\\';
    }
  }
  for (size_t i = start; i < line.size(); ++i) {
    const char c = line[i];
    if (kInline.find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::string MarkdownCodeBlock(std::string_view text) {
  std::string clean = CleanText(text);
  while (!clean.empty() && IsSpace(clean.back())) clean.pop_back();
  size_t longest_run = 0;
  size_t run = 0;
  for (char c : clean) {
    run = c == '`' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
  }
  const std::string fence(std::max<size_t>(3, longest_run + 1), '`');
  return fence + "text\n" + clean + "\n" + fence + "\n";
}

}  // namespace ipcproof::verify
