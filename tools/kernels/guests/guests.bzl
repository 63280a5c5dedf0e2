"""suite_on_kernel_test: the conformance suite inside one locked kernel."""

def suite_on_kernel_test(kernel, verify_args = []):
    """sh_test suite_on_<kernel with _ for . and ->_test.

    Args:
      kernel: a shorthand of tools/kernels/kernels.lock ("linux-6.1").
      verify_args: more options for verify (--accel=tcg, ...).
    """
    name = "suite_on_" + kernel.replace("-", "_").replace(".", "_") + "_test"
    repo = "@ipcproof_kernels//:" + kernel
    native.sh_test(
        name = name,
        srcs = ["suite_on_kernel.sh"],
        args = [
            "--label",
            kernel,
            "--status",
            # S/status sits beside S/boot/vmlinuz-*, where the script finds
            # the image (a $(rootpaths) of an empty filegroup fails analysis,
            # and the filegroup is empty when the kernel is not fetched).
            "$(rootpath %s_status)" % repo,
            "--verify",
            "$(rootpath //tools/verify)",
        ] + ["--verify-arg=" + arg for arg in verify_args],
        data = [
            repo,
            repo + "_status",
            repo + "_vmlinuz",
            "@ipcproof_kernels//:busybox",
            "//tools/verify",
        ],
        timeout = "long",
        tags = ["cpu:2"],
    )
