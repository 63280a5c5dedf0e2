// A broken /init: it waits forever and never writes a record, as a guest
// whose kernel hangs before userspace would look from outside.
#include <unistd.h>

int main() {
  while (true) pause();
}
