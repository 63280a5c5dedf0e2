#!/usr/bin/env bash
# Checks every conformance/<mechanism>/requirements file against the format
# of conformance/README.md: each line a kernel option (CONFIG_X=y|m|n), or
# "syscall NAME VERSION" with a name this architecture's kernel headers know,
# "feature NAME VERSION WHAT...", "sysctl PATH", "file /PATH", or
# "capability CAP_X required|optional WHAT..." with a capability the headers
# know. The kernel runner and the report read these files, so a typo here
# would blame the wrong thing on a kernel.
# Usage: check_requirements.sh UNISTD_H CAPABILITY_H FILE...
set -euo pipefail
unistd=$1
capability=$2
shift 2
status=0
version='^[0-9]+\.[0-9]+(\.[0-9]+)?$'
for file in "$@"; do
  n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ -z ${line// /} || $line == \#* ]] && continue
    read -r kind name detail rest <<<"$line"
    problem=""
    case $kind in
      CONFIG_*)
        [[ $line =~ ^CONFIG_[A-Z0-9_]+=(y|m|n)$ ]] || problem="not CONFIG_NAME=y|m|n"
        ;;
      syscall)
        grep -qE "^#define __NR_${name}[[:space:]]" "$unistd" ||
          problem="no system call '$name' in $(basename "$unistd")"
        [[ ${detail:-} =~ $version ]] || problem="version '${detail:-}' is not N.N[.N]"
        ;;
      feature)
        [[ -n ${name:-} && ${detail:-} =~ $version && -n ${rest:-} ]] ||
          problem="expected: feature NAME VERSION WHAT"
        ;;
      sysctl)
        [[ ${name:-} =~ ^[a-z0-9_/-]+$ && -z ${detail:-} ]] ||
          problem="expected: sysctl PATH (under /proc/sys)"
        ;;
      file)
        [[ ${name:-} == /* && -z ${detail:-} ]] || problem="expected: file /PATH"
        ;;
      capability)
        grep -qE "^#define ${name:-none}[[:space:]]" "$capability" ||
          problem="unknown capability '${name:-}'"
        [[ ${detail:-} =~ ^(required|optional)$ && -n ${rest:-} ]] ||
          problem="expected: capability CAP_X required|optional WHAT"
        ;;
      *) problem="unknown kind '$kind'" ;;
    esac
    if [[ -n $problem ]]; then
      echo "$file:$n: $problem: $line"
      status=1
    fi
  done <"$file"
done
((status == 0)) && echo "requirements: $# files well formed"
exit $status
