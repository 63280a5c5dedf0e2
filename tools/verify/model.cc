#include "tools/verify/model.h"

#include <algorithm>

namespace ipcproof::verify {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kConfirmed:
      return "confirmed";
    case Verdict::kRefined:
      return "refined";
    case Verdict::kRefuted:
      return "refuted";
    case Verdict::kDeviates:
      return "kernel deviates";
    case Verdict::kExpectedDeviation:
      return "expected deviation";
    case Verdict::kFlaky:
      return "flaky";
    case Verdict::kUnverified:
      return "unverified";
    case Verdict::kNotCheckable:
      return "not checkable";
    case Verdict::kUntested:
      return "untested";
  }
  return "?";
}

std::string_view VerdictKey(Verdict verdict) {
  switch (verdict) {
    case Verdict::kConfirmed:
      return "confirmed";
    case Verdict::kRefined:
      return "refined";
    case Verdict::kRefuted:
      return "refuted";
    case Verdict::kDeviates:
      return "deviates";
    case Verdict::kExpectedDeviation:
      return "expected-deviation";
    case Verdict::kFlaky:
      return "flaky";
    case Verdict::kUnverified:
      return "unverified";
    case Verdict::kNotCheckable:
      return "not-checkable";
    case Verdict::kUntested:
      return "untested";
  }
  return "?";
}

const std::vector<Verdict>& AllVerdicts() {
  static const std::vector<Verdict> kAll = {
      Verdict::kConfirmed,  Verdict::kRefined,           Verdict::kRefuted,
      Verdict::kDeviates,   Verdict::kExpectedDeviation, Verdict::kFlaky,
      Verdict::kUnverified, Verdict::kNotCheckable,      Verdict::kUntested,
  };
  return kAll;
}

bool IsEarned(Verdict verdict) {
  return verdict == Verdict::kConfirmed || verdict == Verdict::kRefined ||
         verdict == Verdict::kRefuted;
}

std::string_view TestStatusName(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed:
      return "passed";
    case TestStatus::kFailed:
      return "failed";
    case TestStatus::kSkipped:
      return "skipped";
  }
  return "?";
}

std::string_view FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone:
      return "";
    case FailureKind::kAssertion:
      return "assertion";
    case FailureKind::kCrash:
      return "crash";
    case FailureKind::kTimeout:
      return "timeout";
  }
  return "?";
}

int Report::Count(Verdict verdict) const {
  return static_cast<int>(std::count_if(claims.begin(), claims.end(),
                                        [verdict](const ClaimReport& claim) {
                                          return claim.verdict == verdict;
                                        }));
}

bool Report::AnyDeviation() const { return Count(Verdict::kDeviates) > 0; }

}  // namespace ipcproof::verify
