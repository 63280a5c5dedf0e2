// Plays qemu-system-x86_64 for qemu_test: it takes QEMU's command line,
// finds the result file (-chardev file,id=results,path=P) and does what
// FAKE_QEMU_MODE says:
//   exit3       print to stderr, exit 3
//   hang        never end
//   write-hang  write "@ipcproof hello - 1\n1\n" to the results, never end
//   heartbeat   write a byte every 100 ms, 10 times, then exit 0
//   kvm-error   print "KVM internal error. Suberror: 1" and never end
//   grandchild  fork a child that never ends (its pid into FAKE_QEMU_PIDFILE),
//               then never end
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void Sleep(long milliseconds) {
  timespec delay{milliseconds / 1000, (milliseconds % 1000) * 1000000};
  nanosleep(&delay, nullptr);
}

[[noreturn]] void Forever() {
  while (true) pause();
}

}  // namespace

int main(int argc, char** argv) {
  std::string results;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string value = argv[i + 1];
    const std::string prefix = "file,id=results,path=";
    if (std::strcmp(argv[i], "-chardev") == 0 && value.rfind(prefix, 0) == 0) {
      results = value.substr(prefix.size());
    }
  }
  const char* mode_env = std::getenv("FAKE_QEMU_MODE");
  const std::string mode = mode_env ? mode_env : "";
  const int fd = open(results.c_str(), O_WRONLY | O_APPEND);
  if (mode == "exit3") {
    std::fprintf(stderr, "fake qemu: could not load kernel\n");
    return 3;
  }
  if (mode == "hang") Forever();
  if (mode == "write-hang") {
    const char record[] = "@ipcproof hello - 1\n1\n";
    write(fd, record, sizeof record - 1);
    Forever();
  }
  if (mode == "heartbeat") {
    for (int i = 0; i < 10; ++i) {
      write(fd, "x", 1);
      Sleep(100);
    }
    return 0;
  }
  if (mode == "kvm-error") {
    std::fprintf(stderr,
                 "KVM internal error. Suberror: 1\nemulation failure\n");
    std::fflush(stderr);
    Forever();
  }
  if (mode == "grandchild") {
    const pid_t child = fork();
    if (child == 0) Forever();
    FILE* pidfile = std::fopen(std::getenv("FAKE_QEMU_PIDFILE"), "w");
    std::fprintf(pidfile, "%d\n", child);
    std::fclose(pidfile);
    Forever();
  }
  std::fprintf(stderr, "fake qemu: unknown FAKE_QEMU_MODE '%s'\n",
               mode.c_str());
  return 64;
}
