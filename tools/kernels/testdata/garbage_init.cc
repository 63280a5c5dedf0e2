// A broken /init: it writes bytes that are not a record to the result
// port (/dev/ttyS1), then powers off: a malformed result stream.
#include <fcntl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

int main() {
  mknod("/dev/ttyS1", S_IFCHR | 0600, makedev(4, 65));
  const int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
  termios settings{};
  tcgetattr(fd, &settings);
  cfmakeraw(&settings);
  tcsetattr(fd, TCSANOW, &settings);
  const char garbage[] = "this is not a record\n";
  write(fd, garbage, sizeof garbage - 1);
  tcdrain(fd);
  reboot(RB_POWER_OFF);
  while (true) pause();
}
