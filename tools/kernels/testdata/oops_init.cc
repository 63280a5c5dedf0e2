// A broken /init: it puts an oops line into the kernel's log (/dev/kmsg, at
// KERN_ALERT) and then runs the real init, which finishes normally with its
// end record. A kernel that oopsed must fail the run all the same.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

int main(int, char** argv) {
  mknod("/dev/kmsg", S_IFCHR | 0600, makedev(1, 11));
  const int fd = open("/dev/kmsg", O_WRONLY);
  const char line[] =
      "<1>Oops: 0002 [#1] PREEMPT SMP NOPTI (written by the runner's "
      "oops_init test)\n";
  if (fd >= 0) write(fd, line, strlen(line));
  close(fd);
  unlink("/dev/kmsg");
  execv("/ipcproof/guest_init", argv);
  while (true) pause();
}
