// A broken /init: it powers the machine off at once, without a record and
// without a panic: QEMU exits 0 as after a good run.
#include <sys/reboot.h>
#include <unistd.h>

int main() {
  reboot(RB_POWER_OFF);
  while (true) pause();  // PID 1 must not exit (that would be a panic)
}
