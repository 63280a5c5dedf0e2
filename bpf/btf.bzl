"""host_btf: the running kernel's BTF as a declared input of the build.

The eBPF probes are compiled against a vmlinux.h generated from a BTF file.
Reading /sys/kernel/btf/vmlinux from a genrule would be an undeclared input:
the disk cache would then serve a header made from another machine's kernel.
This repository rule copies the file into @host_btf once, so the genrule that
makes vmlinux.h names it and its digest keys every action built from it.
CO-RE (libbpf's relocations against the BTF of the kernel the probe loads
into) makes one header serve every kernel; the copy only fixes which types the
header declares. `tools/bazel sync --configure` refreshes it after a kernel
upgrade (nothing is wrong until then: the header still describes the types).
"""

def _host_btf_impl(repository_ctx):
    source = repository_ctx.attr.path
    if repository_ctx.path(source).exists:
        # A copy, not a symlink: sysfs reports a size of 0 to stat-based
        # digesting on some kernels, and the file must not change under Bazel.
        result = repository_ctx.execute(["cp", source, "vmlinux.btf"])
        if result.return_code != 0:
            fail("host_btf: cannot copy %s: %s" % (source, result.stderr))
        status = "BTF from %s" % source
    else:
        # No BTF here: the probes cannot be built. An empty file makes the
        # genrule fail with a message that says so, not a missing label.
        repository_ctx.file("vmlinux.btf", "")
        status = "%s does not exist: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" % source
    repository_ctx.file("status.txt", status + "\n")
    repository_ctx.file("BUILD", """exports_files(["vmlinux.btf", "status.txt"])
""")

host_btf = repository_rule(
    implementation = _host_btf_impl,
    attrs = {"path": attr.string(default = "/sys/kernel/btf/vmlinux")},
    configure = True,
    local = True,
)
