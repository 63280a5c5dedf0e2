#include "tools/claims/registry.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace ipcproof::claims {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Predicted, std::string_view>, 5>
    kPredictedNames = {{
        {Predicted::kConfirmed, "confirmed"},
        {Predicted::kRefined, "refined"},
        {Predicted::kRefuted, "refuted"},
        {Predicted::kMeasured, "measured"},
        {Predicted::kNotCheckable, "not-checkable"},
    }};

std::string JoinQuoted(std::initializer_list<std::string_view> words) {
  std::string joined;
  for (std::string_view word : words) {
    if (!joined.empty()) joined += ", ";
    joined += '"';
    joined += word;
    joined += '"';
  }
  return joined;
}

bool OneOf(std::string_view value,
           std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// One JSON object being read, with the words that place it in the file
// ("docs/claims.json: claim pipe.blocks: note"), so every complaint says
// where the bad value is.
class ObjectReader {
 public:
  ObjectReader(const json& value, std::string where)
      : value_(value), where_(std::move(where)) {
    if (!value_.is_object()) Fail("must be an object");
  }

  const std::string& where() const { return where_; }

  [[noreturn]] void Fail(std::string_view what) const {
    throw RegistryError(where_ + ": " + std::string(what));
  }
  [[noreturn]] void FailKey(std::string_view key, std::string_view what) const {
    Fail("\"" + std::string(key) + "\" " + std::string(what));
  }

  // Keys outside `known` are errors: a misspelt optional key would otherwise
  // be dropped without a word.
  void AllowOnly(std::initializer_list<std::string_view> known) const {
    for (const auto& item : value_.items()) {
      if (!OneOf(item.key(), known)) {
        FailKey(item.key(),
                "is not a known key (known: " + JoinQuoted(known) + ")");
      }
    }
  }

  bool Has(std::string_view key) const {
    return value_.contains(std::string(key));
  }

  const json& Required(std::string_view key) const {
    auto found = value_.find(std::string(key));
    if (found == value_.end()) FailKey(key, "is missing");
    return *found;
  }

  std::string Text(std::string_view key) const {
    const json& value = Required(key);
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
      FailKey(key, "must be a non-empty string");
    }
    return value.get<std::string>();
  }

  bool Bool(std::string_view key) const {
    const json& value = Required(key);
    if (!value.is_boolean()) FailKey(key, "must be true or false");
    return value.get<bool>();
  }

  double Number(std::string_view key) const {
    const json& value = Required(key);
    if (!value.is_number()) FailKey(key, "must be a number");
    return value.get<double>();
  }

  const json& Array(std::string_view key) const {
    const json& value = Required(key);
    if (!value.is_array()) FailKey(key, "must be an array");
    return value;
  }

  ObjectReader Object(std::string_view key) const {
    return ObjectReader(Required(key), where_ + ": " + std::string(key));
  }

 private:
  const json& value_;
  std::string where_;
};

// nlohmann keeps the last of two equal keys in an object; a registry that
// says a thing twice is more likely a merge mistake than intent, so the
// parse callback refuses it.
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(const std::string& name) : name_(name) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_.emplace_back();
        break;
      case json::parse_event_t::object_end:
        keys_.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys_.back().insert(key).second) {
          throw RegistryError(name_ + ": key \"" + key +
                              "\" appears twice in one object");
        }
        break;
      }
      default:
        break;
    }
    return true;
  }

 private:
  const std::string& name_;
  std::vector<std::unordered_set<std::string>> keys_;
};

const std::regex& ClaimIdShape() {
  static const std::regex shape(R"(^[a-z]+(\.[a-z0-9-]+)+$)");
  return shape;
}

const std::regex& AreaIdShape() {
  static const std::regex shape(R"(^[a-z]+$)");
  return shape;
}

// A man page as "name(section)": "pipe(7)", "mq_overview(7)", "proc(5)",
// "sem_open(3)", POSIX pages "mq_send(3p)".
const std::regex& ManPageShape() {
  static const std::regex shape(R"(^[A-Za-z0-9_.:+-]+\([0-9][a-z]*\)$)");
  return shape;
}

