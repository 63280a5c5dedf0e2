#!/usr/bin/env bash
# Fetches Debian kernel packages into the kernel cache, unpacked, for the
# guest runs (`verify --kernel`, //tools/kernels/guests).
#
#   fetch_kernel.sh [--cache DIR] [--lock FILE] --locked
#       every kernel of the lock file (tools/kernels/kernels.lock), each
#       checked against the lock's sha256
#   fetch_kernel.sh [--cache DIR] [--lock FILE] SPEC...
#       SPEC is a lock shorthand (linux-6.1), PACKAGE=VERSION, or PACKAGE
#       (apt's candidate version). A PACKAGE=VERSION that the lock pins is
#       checked against the lock's sha256 too.
#   --offline: download nothing; a kernel not in the cache is an error.
#
# Prints, on stdout, the path of each kernel's tree, one per line, in the
# order asked; progress and errors go to stderr (nothing when every tree is
# cached). Exit status: 0, 1 when any kernel could not be fetched (the
# others are still fetched and printed), 2 for a usage error.
#
# The cache: ${IPCPROOF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipcproof/kernels},
# outside the clone. Each kernel is CACHE/PACKAGE_VERSION/: the package's
# files as `dpkg -x` lays them out (boot/vmlinuz-*, boot/config-*,
# lib/modules/RELEASE/), each compressed module (.ko.xz) replaced by its
# decompressed .ko (the guest loads modules with finit_module, and keeping
# both made depmod name a mix of the two), and lib/modules/RELEASE/modules.dep
# written by depmod (the package ships none: its postinst runs depmod). The
# file READY inside says the tree is complete: a tree is built in a staging
# directory and renamed into place with READY already in it, so a reader
# never sees a partial tree under the final name. Each kernel has its own
# flock (CACHE/.PACKAGE_VERSION.lock), so concurrent fetches are safe and a
# second fetch of the same kernel waits for the first and then reuses it. Why
# the last fetch of a kernel failed is kept in CACHE/.PACKAGE_VERSION.failed
# (the guest tests' skip reason quotes it).
set -euo pipefail

self=fetch_kernel.sh
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${IPCPROOF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipcproof/kernels}
lock_file=$script_dir/kernels.lock
# depmod lives in /usr/sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

say() { echo "$self: $*" >&2; }

# Why the current kernel's fetch failed: said now, and kept in
# CACHE/.PACKAGE_VERSION.failed for @ipcproof_kernels' status.
failure=''
fail() {
  say "$*"
  failure+="$*"$'\n'
  return 1
}

locked=0
offline=0
specs=()
while (($#)); do
  case $1 in
    --cache) (($# >= 2)) || usage; cache=$2; shift 2 ;;
    --cache=*) cache=${1#--cache=}; shift ;;
    --lock) (($# >= 2)) || usage; lock_file=$2; shift 2 ;;
    --lock=*) lock_file=${1#--lock=}; shift ;;
    --locked) locked=1; shift ;;
    --offline) offline=1; shift ;;
    -h|--help) usage ;;
    -*) say "unknown option $1"; usage ;;
    *) specs+=("$1"); shift ;;
  esac
