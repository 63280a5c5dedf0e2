"""conformance_test: a GoogleTest binary run under the ipcproof supervisor."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def conformance_test(name, srcs, deps = [], tags = [], **kwargs):
    """A test binary whose main() is the per-test supervisor.

    Tagged "external" so Bazel never serves a cached result: a conformance
    result measured on another kernel (or yesterday's) says nothing about the
    running one. Linked fully statically (glibc too, not only the project's
    libraries), so the binary can be copied and run on its own, on the host
    or as the init of another kernel's minimal guest.
    """
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [
            "//conformance/kit",
            "//conformance/runner:main",
        ],
        tags = tags + ["external"],
        features = ["fully_static_link"],
        linkstatic = True,
        **kwargs
    )
