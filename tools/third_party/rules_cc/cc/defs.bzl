"""Offline stand-in for @rules_cc//cc:defs.bzl: thin wrappers over Bazel's native C++ rules.

Debian's bazel-rules-cc 0.0.4 fails under Bazel 4.2.3, and nothing may be fetched. Keeping
`load("@rules_cc//cc:defs.bzl", ...)` in BUILD files lets a real rules_cc replace this later
without touching them. CcInfo is deliberately not re-exported (it is a global in .bzl files).
"""

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

# Loaded by @bazel_tools itself (tools/cpp/BUILD, the autoconfigured @local_config_cc, and
# a few other BUILD files), so they must exist here too.

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def objc_library(**kwargs):
    native.objc_library(**kwargs)
