#include "conformance/runner/programs.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>

namespace ipcproof {
namespace {

constexpr char kProgramFlag[] = "--ipcproof_program=";

// Function-local so registration from static initialisers in any order
// finds it constructed.
std::map<std::string, ProgramMain>& Programs() {
  static auto* programs = new std::map<std::string, ProgramMain>;
  return *programs;
}

}  // namespace

bool RegisterProgram(const char* name, ProgramMain main) {
  Programs()[name] = main;
  return true;
}

int RunProgramIfAsked(int argc, char** argv) {
  if (argc < 2 ||
      std::strncmp(argv[1], kProgramFlag, sizeof kProgramFlag - 1) != 0) {
    return -1;
  }
  const char* name = argv[1] + sizeof kProgramFlag - 1;
  const auto it = Programs().find(name);
  if (it == Programs().end()) {
    // 127, as a shell says for a command it cannot find.
    static const char message[] = "ipcproof: no such program in this binary\n";
    (void)!::write(STDERR_FILENO, message, sizeof message - 1);
    return 127;
  }
  // The program sees itself as argv[0] and its own arguments after it.
  argv[1] = argv[0];
  return it->second(argc - 1, argv + 1);
}

void ExecProgram(const char* name, std::initializer_list<const char*> args) {
  constexpr size_t kMaxArgs = 30;
  if (args.size() > kMaxArgs) {
    errno = E2BIG;
    return;
  }
  // "--ipcproof_program=" + name, built without allocating.
  char flag[256];
  const size_t prefix = sizeof kProgramFlag - 1;
  const size_t length = std::strlen(name);
  if (prefix + length + 1 > sizeof flag) {
    errno = ENAMETOOLONG;
    return;
  }
  std::memcpy(flag, kProgramFlag, prefix);
  std::memcpy(flag + prefix, name, length + 1);
  const char* argv[kMaxArgs + 3] = {"/proc/self/exe", flag};
  size_t i = 2;
  for (const char* arg : args) argv[i++] = arg;
  argv[i] = nullptr;
  ::execv("/proc/self/exe", const_cast<char* const*>(argv));
}

}  // namespace ipcproof