done
if ((locked == 0 && ${#specs[@]} == 0)); then usage; fi

# The lock file's entries: "shorthand package version sha256" per line.
lock_entries=()
read_lock() {
  [[ -f $lock_file ]] || return 0
  local line shorthand package version sha extra
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%%#*}
    read -r shorthand package version sha extra <<<"$line" || true
    [[ -z ${shorthand:-} ]] && continue
    if [[ -z ${sha:-} || -n ${extra:-} || ! $sha =~ ^[0-9a-f]{64}$ ]]; then
      say "malformed line in $lock_file: $line"
      say "want: shorthand package version sha256"
      exit 2
    fi
    lock_entries+=("$shorthand $package $version $sha")
  done <"$lock_file"
}
read_lock

if ((locked)); then
  if ((${#lock_entries[@]} == 0)); then
    say "no kernels in $lock_file"
    exit 2
  fi
  for entry in "${lock_entries[@]}"; do
    read -r shorthand _ <<<"$entry"
    specs+=("$shorthand")
  done
fi

# The version apt would install for a package, or "" when apt knows none.
candidate_version() {
  { apt-cache show --no-all-versions "$1" 2>/dev/null || true; } |
    awk '/^Version: /{print $2; exit}'
}

# Replaces each compressed module by its .ko and (re)writes modules.dep, in a
# fresh tree or in one made before this script (compressed modules beside
# their .ko, a modules.dep naming some of each). Runs under the kernel's lock.
finish_modules() {
  local tree=$1 dir release count ko
  for dir in "$tree"/lib/modules/*/; do
    [[ -d $dir ]] || continue
    release=$(basename "$dir")
    count=0
    while IFS= read -r -d '' ko; do
      if [[ -f ${ko%.xz} ]]; then
        rm -f "$ko" || return 1
      else
        xz -d "$ko" || { fail "xz -d $ko failed"; return 1; }
      fi
      count=$((count + 1))
    done < <(find "$dir" -name '*.ko.xz' -print0)
    if ((count)); then say "$release: $count compressed modules replaced by their .ko"; fi
    if ((count)) || [[ ! -f $dir/modules.dep ]] ||
      grep -q '\.ko\.xz:' "$dir/modules.dep"; then
      if ! command -v depmod >/dev/null; then
        fail "depmod not found (Debian package kmod): cannot write ${dir}modules.dep"
        return 1
      fi
      depmod -b "$tree" "$release" || { fail "depmod -b $tree $release failed"; return 1; }
    fi
  done
  return 0
}

# Fetches one kernel; prints its tree on success. $3: the sha256 the .deb must
# have ("" = apt's own index check only).
fetch_one() {
  local package=$1 version=$2 want_sha=$3
  local name=${package}_${version}
  local tree=$cache/$name
  # READY with content: made by this script (an empty one predates it).
  if [[ -s $tree/READY ]]; then
    echo "$tree"
    return 0
  fi
  local lock=$cache/.$name.lock fd
  mkdir -p "$cache" 2>/dev/null && exec {fd}>"$lock" || {
    say "cannot create $lock (is $cache writable? --cache DIR or IPCPROOF_KERNEL_CACHE)"
    return 1
  }
  if ! flock -n "$fd"; then
    say "waiting for another fetch of $package $version ($lock)"
    flock "$fd"
  fi
  # Under the lock from here; it is released when fd closes (return below,
  # or this process's exit).
  if [[ -f $tree/READY ]]; then
    # Fetched meanwhile by another process, or made before this script:
    # finish its modules and record what it is.
    if finish_modules "$tree"; then
      if [[ ! -s $tree/READY ]]; then
        printf 'package %s\nversion %s\nsha256 %s\n' "$package" "$version" \
          "unchecked (the tree predates fetch_kernel.sh)" >"$tree/READY.new" &&
          mv "$tree/READY.new" "$tree/READY"
      fi
      exec {fd}>&-
      echo "$tree"
      return 0
    fi
    exec {fd}>&-
    return 1
  fi
  if ((offline)); then
    exec {fd}>&-
    say "$package $version is not in the cache $cache (--offline)"
    return 1
  fi
  rm -rf "$tree" "$cache/.staging.$name".*
  local staging
  staging=$(mktemp -d "$cache/.staging.$name.XXXXXX") || {
    say "cannot make a staging directory in $cache"
    exec {fd}>&-
    return 1
  }
  # apt-get download runs as _apt where it can: let it write here.
  chmod 0777 "$staging"
  mkdir -m 0777 "$staging/deb"
  failure=''
  if ! build_tree "$package" "$version" "$want_sha" "$staging" ||
    ! { mv "$staging/tree" "$tree" || fail "cannot move $staging/tree to $tree"; }; then
    rm -rf "$staging"
    printf '%s' "${failure:-unknown failure}" >"$cache/.$name.failed"
    exec {fd}>&-
    return 1
  fi
  rm -rf "$staging" "$cache/.$name.failed"
  exec {fd}>&-
  say "ready: $tree"
  echo "$tree"
}

# Downloads, checks, unpacks, finishes the modules and writes READY, into
# $4/tree. Called in an `if`, where set -e does not apply: every step checks.
build_tree() {
  local package=$1 version=$2 want_sha=$3 staging=$4
  say "downloading $package $version"
  if ! (cd "$staging/deb" && apt-get download "$package=$version") \
    >"$staging/apt.log" 2>&1; then
    sed 's/^/    /' "$staging/apt.log" >&2
    fail "apt-get download $package=$version failed: $(grep -v '^W: ' "$staging/apt.log" | tail -n 1)"
    say "is the Debian archive reachable, and does it still have $version?" \
      "(apt-get update; tools/kernels/update_lock.sh moves the lock to what the archive has)"
    return 1
  fi
  local debs=("$staging"/deb/*.deb)
  if ((${#debs[@]} != 1)) || [[ ! -f ${debs[0]} ]]; then
    fail "apt-get download $package=$version left no single .deb in $staging/deb"
    return 1
  fi
  local deb=${debs[0]} sha
  sha=$(sha256sum "$deb" | awk '{print $1}')
  if [[ -n $want_sha && $sha != "$want_sha" ]]; then
    fail "$package $version: the downloaded .deb has sha256 $sha," \
      "the lock ($lock_file) pins $want_sha; not unpacking it"
    return 1
  fi
  local got_package got_version
  got_package=$(dpkg-deb -f "$deb" Package) || return 1
  got_version=$(dpkg-deb -f "$deb" Version) || return 1
  if [[ $got_package != "$package" || $got_version != "$version" ]]; then
    fail "asked for $package $version, the .deb is $got_package $got_version"
    return 1
  fi
  say "unpacking $(basename "$deb")"
  dpkg -x "$deb" "$staging/tree" || { fail "dpkg -x $deb failed"; return 1; }
  rm -rf "$staging/deb"
  if [[ -z $(compgen -G "$staging/tree/boot/vmlinuz-*") ]]; then
    fail "$package $version has no boot/vmlinuz-*: not a kernel image package"
    return 1
  fi
  finish_modules "$staging/tree" || return 1
  printf 'package %s\nversion %s\nsha256 %s\n' "$package" "$version" "$sha" \
    >"$staging/tree/READY"
}

status=0
for spec in "${specs[@]}"; do
  package='' version='' want_sha=''
  for entry in "${lock_entries[@]}"; do
    read -r l_short l_package l_version l_sha <<<"$entry"
    if [[ $spec == "$l_short" || $spec == "$l_package=$l_version" ]]; then
      package=$l_package version=$l_version want_sha=$l_sha
      break
    fi
  done
  if [[ -z $package ]]; then
    if [[ $spec == linux-* && $spec != linux-image-* ]]; then
      say "$spec is not a shorthand of $lock_file"
      status=1
      continue
    fi
    package=${spec%%=*}
    if [[ $spec == *=* ]]; then
      version=${spec#*=}
    else
      version=$(candidate_version "$package")
      if [[ -z $version ]]; then
        say "apt knows no package $package (apt-cache show found nothing; apt-get update?)"
        status=1
        continue
      fi
    fi
  fi
  if ((!offline)) && ! command -v apt-get >/dev/null &&
    [[ ! -f $cache/${package}_$version/READY ]]; then
    say "apt-get not found: cannot fetch $package $version (Debian only)"
    status=1
    continue
  fi
  fetch_one "$package" "$version" "$want_sha" || status=1
done
exit $status
