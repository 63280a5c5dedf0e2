// Claim tagging: a test names the claim ids of docs/claims.json it decides,
// and the figures it measured, and both land in the test's XML result as
// properties, so tools/ can join results to claims without reading source.
//
//   TEST(PipeTest, ReadOnEmptyPipeBlocks) {
//     CLAIM("pipe.blocks");
//     ...
//     RecordMeasurement("pipe.capacity_bytes", pipe.Capacity());
//   }
//
// Properties written (one <property> each in the XML; the names are
// conformance/runner/xml_properties.h's):
//   claims              space-separated claim ids, in declaration order
//   measured.<name>     one measured figure
//   unverified          why a skipped test could not decide its claims
#ifndef CONFORMANCE_KIT_CLAIMS_H_
#define CONFORMANCE_KIT_CLAIMS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "conformance/runner/xml_properties.h"
#include "gtest/gtest.h"

namespace ipcproof {

// Declares that the running test decides these claims. May be called more
// than once; ids accumulate. An id must look like "area.some-words".
void DeclareClaims(std::initializer_list<std::string_view> ids);

// The claims declared so far by the running test, space-separated.
std::string DeclaredClaims();

// "%.6g" of a floating-point figure.
std::string FormatMeasurement(double value);

// Records a measured figure as the property "measured.<name>".
void RecordMeasurement(std::string_view name, std::string_view value);
// Any integer or floating-point figure (size_t, ssize_t, double, ...).
template <typename Number>
requires std::is_arithmetic_v<Number>
void RecordMeasurement(std::string_view name, Number value) {
  if constexpr (std::is_integral_v<Number>) {
    RecordMeasurement(name, std::string_view(std::to_string(value)));
  } else {
    RecordMeasurement(
        name, std::string_view(FormatMeasurement(static_cast<double>(value))));
  }
}

// Records an arbitrary property; sent to the supervisor at once, so it
// survives even if the test later crashes or hangs.
void RecordTestProperty(std::string_view key, std::string_view value);

// The message a skip carries: the reason and the claims it leaves unverified.
std::string UnverifiedMessage(std::string_view reason);

}  // namespace ipcproof

#define CLAIM(...) ::ipcproof::DeclareClaims({__VA_ARGS__})

// Skips the running test, saying why and which of its declared claims stay
// unverified. A skip is reported as a skip, never as a pass. Use it only
// from the test body or SetUp (it returns from the current function).
#define SKIP_UNVERIFIED(reason)                                           \
  do {                                                                    \
    const std::string ipcproof_skip_message =                             \
        ::ipcproof::UnverifiedMessage(reason);                            \
    ::ipcproof::RecordTestProperty(::ipcproof::xml_property::kUnverified, \
                                   ipcproof_skip_message);                \
    GTEST_SKIP() << ipcproof_skip_message;                                \
  } while (0)

#endif  // CONFORMANCE_KIT_CLAIMS_H_