std::vector<Area> ReadAreas(const ObjectReader& top) {
  const json& areas = top.Array("areas");
  if (areas.empty()) top.FailKey("areas", "must list at least one area");
  std::vector<Area> read;
  std::set<std::string> seen;
  for (size_t i = 0; i < areas.size(); ++i) {
    ObjectReader area(areas[i],
                      top.where() + ": areas[" + std::to_string(i) + "]");
    area.AllowOnly({"id", "title"});
    Area entry{.id = area.Text("id"), .title = area.Text("title")};
    if (!std::regex_match(entry.id, AreaIdShape())) {
      area.FailKey("id", "\"" + entry.id + "\" must be lower-case letters");
    }
    if (!seen.insert(entry.id).second) {
      area.Fail("area \"" + entry.id + "\" is listed twice");
    }
    read.push_back(std::move(entry));
  }
  return read;
}

const std::regex& BenchmarkWordShape() {
  static const std::regex shape(R"(^[a-z0-9_]+$)");
  return shape;
}

// The rule's "benchmarks" object. Every figure it names must match the
// rule's "figure" glob: a glob that cannot see them would leave the claim
// unverified for ever.
BenchmarkFigures ReadBenchmarkFigures(const ObjectReader& benchmarks,
                                      const std::string& figure_glob) {
  benchmarks.AllowOnly({"kind", "mechanisms", "sizes", "relative_to"});
  BenchmarkFigures read{.kind = benchmarks.Text("kind"),
                        .relative_to = benchmarks.Text("relative_to")};
  const json& mechanisms = benchmarks.Array("mechanisms");
  for (const json& mechanism : mechanisms) {
    if (!mechanism.is_string()) {
      benchmarks.FailKey("mechanisms", "must hold strings");
    }
    read.mechanisms.push_back(mechanism.get<std::string>());
  }
  const json& sizes = benchmarks.Array("sizes");
  for (const json& size : sizes) {
    if (!size.is_number_integer() || size.get<int64_t>() <= 0) {
      benchmarks.FailKey("sizes", "must hold positive integers (bytes)");
    }
    read.sizes.push_back(size.get<int64_t>());
  }
  if (read.mechanisms.empty() || read.sizes.empty()) {
    benchmarks.Fail("\"mechanisms\" and \"sizes\" must not be empty");
  }
  std::vector<std::string> words = read.mechanisms;
  words.push_back(read.kind);
  words.push_back(read.relative_to);
  for (const std::string& word : words) {
    if (!std::regex_match(word, BenchmarkWordShape())) {
      benchmarks.Fail("\"" + word +
                      "\" is not a benchmark name part (lower-case letters, "
                      "digits, _)");
    }
  }
  for (const std::string& mechanism : read.mechanisms) {
    for (int64_t size : read.sizes) {
      const std::string name = read.FigureName(mechanism, size);
      if (fnmatch(figure_glob.c_str(), name.c_str(), 0) != 0) {
        benchmarks.Fail("figure " + name +
                        " does not match the rule's \"figure\" \"" +
                        figure_glob + "\"");
      }
    }
  }
  return read;
}

MeasuredRule ReadRule(const ObjectReader& rule) {
  rule.AllowOnly({"text", "figure", "aggregate", "op", "threshold", "tolerance",
                  "then", "else", "speed", "benchmarks"});
  MeasuredRule read{
      .text = rule.Text("text"),
      .figure = rule.Text("figure"),
      .aggregate = rule.Text("aggregate"),
      .op = rule.Text("op"),
      .threshold = rule.Number("threshold"),
      .tolerance = rule.Has("tolerance") ? rule.Number("tolerance") : 0,
      .verdict_if_true = rule.Text("then"),
      .verdict_if_false = rule.Text("else"),
      .measures_speed = rule.Has("speed") && rule.Bool("speed"),
  };
  if (rule.Has("benchmarks")) {
    read.benchmarks =
        ReadBenchmarkFigures(rule.Object("benchmarks"), read.figure);
  }
  if (!OneOf(read.aggregate, {"min", "max", "all"})) {
    rule.FailKey("aggregate",
                 "must be one of " + JoinQuoted({"min", "max", "all"}));
  }
  if (!OneOf(read.op, {"<", "<=", ">", ">=", "=="})) {
    rule.FailKey("op",
                 "must be one of " + JoinQuoted({"<", "<=", ">", ">=", "=="}));
  }
  // "==" compares every figure with threshold ± tolerance; a one-sided
  // comparison of all figures would be min or max.
  if ((read.op == "==") != (read.aggregate == "all")) {
    rule.FailKey("op",
                 "\"==\" goes with aggregate \"all\", and \"all\" with \"==\"");
  }
  if (read.op == "==" && !rule.Has("tolerance")) {
    rule.FailKey("tolerance", "is required with op \"==\"");
  }
  if (read.op != "==" && rule.Has("tolerance")) {
    rule.FailKey("tolerance", "is only read with op \"==\"");
  }
  if (read.tolerance < 0) {
    rule.FailKey("tolerance", "must not be negative");
  }
  for (auto [key, verdict] : {std::pair<std::string_view, std::string_view>{
                                  "then", read.verdict_if_true},
                              {"else", read.verdict_if_false}}) {
    if (!OneOf(verdict, {"confirmed", "refined", "refuted", "unverified"})) {
      rule.FailKey(key,
                   "must be one of " + JoinQuoted({"confirmed", "refined",
                                                   "refuted", "unverified"}));
    }
  }
  return read;
}

