#include "tools/report/claim_evidence.h"

#include "fmt/format.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {

std::string AttemptOutcome(const Attempt& attempt) {
  switch (attempt.status) {
    case TestStatus::kPassed:
      return "passed";
    case TestStatus::kSkipped:
      return "skipped";
    case TestStatus::kFailed:
      break;
  }
  switch (attempt.failure_kind) {
    case FailureKind::kCrash:
      return "failed: crash (the test's process died)";
    case FailureKind::kTimeout:
      return "failed: timeout (the watchdog ended it)";
    case FailureKind::kAssertion:
      return "failed: assertion";
    case FailureKind::kNone:
      break;
  }
  return "failed";
}

std::string TestOutcome(const TestResult& test) {
  std::string outcome = AttemptOutcome(test.first);
  if (test.rerun)
    outcome += "; rerun on its own: " + AttemptOutcome(*test.rerun);
  return outcome;
}

TestStatus FinalStatus(const TestResult& test) {
  return test.rerun ? test.rerun->status : test.first.status;
}

std::string NoVerdictReason(const ClaimReport& claim) {
  std::string why = claim.explanation;
  switch (claim.verdict) {
    case Verdict::kUnverified:
      if (why.empty()) why = "every declaring test was skipped";
      break;
    case Verdict::kNotCheckable:
      if (why.empty()) why = claim.claim.not_checkable;
      if (why.empty()) why = "the registry says it cannot be checked here";
      break;
    case Verdict::kUntested:
      if (why.empty()) why = "no test declares this claim yet";
      break;
    default:
      return "";
  }
  return std::string(VerdictName(claim.verdict)) + ": " + why;
}

std::string EvidenceText(const Report& report, const ClaimReport& claim) {
  std::string text = fmt::format("Verdict: {}.", VerdictName(claim.verdict));
  if (!claim.explanation.empty()) {
    text += " " + AsSentence(CleanText(claim.explanation));
  }
  text += "\n";
  if (!claim.expected_deviation_reason.empty()) {
    text += "Known kernel difference (expected deviation): " +
            CleanText(claim.expected_deviation_reason) + "\n";
  }
  if (claim.claim.rule) {
    text += "Rule: " + CleanText(claim.claim.rule->text) + "\n";
    for (const Figure& figure : claim.figures) {
      text +=
          fmt::format("  {} = {} (recorded by {})\n", CleanText(figure.name),
                      CleanText(figure.value), CleanText(figure.test));
    }
    if (!claim.rule_outcome.empty()) {
      text += "Rule outcome: " + CleanText(claim.rule_outcome) + "\n";
    }
  }
  if (claim.verdict == Verdict::kNotCheckable &&
      !claim.claim.not_checkable.empty() &&
      claim.explanation.find(claim.claim.not_checkable) == std::string::npos) {
    text += "Why not checkable: " + CleanText(claim.claim.not_checkable) + "\n";
  }
  if (claim.tests.empty()) return text;
  text += "Deciding tests:\n";
  for (size_t index : claim.tests) {
    if (index >= report.tests.size()) continue;
    const TestResult& test = report.tests[index];
    text += fmt::format("- {} ({}): {}", CleanText(test.full_name),
                        CleanText(test.binary), TestOutcome(test));
    if (!test.declared_at.empty()) text += ", declared at " + test.declared_at;
    text += "\n";
    const auto add_messages = [&](const Attempt& attempt, const char* label) {
      for (const std::string& message : attempt.messages) {
        text += std::string("  ") + label + ":\n";
        const std::string trimmed = TrimMessage(message, 20, 2000);
        size_t start = 0;
        while (start <= trimmed.size()) {
          size_t end = trimmed.find('\n', start);
          if (end == std::string::npos) end = trimmed.size();
          text += "    " + trimmed.substr(start, end - start) + "\n";
          start = end + 1;
        }
      }
    };
    if (test.first.status != TestStatus::kPassed) {
      add_messages(test.first, test.first.status == TestStatus::kSkipped
                                   ? "skip"
                                   : "failure");
    }
    if (test.rerun && test.rerun->status != TestStatus::kPassed) {
      add_messages(*test.rerun, test.rerun->status == TestStatus::kSkipped
                                    ? "rerun skip"
                                    : "rerun failure");
    }
  }
  return text;
}

std::string AsSentence(std::string_view text) {
  std::string sentence(text);
  if (!sentence.empty() && sentence[0] >= 'a' && sentence[0] <= 'z') {
    sentence[0] = static_cast<char>(sentence[0] - 'a' + 'A');
  }
  return sentence;
}

std::string ClaimAnchor(const std::string& claim_id) {
  return "claim-" + claim_id;
}

std::string FormatSeconds(double seconds) {
  return fmt::format("{:.3f}", seconds);
}

}  // namespace ipcproof::verify
