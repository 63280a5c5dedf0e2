#!/usr/bin/env bash
# Moves tools/kernels/kernels.lock to the newest Debian package of each
# shorthand's family: the one command that changes which kernels the guest
# tests boot. Prints the change as a diff (nothing changed: says so).
#
#   update_lock.sh [--lock FILE] [--check] [--no-apt-update]
#       --check          write nothing; exit 1 when the lock is not the newest
#       --no-apt-update  use apt's package lists as they are (default, as
#                        root: `apt-get update` first)
#
# A family is a package-name pattern (below); among every version apt knows
# of every package matching it, the newest by `dpkg --compare-versions` wins.
# Each new entry's .deb is downloaded and its sha256 written into the lock
# (and compared with the SHA256 of apt's signed index). Then commit the lock:
# the guest tests' cached results are keyed by the kernel image, so they rerun.
set -euo pipefail

self=update_lock.sh
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lock_file=$script_dir/kernels.lock

# shorthand -> extended regular expression over package names.
declare -A family=(
  [linux-6.1]='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
  [linux-6.12]='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$'
)
# The prefix handed to `apt-cache pkgnames` for each family.
declare -A prefix=(
  [linux-6.1]='linux-image-6.1.0-'
  [linux-6.12]='linux-image-6.12.'
)

check=0
apt_update=1
while (($#)); do
  case $1 in
    --lock) (($# >= 2)) || { echo "$self: --lock FILE" >&2; exit 2; }; lock_file=$2; shift 2 ;;
    --lock=*) lock_file=${1#--lock=}; shift ;;
    --check) check=1; shift ;;
    --no-apt-update) apt_update=0; shift ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$self: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -f $lock_file ]] || { echo "$self: no lock file $lock_file" >&2; exit 2; }

if ((apt_update && !check)) && [[ $EUID -eq 0 ]]; then
  echo "$self: apt-get update" >&2
  apt-get update -qq >&2
fi

# The newest "package version" of a family, or nothing.
newest() {
  local shorthand=$1 best_pkg='' best_ver='' pkg ver names=()
  while IFS= read -r pkg; do
    [[ $pkg =~ ${family[$shorthand]} ]] && names+=("$pkg")
  done < <(apt-cache pkgnames "${prefix[$shorthand]}" 2>/dev/null)
  ((${#names[@]})) || return 0
  # One madison call for every package: "package | version | source".
  while IFS='|' read -r pkg ver _; do
    pkg=$(echo $pkg) ver=$(echo $ver)
    [[ -n $ver ]] || continue
    if [[ -z $best_ver ]] || dpkg --compare-versions "$ver" gt "$best_ver"; then
      best_pkg=$pkg best_ver=$ver
    fi
  done < <(apt-cache madison "${names[@]}" 2>/dev/null)
  [[ -n $best_pkg ]] && echo "$best_pkg $best_ver"
}

# The sha256 of a package version's .deb, downloaded into a temporary
# directory, checked against apt's index.
deb_sha256() {
  local pkg=$1 ver=$2 dir deb sha index_sha
  dir=$(mktemp -d)
  chmod 0777 "$dir"
  if ! (cd "$dir" && apt-get download -qq "$pkg=$ver") >"$dir/apt.log" 2>&1; then
    echo "$self: apt-get download $pkg=$ver failed:" >&2
    sed 's/^/    /' "$dir/apt.log" >&2
    rm -rf "$dir"
    return 1
  fi
  deb=$(echo "$dir"/*.deb)
  sha=$(sha256sum "$deb" | awk '{print $1}')
  rm -rf "$dir"
  index_sha=$(apt-cache show "$pkg=$ver" 2>/dev/null | awk '/^SHA256: /{print $2; exit}')
  if [[ -n $index_sha && $index_sha != "$sha" ]]; then
    echo "$self: $pkg $ver: downloaded sha256 $sha, apt's index says $index_sha" >&2
    return 1
  fi
  echo "$sha"
}

new_lock=$(mktemp)
trap 'rm -f "$new_lock"' EXIT
stale=0
while IFS= read -r line || [[ -n $line ]]; do
  read -r shorthand package version sha _ <<<"${line%%#*}" || true
  if [[ -z ${shorthand:-} ]]; then
    printf '%s\n' "$line" >>"$new_lock"
    continue
  fi
  if [[ -z ${family[$shorthand]:-} ]]; then
    echo "$self: no family for shorthand $shorthand: kept as it is" >&2
    printf '%s\n' "$line" >>"$new_lock"
    continue
  fi
  found=$(newest "$shorthand") || true
  if [[ -z $found ]]; then
    echo "$self: apt knows no package of $shorthand's family (${family[$shorthand]}): kept" >&2
    printf '%s\n' "$line" >>"$new_lock"
    continue
  fi
  read -r new_package new_version <<<"$found"
  if [[ $new_package == "$package" && $new_version == "$version" ]]; then
    printf '%s\n' "$line" >>"$new_lock"
    continue
  fi
  stale=1
  if ((check)); then
    echo "$self: $shorthand: locked $package $version, newest $new_package $new_version" >&2
    printf '%s\n' "$line" >>"$new_lock"
    continue
  fi
  echo "$self: $shorthand: downloading $new_package $new_version for its sha256" >&2
  new_sha=$(deb_sha256 "$new_package" "$new_version")
  printf '%-12s %-48s %-21s %s\n' "$shorthand" "$new_package" "$new_version" "$new_sha" |
    sed 's/ *$//' >>"$new_lock"
done <"$lock_file"

if ((check)); then
  ((stale)) && exit 1
  echo "$self: $lock_file is the newest of each family" >&2
  exit 0
fi
if ((!stale)); then
  echo "$self: $lock_file is already the newest of each family" >&2
  exit 0
fi
diff -u "$lock_file" "$new_lock" || true
cp "$new_lock" "$lock_file"
echo "$self: rewrote $lock_file; fetch with tools/kernels/fetch_kernel.sh --locked" >&2
