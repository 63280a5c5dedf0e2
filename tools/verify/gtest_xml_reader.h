// Reads the gtest XML a conformance binary writes (conformance/runner/
// xml_writer.cc) into verify's TestResults: one per <testcase>, with its
// outcome, messages and the properties of conformance/runner/xml_properties.h
// (claims, measured.<name>, unverified, failure_kind).
#ifndef TOOLS_VERIFY_GTEST_XML_READER_H_
#define TOOLS_VERIFY_GTEST_XML_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "tools/verify/model.h"

namespace ipcproof::verify {

// Parses one document. `name` (the file) starts every error message;
// `binary` is copied into each result. Fills binary, suite, name, full_name,
// first, claims, measured, unverified, properties; leaves rerun and
// declared_at empty. Throws InfrastructureError ("<name>: <problem>") on text
// that is not well-formed XML (pugixml's reason and the byte offset: a
// truncated file ends with an unclosed element), on a document that is not
// <testsuites>/<testsuite>/<testcase>, a testcase without name or classname,
// or an unknown failure_kind.
std::vector<TestResult> ParseGtestXml(std::string_view text,
                                      const std::string& name,
                                      const std::string& binary);

// The same from a file; a missing or unreadable file is an
// InfrastructureError naming it ("no XML was written").
std::vector<TestResult> ReadGtestXml(const std::string& path,
                                     const std::string& binary);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_GTEST_XML_READER_H_
