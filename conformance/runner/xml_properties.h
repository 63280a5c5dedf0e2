// The names of the properties a conformance test writes into its testcase
// element of the merged XML: the one place the test side (the kit's CLAIM,
// RecordMeasurement and SKIP_UNVERIFIED, conformance/kit/claims.h) and the
// readers of the XML (.ci/run, tools/verify) take them from.
// The runner itself only carries properties through; it reads none.
//
//   <property name="claims" value="pipe.blocks pipe.capacity"/>
//   <property name="measured.capacity_bytes" value="65536"/>
//   <property name="unverified" value="why the skip (leaves unverified: ...)"/>
//   <property name="failure_kind" value="timeout"/>
// and one attribute of the root element, for the whole run:
//   <testsuites ... time_scale="10">
#ifndef CONFORMANCE_RUNNER_XML_PROPERTIES_H_
#define CONFORMANCE_RUNNER_XML_PROPERTIES_H_

namespace ipcproof::xml_property {

// Space-separated claim ids (docs/claims.json) the test decides, in the order
// it declared them.
inline constexpr char kClaims[] = "claims";

// Prefix of one measured figure: "measured.<name>", the value a number the
// kernel produced.
inline constexpr char kMeasuredPrefix[] = "measured.";

// On a skipped test: what was found that kept it from deciding its claims,
// and which claims it leaves unverified. Never empty on a skip.
inline constexpr char kUnverified[] = "unverified";

// On a failed test, written by the runner: why it failed, so a reader of the
// XML tells a kernel that answers wrongly from one that crashes or hangs the
// test. The most severe applies: "timeout" (the watchdog ended it), "crash"
// (its process died, or exited badly, before or after the test ended),
// "assertion" (the test's own failures, or what it left behind).
inline constexpr char kFailureKind[] = "failure_kind";
inline constexpr char kFailureTimeout[] = "timeout";
inline constexpr char kFailureCrash[] = "crash";
inline constexpr char kFailureAssertion[] = "assertion";

// An attribute of <testsuites> (where gtest writes a property recorded
// outside any test), written by the runner: the run's time scale
// (--ipcproof_time_scale, 1 when not given). Every watchdog budget and every
// kit deadline for "should happen soon" was that many times its value on a
// fast machine; a figure measured under it (a rate, a latency) was not
// scaled.
inline constexpr char kTimeScale[] = "time_scale";

}  // namespace ipcproof::xml_property

#endif  // CONFORMANCE_RUNNER_XML_PROPERTIES_H_
