"""conformance_test: a GoogleTest binary run under the ipcproof supervisor."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def conformance_test(name, srcs, deps = [], tags = [], **kwargs):
    """A test binary whose main() is the per-test supervisor.

    Tagged "external" so Bazel never serves a cached result: a conformance
    result measured on another kernel (or yesterday's) says nothing about the
    running one.
    """
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [
            "//conformance/harness",
            "//conformance/harness:main",
        ],
        tags = tags + ["external"],
        **kwargs
    )
