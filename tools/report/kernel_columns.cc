#include "tools/report/kernel_columns.h"

#include <map>
#include <set>

#include "fmt/format.h"

namespace ipcproof::verify {

std::vector<std::string> KernelLabels(const std::vector<Report>& reports) {
  std::vector<std::string> labels;
  std::set<std::string> used;
  for (const Report& report : reports) {
    const std::string label =
        report.run.kernel.label.empty() ? "host" : report.run.kernel.label;
    std::string unique = label;
    for (int n = 2; used.contains(unique); ++n) {
      unique = fmt::format("{}#{}", label, n);
    }
    used.insert(unique);
    labels.push_back(unique);
  }
  return labels;
}

std::string_view DifferenceKey(Difference difference) {
  switch (difference) {
    case Difference::kSame:
      return "same";
    case Difference::kAnswers:
      return "answers";
    case Difference::kCoverage:
      return "coverage";
  }
  return "same";
}

bool IsAnswer(Verdict verdict) {
  return verdict != Verdict::kUnverified && verdict != Verdict::kNotCheckable &&
         verdict != Verdict::kUntested;
}

std::vector<ClaimAcrossKernels> ClaimsAcrossKernels(
    const std::vector<Report>& reports) {
  std::vector<ClaimAcrossKernels> rows;
  std::map<std::string, size_t> row_of;
  for (size_t k = 0; k < reports.size(); ++k) {
    for (const ClaimReport& claim : reports[k].claims) {
      auto [it, added] = row_of.try_emplace(claim.claim.id, rows.size());
      if (added) {
        ClaimAcrossKernels row;
        row.id = claim.claim.id;
        row.claim = &claim;
        row.on.assign(reports.size(), nullptr);
        rows.push_back(std::move(row));
      }
      // A claim listed twice in one run keeps its first entry.
      if (rows[it->second].on[k] == nullptr) rows[it->second].on[k] = &claim;
    }
  }
  for (ClaimAcrossKernels& row : rows) {
    std::set<Verdict> verdicts;
    std::set<Verdict> answers;
    bool missing = false;
    for (const ClaimReport* claim : row.on) {
      if (claim == nullptr) {
        missing = true;
        continue;
      }
      verdicts.insert(claim->verdict);
      if (IsAnswer(claim->verdict)) answers.insert(claim->verdict);
    }
    if (answers.size() > 1) {
      row.difference = Difference::kAnswers;
    } else if (verdicts.size() > 1 || missing) {
      row.difference = Difference::kCoverage;
    }
  }
  return rows;
}

std::string AcceleratorWords(const KernelInfo& kernel) {
  if (!kernel.guest) return "none: the suite ran on the host itself";
  std::string words =
      kernel.accelerator.empty() ? "unknown" : kernel.accelerator;
  if (!kernel.accelerator_note.empty()) {
    words += " (not KVM: " + kernel.accelerator_note + ")";
  }
  return words;
}

std::string GuestFailureSentence(const std::string& label,
                                 const KernelInfo& kernel) {
  if (kernel.failure.empty()) return "";
  return fmt::format(
      "The guest kernel {} failed ({}): the run fails whatever its verdicts "
      "say, and they cover only what ran before the failure.",
      label, kernel.failure);
}

std::string KernelTitle(const std::string& label, const Report& report) {
  if (report.run.kernel_release.empty()) {
    return label + " (release unknown: the guest never said)";
  }
  return label + " (Linux " + report.run.kernel_release + ")";
}

std::vector<KernelFact> GuestFacts(const Report& report) {
  const KernelInfo& kernel = report.run.kernel;
  if (!kernel.guest) return {};
  return {
      {"booted as", kernel.label},
      {"package", kernel.package.empty() ? "— (a kernel image, no package)"
                                         : kernel.package},
      {"image", kernel.image_path.empty() ? "—" : kernel.image_path},
      {"accelerator", AcceleratorWords(kernel)},
      {"time scale",
       fmt::format("{} (deadlines ×{})", kernel.time_scale, kernel.time_scale)},
      {"boot time", fmt::format("{:.1f} s", kernel.boot_seconds)},
      {"kernel config",
       kernel.config_source.empty() ? "—" : kernel.config_source},
  };
}

std::vector<KernelFact> KernelFacts(const Report& report) {
  const RunInfo& run = report.run;
  const KernelInfo& kernel = run.kernel;
  const KernelHealth& health = report.health;
  std::vector<KernelFact> facts;
  facts.push_back({"kernel", run.kernel_release.empty()
                                 ? std::string("unknown")
                                 : "Linux " + run.kernel_release + " (" +
                                       run.machine + ")"});
  facts.push_back({"kernel version", run.kernel_version});
  if (kernel.guest) {
    for (KernelFact& fact : GuestFacts(report)) {
      if (fact.name != "booted as") facts.push_back(std::move(fact));
    }
  } else {
    facts.push_back({"package", "— (the running kernel)"});
    facts.push_back({"image", "—"});
    facts.push_back({"accelerator", AcceleratorWords(kernel)});
    facts.push_back({"time scale", fmt::format("{}", kernel.time_scale)});
    facts.push_back({"boot time", "—"});
    facts.push_back({"kernel config", kernel.config_source.empty()
                                          ? "—"
                                          : kernel.config_source});
  }
  facts.push_back({"wall time", fmt::format("{:.1f} s", run.wall_seconds)});
  facts.push_back({"binaries run", std::to_string(run.binaries.size())});
  if (kernel.missing_requirements.empty()) {
    facts.push_back({"missing requirements", "none"});
  } else {
    facts.push_back(
        {"missing requirements",
         fmt::format("{} (listed below)", kernel.missing_requirements.size()),
         true});
  }
  if (!kernel.guest) {
    facts.push_back({"guest", "— (the host)"});
  } else if (kernel.failure.empty()) {
    facts.push_back({"guest", "ran the suite to its end"});
  } else {
    facts.push_back({"guest", "FAILED: " + kernel.failure, true});
  }
  facts.push_back(
      {"taint",
       health.tainted_before + " before, " + health.tainted_after + " after" +
           (health.TaintChanged() ? std::string(": tainted during the run")
                                  : std::string(" (unchanged)")),
       health.TaintChanged()});
  if (!health.log_unreadable.empty()) {
    facts.push_back({"kernel log", "not read: " + health.log_unreadable});
  } else if (health.warnings.empty()) {
    facts.push_back({"kernel log", "no WARNING, BUG or Oops"});
  } else {
    facts.push_back({"kernel log",
                     fmt::format("{} line(s) with WARNING, BUG or Oops (below)",
                                 health.warnings.size()),
                     true});
  }
  return facts;
}

DifferenceCounts CountDifferences(const std::vector<ClaimAcrossKernels>& rows) {
  DifferenceCounts counts;
  for (const ClaimAcrossKernels& row : rows) {
    counts.answers += row.difference == Difference::kAnswers;
    counts.coverage += row.difference == Difference::kCoverage;
  }
  return counts;
}

}  // namespace ipcproof::verify