Predicted ReadPredicted(const ObjectReader& claim) {
  const std::string name = claim.Text("predicted");
  for (const auto& [predicted, predicted_name] : kPredictedNames) {
    if (name == predicted_name) return predicted;
  }
  claim.FailKey("predicted", "must be one of " +
                                 JoinQuoted({"confirmed", "refined", "refuted",
                                             "measured", "not-checkable"}));
}

Claim ReadClaim(const json& value, const std::string& where_in_list,
                const std::string& name, const std::set<std::string>& areas) {
  // Until the id is known the claim is placed by its index in the list.
  ObjectReader unnamed(value, where_in_list);
  Claim claim;
  claim.id = unnamed.Text("id");
  ObjectReader reader(value, name + ": claim " + claim.id);
  if (!std::regex_match(claim.id, ClaimIdShape())) {
    reader.FailKey("id",
                   "must look like \"area.some-words\" (lower-case letters, "
                   "digits and '-' after the area)");
  }
  reader.AllowOnly({"id", "area", "beyond_note", "note", "meaning", "semantics",
                    "predicted", "folder", "also_decided_in", "not_checkable",
                    "rule"});

  claim.area = reader.Text("area");
  const std::string prefix = claim.id.substr(0, claim.id.find('.'));
  if (claim.area != prefix) {
    reader.FailKey("area", "\"" + claim.area + "\" must be the id's prefix \"" +
                               prefix + "\"");
  }
  if (!areas.contains(claim.area)) {
    reader.FailKey("area", "\"" + claim.area + "\" is not listed in \"areas\"");
  }

  claim.beyond_note = reader.Bool("beyond_note");
  const bool id_says_beyond = claim.id.find(".beyond.") != std::string::npos;
  if (claim.beyond_note != id_says_beyond) {
    reader.FailKey("beyond_note",
                   id_says_beyond ? "must be true: the id contains \".beyond.\""
                                  : "must be false: only ids containing "
                                    "\".beyond.\" are beyond the note");
  }
  if (claim.beyond_note) {
    if (reader.Has("note")) {
      reader.FailKey("note", "must be absent on a claim beyond the note");
    }
  } else {
    ObjectReader note = reader.Object("note");
    note.AllowOnly({"quote", "section"});
    claim.note_quote = note.Text("quote");
    claim.note_section = note.Text("section");
  }

  claim.meaning = reader.Text("meaning");

  ObjectReader semantics = reader.Object("semantics");
  semantics.AllowOnly({"text", "references"});
  claim.semantics = semantics.Text("text");
  const json& references = semantics.Array("references");
  if (references.empty()) {
    semantics.FailKey("references", "must name at least one man page");
  }
  for (const json& reference : references) {
    if (!reference.is_string() ||
        !std::regex_match(reference.get_ref<const std::string&>(),
                          ManPageShape())) {
      semantics.FailKey("references", "entry " + reference.dump() +
                                          " must be a man page like "
                                          "\"pipe(7)\"");
    }
    claim.references.push_back(reference.get<std::string>());
  }

  claim.predicted = ReadPredicted(reader);

  claim.folder = reader.Text("folder");
  constexpr std::string_view kFolderRoot = "conformance/";
  auto is_folder = [&](const std::string& folder) {
    return folder.starts_with(kFolderRoot) &&
           folder.size() > kFolderRoot.size() && !folder.ends_with("/");
  };
  if (!is_folder(claim.folder)) {
    reader.FailKey("folder", "\"" + claim.folder +
                                 "\" must be a folder under conformance/, "
                                 "like \"conformance/pipe\"");
  }
  if (reader.Has("also_decided_in")) {
    const json& others = reader.Array("also_decided_in");
    if (others.empty()) {
      reader.FailKey("also_decided_in", "must be absent rather than empty");
    }
    for (const json& other : others) {
      if (!other.is_string() || !is_folder(other.get<std::string>()) ||
          other.get<std::string>() == claim.folder) {
        reader.FailKey("also_decided_in",
                       "entry " + other.dump() +
                           " must be another folder under conformance/");
      }
      claim.also_decided_in.push_back(other.get<std::string>());
    }
  }

  const bool not_checkable = claim.predicted == Predicted::kNotCheckable;
  if (not_checkable) {
    claim.not_checkable = reader.Text("not_checkable");
  } else if (reader.Has("not_checkable")) {
    reader.FailKey("not_checkable",
                   "is only for claims predicted \"not-checkable\"");
  }

  const bool measured = claim.predicted == Predicted::kMeasured;
  if (measured) {
    claim.rule = ReadRule(reader.Object("rule"));
  } else if (reader.Has("rule")) {
    reader.FailKey("rule", "is only for claims predicted \"measured\"");
  }
  return claim;
}

}  // namespace

