// A broken /init: it exits. PID 1 exiting makes the kernel panic ("Attempted
// to kill init!"), which panic=-1 and QEMU's -no-reboot turn into QEMU
// exiting with status 0, as after a clean power-off: only the missing end
// record and the log tell the two apart.
int main() { return 3; }
