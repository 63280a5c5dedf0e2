// Making arbitrary text safe for each report format. Test messages come from
// the kernel's behaviour and a test's own printing: they may hold any bytes
// (invalid UTF-8, terminal escapes, markup), and none of it may break the
// structure of a report or run as code in a reader's browser.
#ifndef TOOLS_REPORT_TEXT_ESCAPE_H_
#define TOOLS_REPORT_TEXT_ESCAPE_H_

#include <string>
#include <string_view>

namespace ipcproof::verify {

// Valid UTF-8 with no control character but tab and newline: each invalid
// byte becomes U+FFFD, a carriage return is dropped, and any other control
// character (C0 or DEL) is written as "\xNN", so it stays visible. Every
// writer passes foreign text through this first (JSON, XML and HTML all
// reject or mangle the raw bytes).
std::string CleanText(std::string_view text);

// CleanText, then every run of whitespace (newlines too) as one space, and
// no leading or trailing whitespace: for a table cell, an attribute, a KTAP
// line.
std::string OneLine(std::string_view text);

// At most `max_lines` lines and `max_bytes` bytes (cut at a UTF-8 character
// boundary); when cut, a last line says how much was left out and where the
// whole text is.
std::string TrimMessage(std::string_view text, size_t max_lines = 40,
                        size_t max_bytes = 4000);

// HTML text and attribute values (both quote kinds escaped), after CleanText.
std::string HtmlEscape(std::string_view text);

// Inline Markdown (CommonMark / GFM): every ASCII punctuation character that
// could start markup is backslash-escaped (so `|` never ends a table cell and
// `<script>` is text), after OneLine.
std::string MarkdownEscape(std::string_view text);

// A fenced code block holding `text` verbatim (after CleanText): the fence is
// longer than any run of backticks in the text, so no message can close it.
std::string MarkdownCodeBlock(std::string_view text);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_TEXT_ESCAPE_H_