std::string_view PredictedName(Predicted predicted) {
  for (const auto& [value, name] : kPredictedNames) {
    if (value == predicted) return name;
  }
  return "unknown";
}

const Claim* Registry::Find(std::string_view id) const {
  auto found =
      std::find_if(claims.begin(), claims.end(),
                   [id](const Claim& claim) { return claim.id == id; });
  return found == claims.end() ? nullptr : &*found;
}

Registry ParseRegistry(std::string_view json_text, const std::string& name) {
  json document;
  try {
    document = json::parse(json_text.begin(), json_text.end(),
                           DuplicateKeyGuard(name));
  } catch (const json::parse_error& error) {
    throw RegistryError(name + ": not valid JSON: " + error.what());
  }

  ObjectReader top(document, name);
  top.AllowOnly({"version", "note", "areas", "claims"});
  Registry registry;
  const json& version = top.Required("version");
  if (!version.is_number_integer() || version.get<int>() != 1) {
    top.FailKey(
        "version",
        "must be 1 (this reader knows version 1 only), not " + version.dump());
  }
  registry.version = 1;

  ObjectReader note = top.Object("note");
  note.AllowOnly({"title", "source"});
  registry.note_title = note.Text("title");
  registry.note_source = note.Text("source");

  registry.areas = ReadAreas(top);
  std::set<std::string> area_ids;
  for (const Area& area : registry.areas) area_ids.insert(area.id);

  const json& claims = top.Array("claims");
  if (claims.empty()) top.FailKey("claims", "must list at least one claim");
  std::set<std::string> seen;
  for (size_t i = 0; i < claims.size(); ++i) {
    Claim claim =
        ReadClaim(claims[i], name + ": claims[" + std::to_string(i) + "]", name,
                  area_ids);
    if (!seen.insert(claim.id).second) {
      throw RegistryError(name + ": claim " + claim.id +
                          ": the id is registered twice (claims[" +
                          std::to_string(i) + "] repeats it)");
    }
    registry.claims.push_back(std::move(claim));
  }
  return registry;
}

Registry LoadRegistry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RegistryError(path + ": cannot open the claim registry");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RegistryError(path + ": cannot read the claim registry");
  return ParseRegistry(text.str(), path);
}

std::string BenchmarkFigures::FigureName(const std::string& mechanism,
                                         int64_t size) const {
  return kind + "." + mechanism + "." + std::to_string(size) + ".over_" +
         relative_to;
}

}  // namespace ipcproof::claims
