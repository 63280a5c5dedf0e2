#include "tools/verify/claim_selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "tools/verify/verify_error.h"

namespace ipcproof::verify {

std::vector<std::string> SelectClaims(const claims::Registry& registry,
                                      const std::vector<std::string>& patterns,
                                      const std::vector<std::string>& areas) {
  std::set<std::string> chosen;
  for (const std::string& pattern : patterns) {
    bool matched = false;
    for (const claims::Claim& claim : registry.claims) {
      if (::fnmatch(pattern.c_str(), claim.id.c_str(), 0) == 0) {
        chosen.insert(claim.id);
        matched = true;
      }
    }
    if (!matched) {
      throw UsageError("--claims: no claim of the registry matches \"" +
                       pattern + "\"");
    }
  }
  for (const std::string& area : areas) {
    if (std::none_of(registry.areas.begin(), registry.areas.end(),
                     [&](const claims::Area& a) { return a.id == area; })) {
      std::string known;
      for (const claims::Area& a : registry.areas) {
        known += (known.empty() ? "" : ", ") + a.id;
      }
      throw UsageError("--areas: no area \"" + area + "\" (the registry has " +
                       known + ")");
    }
    for (const claims::Claim& claim : registry.claims) {
      if (claim.area == area) chosen.insert(claim.id);
    }
  }
  std::vector<std::string> ids;
  for (const claims::Claim& claim : registry.claims) {
    if (chosen.count(claim.id) != 0) ids.push_back(claim.id);
  }
  return ids;
}

std::string GtestFilterForClaims(const claims::ClaimIndex& index,
                                 const std::vector<std::string>& claim_ids) {
  std::string filter;
  std::set<std::string> seen;
  for (const std::string& id : claim_ids) {
    for (const claims::Declaration* declaration : index.For(id)) {
      const std::string part = claims::GtestFilterFor(*declaration);
      if (!seen.insert(part).second) continue;
      if (!filter.empty()) filter += ':';
      filter += part;
    }
  }
  return filter;
}

}  // namespace ipcproof::verify
