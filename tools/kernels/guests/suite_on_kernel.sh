#!/usr/bin/env bash
# One guest test (//tools/kernels/guests:suite_on_linux_*_test): the whole
# conformance suite, run by verify inside a kernel booted under QEMU.
#
#   suite_on_kernel.sh --label linux-6.1 --status FILE --verify PATH
#       [--verify-arg=ARG]...
#
# --status is @ipcproof_kernels' status file for this kernel (S/status, with
# the image beside it in S/boot/vmlinuz-*): "available ..." or why the kernel
# cannot boot here (not fetched, no QEMU). Then, and when
# qemu-system-x86_64 is not on PATH, the test writes a JUnit file with one
# skipped test carrying the reason (as an `unverified` property, which
# .ci/run's counter asks of every skip) and passes: a skip, never a pass of
# the suite. Otherwise it runs
#   verify --kernel VMLINUZ --out $TEST_UNDECLARED_OUTPUTS_DIR/report
#          --formats md,json,junit
# and exits with verify's status (0: no claim deviates on that kernel; 1: a
# claim deviates, or the guest panicked, hung or said nothing; 2: verify could
# not run). verify's junit.xml becomes the test's XML, so Bazel and .ci/run
# count the guest's tests one by one.
set -uo pipefail

label='' status_file='' verify=''
verify_args=()
while (($#)); do
  case $1 in
    --label) label=$2; shift 2 ;;
    --status) status_file=$2; shift 2 ;;
    --verify) verify=$2; shift 2 ;;
    --verify-arg=*) verify_args+=("${1#--verify-arg=}"); shift ;;
    *) echo "suite_on_kernel.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
xml_out=${XML_OUTPUT_FILE:-}
outputs=${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}
target=${TEST_TARGET:-suite_on_$label}

# (With sed: in bash 5.2 a `&` in a ${var//pattern/replacement} means the
# match.) Control characters other than tab and newline become spaces.
xml_escape() {
  printf '%s' "$1" | tr '\000-\010\013\014\016-\037' ' ' |
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

# A JUnit file with one test case, "GuestRun.<label>": skipped (with its
# reason) or failed (with a message and details).
write_single_case() {
  local kind=$1 message=$2 details=${3:-}
  [[ -n $xml_out ]] || return 0
  local skipped=0 failures=0 body
  if [[ $kind == skipped ]]; then
    skipped=1
    body="      <properties>
        <property name=\"unverified\" value=\"$(xml_escape "$message")\"/>
      </properties>
      <skipped message=\"$(xml_escape "$message")\"/>"
  else
    failures=1
    body="      <failure message=\"$(xml_escape "$message")\" type=\"guest\">$(xml_escape "$details")</failure>"
  fi
  cat >"$xml_out" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ipcproof" tests="1" failures="$failures" errors="0" skipped="$skipped">
  <testsuite name="$(xml_escape "$target")" tests="1" failures="$failures" errors="0" skipped="$skipped">
    <testcase classname="GuestRun" name="$(xml_escape "$label")" time="0">
$body
    </testcase>
  </testsuite>
</testsuites>
EOF
}

# Adds a failed "GuestRun.<label>" suite to the XML verify wrote.
append_failed_case() {
  [[ -n $xml_out ]] || return 0
  local suite
  suite="  <testsuite name=\"$(xml_escape "$target")\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">
    <testcase classname=\"GuestRun\" name=\"$(xml_escape "$label")\" time=\"0\">
      <failure message=\"$(xml_escape "$1")\" type=\"guest\">$(xml_escape "$2")</failure>
    </testcase>
  </testsuite>"
  SUITE=$suite awk '/<\/testsuites>/ { print ENVIRON["SUITE"] } { print }' "$xml_out" \
    >"$xml_out.new" && mv "$xml_out.new" "$xml_out"
}

skip() {
  echo "SKIPPED: the suite on $label: $1"
  write_single_case skipped "$label: $1"
  exit 0
}

status=$(head -n 1 "$status_file" 2>/dev/null)
[[ -n $status ]] || skip "no status from @ipcproof_kernels ($status_file unreadable)"
[[ $status == available* ]] || skip "$status"
command -v qemu-system-x86_64 >/dev/null ||
  skip "qemu-system-x86_64 not on PATH ($PATH); Debian package qemu-system-x86"
images=("$(dirname "$status_file")"/boot/vmlinuz-*)
[[ ${#images[@]} == 1 && -f ${images[0]} ]] ||
  skip "no single kernel image beside $status_file (status: $status)"
vmlinuz=${images[0]}

# The busybox the guest gets (/bin/sh, cat, readlink) is this test's input
# (@ipcproof_kernels//:busybox, beside the kernels' directories), so a
# different busybox is a different cache key.
busybox="$(dirname "$status_file")/../bin/busybox"
[[ -x $busybox ]] || skip "no static busybox at $busybox (Debian package busybox-static)"
verify_args+=("--guest-busybox=$busybox")

mkdir -p "$outputs"
report=$outputs/report
command=("$verify" --no-host --kernel "$label=$vmlinuz" --out "$report" --formats md,json,junit
  "${verify_args[@]}")
echo "guest run $label: ${command[*]}"
start=$(date +%s.%N)
"${command[@]}" 2>&1 | tee "$outputs/verify.log"
rc=${PIPESTATUS[0]}
end=$(date +%s.%N)
wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
# .ci/run prints this line for each guest test.
echo "guest run $label: ${wall} s wall time, verify exit $rc"

if [[ -s $report/junit.xml ]]; then
  [[ -n $xml_out ]] && cp "$report/junit.xml" "$xml_out"
  if ((rc != 0)) && ! grep -q '<failure' "$report/junit.xml"; then
    # verify failed the run for something no test case shows (a guest that
    # panicked or hung after its last test, a kernel warning): add a case
    # that does, so counting the XML cannot make the run look clean.
    append_failed_case "verify exited $rc on $label" \
      "$(tail -n 40 "$outputs/verify.log")"
  fi
else
  write_single_case failed "verify exited $rc on $label and wrote no junit.xml" \
    "$(tail -n 40 "$outputs/verify.log")"
  ((rc == 0)) && rc=1
fi
exit "$rc"
