// The claim registry (docs/claims.json): every checkable statement of the
// note, and the documented semantics ipcproof pins beyond it, by id. This is
// the one reader of that file; tools/verify writes its reports from it and
// //tools/claims:registry_test keeps it consistent with the tests.
//
// The file's format is described in docs/README.md ("The claim registry").
#ifndef TOOLS_CLAIMS_REGISTRY_H_
#define TOOLS_CLAIMS_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::claims {

// What the documented semantics predict for a claim, before any run.
enum class Predicted {
  kConfirmed,     // the kernel behaves as the note says
  kRefined,       // true in part; the tests pin what differs
  kRefuted,       // the documented semantics contradict the note
  kMeasured,      // a quantity: the verdict comes from figures by `rule`
  kNotCheckable,  // cannot be observed from user space here: `not_checkable`
};

// "confirmed", "refined", "refuted", "measured", "not-checkable".
std::string_view PredictedName(Predicted predicted);

// How a measured claim earns its verdict from the figures that its passing
// declaring tests recorded in the same run (RecordMeasurement, without the
// "measured." prefix). The figures whose names match `figure` (a glob, `*`
// matches any run of characters) are combined by `aggregate`, compared with
// `threshold` by `op`, and the comparison picks `verdict_if_true` or
// `verdict_if_false`. A count the note states exactly ("four copies") is
// two-sided: aggregate "all", op "==" and a `tolerance`, which holds when
// every figure lies within threshold ± tolerance.
// Where a rule's figures come from when they are the benchmarks' (verify
// --benchmarks; docs/benchmarks-schema.md), not the tests': for each of
// `mechanisms` and `sizes`, the median of benchmark kind/mechanism/size
// over `relative_to`'s at the same kind and size, named
// "<kind>.<mechanism>.<size>.over_<relative_to>". `relative_to` is another
// mechanism, or "fastest": the best median of any mechanism at that kind and
// size (the lowest time, the highest bytes per second).
struct BenchmarkFigures {
  std::string kind;                     // "latency", "throughput"
  std::vector<std::string> mechanisms;  // "pipe"
  std::vector<int64_t> sizes;           // bytes per message
  std::string relative_to;              // "fastest" or a mechanism
  // "latency.pipe.64.over_fastest".
  std::string FigureName(const std::string& mechanism, int64_t size) const;
};

struct MeasuredRule {
  std::string text;    // the rule in English, threshold included
  std::string figure;  // e.g. "sysv_to_pipe_default_ratio", "interleavings.*"
  std::string aggregate;  // "min" or "max" over the matching figures; "all"
  std::string op;         // "<", "<=", ">", ">="; "==" (with "all" only)
  double threshold = 0;
  // For op "==": how far a figure may lie from threshold (key "tolerance").
  double tolerance = 0;
  // Each one of "confirmed", "refined", "refuted", "unverified".
  std::string verdict_if_true;
  std::string verdict_if_false;
  // The figures are speeds (rates, ratios of rates): under an emulator (QEMU
  // TCG) they measure the emulator, not the kernel, so a guest run under TCG
  // leaves the claim unverified (key "speed"; default false).
  bool measures_speed = false;
  // Set (key "benchmarks"): the figures are the benchmarks', made in the
  // same verify run, and no test's figures are read.
  std::optional<BenchmarkFigures> benchmarks;
};

struct Claim {
  std::string id;  // "<area>.<words>"; "<area>.beyond.<words>" beyond the note
  std::string area;  // the id's prefix
  bool beyond_note = false;
  // The note's own words (a short quote from the Chinese note) and the
  // heading of the note's section it is quoted from. Empty beyond the note.
  std::string note_quote;
  std::string note_section;
  std::string meaning;                  // the claim in English
  std::string semantics;                // what the documentation says
  std::vector<std::string> references;  // man pages: "pipe(7)", "read(2)"
  Predicted predicted = Predicted::kConfirmed;
  std::string folder;  // "conformance/pipe": whose tests decide it
  // Other folders whose tests may also declare it: evidence that belongs to
  // another mechanism's tests (a pipe end passed over a Unix socket refutes
  // pipe.anon.parent-child-only). Empty for most claims.
  std::vector<std::string> also_decided_in;
  std::string not_checkable;         // why, when predicted is kNotCheckable
  std::optional<MeasuredRule> rule;  // when predicted is kMeasured
};

struct Area {
  std::string id;     // "pipe"
  std::string title;  // "Anonymous pipes"
};

struct Registry {
  int version = 0;
  std::string note_title;     // the note's title, in its own language
  std::string note_source;    // where the note comes from
  std::vector<Area> areas;    // in report order
  std::vector<Claim> claims;  // in the note's order, beyond ids after theirs

  // nullptr when no claim has this id.
  const Claim* Find(std::string_view id) const;
};

// A registry that cannot be read or breaks a rule of the format. what()
// names the file and, where there is one, the claim: "docs/claims.json:
// claim pipe.blocks: \"predicted\" must be one of ...".
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and validates the registry: the fields above present and typed
// (text never empty), no unknown key and no key twice in one object (a
// misspelt key must not vanish), ids unique and of the shape
// "area.words[.words...]", area equal to the id's prefix and listed in
// "areas", beyond_note equal to the id containing ".beyond.", a quote for
// every claim of the note and none beyond it, at least one man page
// ("pipe(7)") per claim, a folder under conformance/, not_checkable exactly
// on not-checkable claims, a well-formed rule exactly on measured claims.
Registry LoadRegistry(const std::string& path);
// The same from text; `name` is used in error messages.
Registry ParseRegistry(std::string_view json_text, const std::string& name);

}  // namespace ipcproof::claims

#endif  // TOOLS_CLAIMS_REGISTRY_H_
