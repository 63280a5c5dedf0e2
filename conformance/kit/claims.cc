#include "conformance/kit/claims.h"

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "conformance/runner/wire.h"
#include "conformance/runner/xml_properties.h"

namespace ipcproof {
namespace {

// Declared claims of the running test. One process runs one test under the
// supervisor; in-process runs reset the list when the test changes.
struct ClaimList {
  std::string test;  // full name of the test the ids belong to
  std::vector<std::string> ids;
};

ClaimList& Claims() {
  static ClaimList list;
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string current =
      info ? std::string(info->test_suite_name()) + "." + info->name() : "";
  if (list.test != current) list = {current, {}};
  return list;
}

// "area.words-with-dashes[.more]": lower case, digits, '-' and '.'.
bool WellFormedClaimId(std::string_view id) {
  if (id.empty() || id.find('.') == std::string_view::npos) return false;
  if (id.front() == '.' || id.back() == '.') return false;
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

void RecordTestProperty(std::string_view key, std::string_view value) {
  ::testing::Test::RecordProperty(std::string(key), std::string(value));
  internal::SendRecord(
      {internal::kPropertyRecord, std::string(key), std::string(value)});
}

void DeclareClaims(std::initializer_list<std::string_view> ids) {
  ClaimList& list = Claims();
  for (std::string_view id : ids) {
    // A typo in an id would silently detach the test from its claim.
    EXPECT_TRUE(WellFormedClaimId(id)) << "malformed claim id '" << id << "'";
    list.ids.emplace_back(id);
  }
  RecordTestProperty(xml_property::kClaims, DeclaredClaims());
}

std::string DeclaredClaims() {
  std::string joined;
  for (const std::string& id : Claims().ids) {
    if (!joined.empty()) joined += ' ';
    joined += id;
  }
  return joined;
}

void RecordMeasurement(std::string_view name, std::string_view value) {
  RecordTestProperty(xml_property::kMeasuredPrefix + std::string(name), value);
}

std::string FormatMeasurement(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string UnverifiedMessage(std::string_view reason) {
  std::string message(reason);
  const std::string claims = DeclaredClaims();
  message += claims.empty() ? " (no claim declared before the skip)"
                            : " (leaves unverified: " + claims + ")";
  return message;
}

}  // namespace ipcproof
