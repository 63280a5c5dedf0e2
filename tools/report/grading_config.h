// The Gradescope grading config (docs/grading.json is the default; an
// instructor passes their own with --grading-config): weights, visibility
// and the hide-errors message, per claim id or glob. docs/grading.md is the
// instructor's guide.
//
//   {"version": 1,
//    "per": "claim",                 // or "test": one entry per test
//    "default": {"weight": 1, "visibility": "visible"},
//    "rules": [{"match": "pipe.beyond.*", "weight": 0.5,
//               "visibility": "after_due_date"}],
//    "hide_errors": "",              // non-empty: shown instead of failures
//    "visibility": "visible"}        // the top-level visibility
#ifndef TOOLS_REPORT_GRADING_CONFIG_H_
#define TOOLS_REPORT_GRADING_CONFIG_H_

#include <string>
#include <vector>

namespace ipcproof::verify {

struct GradingRule {
  std::string match;  // fnmatch(3) pattern on the claim id
  double weight = 1;
  std::string visibility;  // visible, hidden, after_due_date, after_published
};

struct GradingConfig {
  bool per_test = false;  // "per": "test"
  double default_weight = 1;
  std::string default_visibility = "visible";
  std::vector<GradingRule> rules;  // the first match wins
  std::string hide_errors;
  std::string visibility = "visible";

  // The weight and visibility for a claim id: the first matching rule, else
  // the default (with `match` set to the id).
  GradingRule For(const std::string& claim_id) const;
};

// Throws std::runtime_error naming the file on a read or parse error, an
// unknown key, a negative weight or an unknown visibility.
GradingConfig LoadGradingConfig(const std::string& path);
GradingConfig ParseGradingConfig(const std::string& json_text,
                                 const std::string& name);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_GRADING_CONFIG_H_
