// The names of the properties a conformance test writes into its testcase
// element of the merged XML: the one place the test side (the kit's CLAIM,
// RecordMeasurement and SKIP_UNVERIFIED, conformance/kit/claims.h) and the
// readers of the XML (.ci/run, and the report tool to come) take them from.
// The runner itself only carries properties through; it reads none.
//
//   <property name="claims" value="pipe.blocks pipe.capacity"/>
//   <property name="measured.capacity_bytes" value="65536"/>
//   <property name="unverified" value="why the skip (leaves unverified: ...)"/>
#ifndef CONFORMANCE_RUNNER_XML_PROPERTIES_H_
#define CONFORMANCE_RUNNER_XML_PROPERTIES_H_

namespace ipcproof::xml_property {

// Space-separated claim ids (docs/claims.tsv) the test decides, in the order
// it declared them.
inline constexpr char kClaims[] = "claims";

// Prefix of one measured figure: "measured.<name>", the value a number the
// kernel produced.
inline constexpr char kMeasuredPrefix[] = "measured.";

// On a skipped test: what was found that kept it from deciding its claims,
// and which claims it leaves unverified. Never empty on a skip.
inline constexpr char kUnverified[] = "unverified";

}  // namespace ipcproof::xml_property

#endif  // CONFORMANCE_RUNNER_XML_PROPERTIES_H_
