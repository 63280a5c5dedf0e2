#include "tools/claims/claim_index.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace ipcproof::claims {
namespace {

using nlohmann::json;

constexpr char kOutsideATest[] = "(outside a test)";

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// A string literal of the source: where its quotes are and what is between
// them (escapes left as written; claim ids have none).
struct StringLiteral {
  size_t begin = 0;  // offset of the opening quote
  std::string text;
};

// The source with comments and the contents of string and character
// literals turned into spaces (newlines kept, so offsets and line numbers
// are the file's), and the string literals it had. Searching the code text
// finds no CLAIM or TEST that is commented out or quoted, and parentheses
// inside literals do not upset the matching of CLAIM's own.
struct LexedSource {
  std::string code;
  std::vector<StringLiteral> strings;
};

// When a raw string literal R"delim( opens at `at` (its 'R'): the length of
// that opening, up to and including the '(', with the delimiter stored;
// otherwise 0.
size_t RawStringOpening(std::string_view text, size_t at,
                        std::string* delimiter) {
  if (text[at] != 'R' || at + 1 >= text.size() || text[at + 1] != '"') {
    return 0;
  }
  // An encoding prefix (u8R, uR, UR, LR) may precede the R; any other
  // identifier character means the R ends a name, as in FOOR"x".
  size_t start = at;
  if (start >= 2 && text.substr(start - 2, 2) == "u8") {
    start -= 2;
  } else if (start >= 1 && (text[start - 1] == 'u' || text[start - 1] == 'U' ||
                            text[start - 1] == 'L')) {
    start -= 1;
  }
  if (start > 0 && IsIdentifierChar(text[start - 1])) return 0;
  const size_t open = text.find('(', at + 2);
  if (open == std::string_view::npos) return 0;
  *delimiter = std::string(text.substr(at + 2, open - (at + 2)));
  return open + 1 - at;
}

LexedSource Lex(std::string_view text) {
  LexedSource lexed{.code = std::string(text), .strings = {}};
  std::string& code = lexed.code;
  auto blank = [&code](size_t from, size_t to) {
    for (size_t i = from; i < to && i < code.size(); ++i) {
      if (code[i] != '\n') code[i] = ' ';
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      const size_t end = std::min(text.find('\n', i), text.size());
      blank(i, end);
      i = end;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t close = text.find("*/", i + 2);
      const size_t end =
          close == std::string_view::npos ? text.size() : close + 2;
      blank(i, end);
      i = end;
    } else if (std::string delimiter;
               size_t opening = RawStringOpening(text, i, &delimiter)) {
      const std::string closing = ")" + delimiter + "\"";
      const size_t body = i + opening;
      const size_t close = text.find(closing, body);
      const size_t end = close == std::string_view::npos ? text.size() : close;
      lexed.strings.push_back(
          {.begin = i + 1, .text = std::string(text.substr(body, end - body))});
      blank(body, end);
      i = std::min(end + closing.size(), text.size());
    } else if (c == '"' || c == '\'') {
      // A ' between digits is a digit separator (1'000), not a literal.
      if (c == '\'' && i > 0 &&
          std::isxdigit(static_cast<unsigned char>(text[i - 1]))) {
        ++i;
        continue;
      }
      size_t end = i + 1;
      while (end < text.size() && text[end] != c && text[end] != '\n') {
        end += text[end] == '\\' ? 2 : 1;
      }
      end = std::min(end, text.size());
      if (c == '"') {
        lexed.strings.push_back(
            {.begin = i, .text = std::string(text.substr(i + 1, end - i - 1))});
      }
      blank(i + 1, end);
      i = end + 1;
    } else {
      ++i;
    }
  }
  return lexed;
}

// 1-based line of each offset, by the offsets where lines start.
class LineTable {
 public:
  explicit LineTable(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int LineOf(size_t offset) const {
    return static_cast<int>(
        std::upper_bound(starts_.begin(), starts_.end(), offset) -
        starts_.begin());
  }

 private:
  std::vector<size_t> starts_;
};

// Offset of the ')' that closes the '(' at `open`, in code where literals
// and comments are already blank; npos when the file ends first.
size_t MatchingParenthesis(std::string_view code, size_t open) {
  int depth = 0;
  for (size_t i = open; i < code.size(); ++i) {
    if (code[i] == '(') ++depth;
    if (code[i] == ')' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": cannot read");
  return text.str();
}

void ScanOne(const std::string& path, std::vector<Declaration>* out) {
  const std::string text = ReadFile(path);
  const LexedSource lexed = Lex(text);
  const std::string& code = lexed.code;
  const LineTable lines(code);

  // Each test definition by offset; a CLAIM belongs to the last one before
  // it.
  static const std::regex kTestDefinition(
      R"(\bTEST(?:_F|_P)?\s*\(\s*(\w+)\s*,\s*(\w+)\s*\))");
  std::vector<std::pair<size_t, std::string>> tests;
  for (auto match =
           std::sregex_iterator(code.begin(), code.end(), kTestDefinition);
       match != std::sregex_iterator(); ++match) {
    tests.emplace_back(match->position(0),
                       (*match)[1].str() + "." + (*match)[2].str());
  }

  // The macro's own definition, "#define CLAIM(...)", quotes no id, so it
  // declares nothing without a special case.
  static const std::regex kClaimStart(R"(\bCLAIM\s*\()");
  for (auto match = std::sregex_iterator(code.begin(), code.end(), kClaimStart);
       match != std::sregex_iterator(); ++match) {
    const size_t at = match->position(0);
    const int line = lines.LineOf(at);
    const size_t open = at + match->length(0) - 1;
    const size_t close = MatchingParenthesis(code, open);
    if (close == std::string::npos) {
      throw std::runtime_error(path + ":" + std::to_string(line) +
                               ": CLAIM( is never closed");
    }
    std::string test = kOutsideATest;
    for (const auto& [offset, name] : tests) {
      if (offset > at) break;
      test = name;
    }
    for (const StringLiteral& literal : lexed.strings) {
      if (literal.begin > open && literal.begin < close) {
        out->push_back(Declaration{
            .claim = literal.text, .test = test, .file = path, .line = line});
      }
    }
  }
}

std::string Cell(std::string_view text) {
  return "`" + std::string(text) + "`";
}

}  // namespace

std::vector<const Declaration*> ClaimIndex::For(std::string_view claim) const {
  std::vector<const Declaration*> found;
  for (const Declaration& declaration : declarations) {
    if (declaration.claim == claim) found.push_back(&declaration);
  }
  return found;
}

ClaimIndex ScanSources(const std::vector<std::string>& paths) {
  // Sorted, so the index does not depend on the order a caller (a shell
  // glob, Bazel's $(locations)) lists the files in.
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  ClaimIndex index;
  for (const std::string& path : sorted) ScanOne(path, &index.declarations);
  return index;
}

std::string GtestFilterFor(const Declaration& declaration) {
  if (declaration.test == kOutsideATest) return "";
  return declaration.test + ":*/" + declaration.test + "/*";
}

std::string ClaimIndexJson(const ClaimIndex& index) {
  // Keys in a reader's order (claim, test, file, line), not alphabetical.
  nlohmann::ordered_json declarations = nlohmann::ordered_json::array();
  for (const Declaration& declaration : index.declarations) {
    declarations.push_back({{"claim", declaration.claim},
                            {"test", declaration.test},
                            {"file", declaration.file},
                            {"line", declaration.line}});
  }
  const nlohmann::ordered_json document = {{"version", 1},
                                           {"declarations", declarations}};
  return document.dump(2) + "\n";
}

ClaimIndex LoadClaimIndex(const std::string& path) {
  const std::string text = ReadFile(path);
  auto fail = [&path](const std::string& what) -> std::runtime_error {
    return std::runtime_error(path + ": " + what);
  };
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    throw fail(std::string("not valid JSON: ") + error.what());
  }
  if (!document.is_object() || !document.contains("version") ||
      document["version"] != 1) {
    throw fail(
        "not a claim index of version 1 (expected {\"version\": 1, ...})");
  }
  if (!document.contains("declarations") ||
      !document["declarations"].is_array()) {
    throw fail("\"declarations\" must be an array");
  }
  ClaimIndex index;
  const json& declarations = document["declarations"];
  for (size_t i = 0; i < declarations.size(); ++i) {
    const json& entry = declarations[i];
    const std::string where = "declarations[" + std::to_string(i) + "]";
    auto text_field = [&](const char* key) {
      if (!entry.is_object() || !entry.contains(key) ||
          !entry[key].is_string() || entry[key].get<std::string>().empty()) {
        throw fail(where + ": \"" + key + "\" must be a non-empty string");
      }
      return entry[key].get<std::string>();
    };
    Declaration declaration{.claim = text_field("claim"),
                            .test = text_field("test"),
                            .file = text_field("file"),
                            .line = 0};
    if (!entry.contains("line") || !entry["line"].is_number_integer() ||
        entry["line"].get<int>() < 1) {
      throw fail(where + ": \"line\" must be a positive integer");
    }
    declaration.line = entry["line"].get<int>();
    index.declarations.push_back(std::move(declaration));
  }
  return index;
}

std::string ClaimIndexMarkdown(const ClaimIndex& index,
                               const Registry& registry) {
  std::ostringstream out;
  out << "# Claim → test index\n\n"
         "Generated from the sources by `//tools/claims:claim_index_tool` (do "
         "not edit;\n"
         "`tools/claims/update_claim_index.sh` rewrites it, and\n"
         "`//tools/claims:registry_test` fails when it is stale). Claims are "
         "listed in the\n"
         "order of the registry, [`docs/claims.json`](claims.json). Each row "
         "is one\n"
         "`CLAIM(...)` declaration: the test that decides the claim and "
         "where.\n"
         "Parameterised tests (`TEST_P`) run once per parameter under the "
         "name shown.\n\n"
         "| claim | test | declared at |\n|---|---|---|\n";
  for (const Claim& claim : registry.claims) {
    const std::vector<const Declaration*> rows = index.For(claim.id);
    if (rows.empty()) {
      out << "| " << Cell(claim.id) << " | no test yet | |\n";
      continue;
    }
    for (const Declaration* row : rows) {
      out << "| " << Cell(claim.id) << " | " << Cell(row->test) << " | ["
          << row->file << ":" << row->line << "](../" << row->file << "#L"
          << row->line << ") |\n";
    }
  }
  return out.str();
}

}  // namespace ipcproof::claims
