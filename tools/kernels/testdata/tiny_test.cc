// A stand-in for a conformance binary inside a guest: it writes a gtest-like
// XML that names every argument it got (so the test sees the XML come back
// byte for byte and the arguments the runner added), and on request exits
// with a status or never ends.
//
//   tiny_test [--exit=N] [--hang] --gtest_output=xml:PATH
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::string xml_path;
  int status = 0;
  bool hang = false;
  std::string args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--gtest_output=xml:", 0) == 0) {
      xml_path = arg.substr(std::strlen("--gtest_output=xml:"));
    } else if (arg.rfind("--exit=", 0) == 0) {
      status = std::atoi(arg.c_str() + 7);
    } else if (arg == "--hang") {
      hang = true;
    }
    args += "    <property name=\"arg\" value=\"" + arg + "\"/>\n";
  }
  std::printf("tiny_test: %d arguments\n", argc - 1);
  std::fflush(stdout);
  if (hang) {
    while (true) pause();
  }
  if (!xml_path.empty()) {
    FILE* xml = std::fopen(xml_path.c_str(), "w");
    if (!xml) return 99;
    std::fprintf(xml,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<testsuites tests=\"1\" failures=\"0\" name=\"AllTests\">\n"
                 "  <properties>\n%s  </properties>\n"
                 "  <testsuite name=\"Tiny\" tests=\"1\">\n"
                 "    <testcase name=\"Runs\" status=\"run\"/>\n"
                 "  </testsuite>\n"
                 "</testsuites>\n",
                 args.c_str());
    std::fclose(xml);
  }
  return status;
}
