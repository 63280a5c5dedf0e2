"""bpf_skeleton: compile a name.bpf.c and generate its libbpf skeleton header.

The object is built by clang for the BPF target against //bpf:vmlinux_h and
libbpf's helper headers (/usr/include/bpf, from libbpf-dev), then
`bpftool gen skeleton` turns it into name.skel.h, which embeds the object:
the loader that includes it needs no file at run time. Skeletons are build
outputs, never committed.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def bpf_skeleton(name, src, hdrs = []):
    """cc_library `name` with textual header `<stem>.skel.h`.

    Args:
      name: the library; its header is named after src without ".bpf.c".
      src: the kernel-side program, "stem.bpf.c".
      hdrs: headers src includes (the layouts it shares with the loader).
    """
    stem = src[:-len(".bpf.c")]
    obj = stem + ".bpf.o"
    skel = stem + ".skel.h"

    # -g: BTF for CO-RE; -O2: the verifier needs optimised code. Include paths:
    # the package (shared layouts), the generated vmlinux.h, /usr/include for
    # <bpf/bpf_helpers.h>. No system asm headers: vmlinux.h declares the types.
    native.genrule(
        name = name + "_object",
        srcs = [src, "//bpf:vmlinux_h"] + hdrs,
        outs = [obj],
        cmd = " ".join([
            "/usr/bin/clang -g -O2 -target bpf -D__TARGET_ARCH_x86",
            "-Wall -Werror",
            "-I $$(dirname $(location //bpf:vmlinux_h))",
            "-I $$(dirname $(location %s))" % src,
            "-I .",
            "-idirafter /usr/include",
            "-c $(location %s) -o $@.full" % src,
            # Strip DWARF (BTF stays): the skeleton embeds the object.
            "&& /usr/sbin/bpftool gen object $@ $@.full && rm $@.full",
        ]),
    )
    native.genrule(
        name = name + "_skeleton",
        srcs = [":" + obj],
        outs = [skel],
        cmd = "/usr/sbin/bpftool gen skeleton $(location :%s) name %s > $@" % (obj, stem),
    )
    cc_library(
        name = name,
        textual_hdrs = [":" + skel],
    )
