# Shared by the scripts in scripts/vm/ (sourced, not run). Paths, logging and the private apt
# configuration through which every kernel and package version is resolved.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJ=$(cd "$VM_DIR/../.." && pwd)
CACHE=${NODECTL_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nodectl-vm}
MIRROR=${NODECTL_VM_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${NODECTL_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bullseye's 5.10, bookworm's 6.1, trixie's 6.12 (bookworm-backports has it) and the newest
# series Debian ships (sid), found from the lists at run time.
DEFAULT_KERNELS=(5.10 6.1 6.12 newest)

vm_log() { echo "vm: $*" >&2; }
vm_die() { echo "vm: error: $*" >&2; exit "${VM_DIE_CODE:-2}"; }

# Seconds since the epoch with a fraction, and the time since a start mark, for phase timings.
vm_now() { date +%s.%N; }
vm_since() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN { printf "%.1fs", b - a }'; }

# A private apt: own sources, own lists and own download cache under $CACHE/apt. The host's apt
# configuration and state are never touched, nothing is installed on the host, and once the
# lists exist, resolving versions is offline. The guest's user space is Debian 12 (bookworm,
# -updates, -security, -backports); bullseye (-security) and sid are there only for their
# kernels, pinned below bookworm so that no user-space candidate ever comes from them.
APT_DIR=$CACHE/apt
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
  -o "Dir::Etc::SourceParts=$APT_DIR/empty"
  -o "Dir::Etc::Preferences=$APT_DIR/preferences"
  -o "Dir::Etc::PreferencesParts=$APT_DIR/empty"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::State::status=$APT_DIR/empty/status"
  -o "Dir::Cache=$APT_DIR/cache"
  # Named explicitly: container images often disable the binary caches, and without them
  # every apt-cache call parses all the lists again.
  -o "Dir::Cache::pkgcache=$APT_DIR/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$APT_DIR/cache/srcpkgcache.bin"
  -o "APT::Architecture=amd64"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
  -q
)
vm_apt() { apt-get "${APT_OPTS[@]}" "$@"; }
vm_apt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# Fetch the package lists when there are none yet, or when asked to ($1 = refresh).
vm_apt_lists() {
  mkdir -p "$APT_DIR/empty" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  # Neither file is rewritten when unchanged: apt discards its binary cache when they are newer.
  [ -f "$APT_DIR/empty/status" ] || : > "$APT_DIR/empty/status"
  local key=/usr/share/keyrings/debian-archive-keyring.gpg sources prefs changed=''
  sources="deb [signed-by=$key] $MIRROR bookworm main
deb [signed-by=$key] $MIRROR bookworm-updates main
deb [signed-by=$key] $SECURITY_MIRROR bookworm-security main
deb [signed-by=$key] $MIRROR bookworm-backports main
deb [signed-by=$key] $MIRROR bullseye main
deb [signed-by=$key] $SECURITY_MIRROR bullseye-security main
deb [signed-by=$key] $MIRROR sid main"
  # 100: below bookworm's 500 (so bookworm stays every user-space package's candidate) and
  # above 0 (so a kernel only bullseye or sid has is still a candidate).
  prefs="Package: *
Pin: release n=bullseye
Pin-Priority: 100

Package: *
Pin: release n=bullseye-security
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 100"
  [ "$(cat "$APT_DIR/sources.list" 2>/dev/null)" = "$sources" ] || { echo "$sources" > "$APT_DIR/sources.list"; changed=1; }
  [ "$(cat "$APT_DIR/preferences" 2>/dev/null)" = "$prefs" ] || echo "$prefs" > "$APT_DIR/preferences"
  if [ "${1:-}" = refresh ] || [ -n "$changed" ] || ! compgen -G "$APT_DIR/lists/*_Packages*" >/dev/null; then
    vm_log "fetching Debian package lists (bookworm, -updates, -security, -backports; bullseye, -security and sid for their kernels)"
    vm_apt update >/dev/null || vm_die "apt-get update against $MIRROR failed (is the Debian mirror reachable?)"
  fi
}

# "<package> <candidate>" for each named package that has a candidate in the private lists
# (one apt-cache run: loading the cache is the slow part).
vm_candidates() {
  vm_apt_cache policy "$@" 2>/dev/null |
    awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) } /^  Candidate:/ && $2 != "(none)" { print p, $2 }'
}
vm_candidate() { vm_candidates "$1" | awk '{ print $2 }'; }

# Download one package into a directory (no-op when a .deb of that version is already there).
vm_download() { # <dir> <package> <version>
  local dir=$1 pkg=$2 ver=$3
  compgen -G "$dir/${pkg}_${ver//:/%3a}_*.deb" >/dev/null && return 0
  ( cd "$dir" && vm_apt download "$pkg=$ver" >/dev/null ) || vm_die "cannot download $pkg=$ver from $MIRROR"
}

# Mark a cache entry as used now, and delete its siblings (other keys) unused for two hours:
# longer than any run's timeout, so nothing in use goes away; otherwise every version or
# layout change would leave ~250-300 MB behind.
vm_keep() { # <entry dir>
  local keep=${1%/} d
  touch "$keep/.ok"
  for d in "$(dirname "$keep")"/*/; do
    d=${d%/}
    [ "$d" = "$keep" ] || [ ! -f "$d/.ok" ] && continue
    [ -n "$(find "$d/.ok" -mmin +120)" ] && rm -rf --one-file-system "$d"
  done
  return 0
}

# The newest kernel series among the stock amd64 kernel packages in the lists (sid's, today 7.2).
vm_newest_series() {
  vm_apt_cache pkgnames linux-image- | sed -nE 's/^linux-image-([0-9]+\.[0-9]+)(\.[0-9]+)?(-[0-9]+|\+deb[0-9]+)?-amd64$/\1/p' | sort -uV | tail -n 1
}

# Map a kernel series ("6.1", "6.12") to the newest stock amd64 kernel package of that series
# in the private lists. Prints "<package> <version>"; fails with the series that do exist.
vm_resolve_kernel() {
  local series=$1 names best='' bestver='' p v
  [[ $series =~ ^[0-9]+\.[0-9]+$ ]] || vm_die "--kernel wants a series like 6.1 or 6.12, not '$series'"
  names=$(vm_apt_cache pkgnames "linux-image-$series" | grep -E "^linux-image-${series//./\\.}(\.[0-9]+)(-[0-9]+|\+deb[0-9]+)?-amd64$" || true)
  while read -r p v; do
    [ -n "$p" ] || continue
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestver"; then best=$p; bestver=$v; fi
  done < <([ -z "$names" ] || vm_candidates $names)
  if [ -z "$best" ]; then
    local have
    have=$(vm_apt_cache pkgnames linux-image- | sed -nE 's/^linux-image-([0-9]+\.[0-9]+)(\.[0-9]+)?(-[0-9]+|\+deb[0-9]+)?-amd64$/\1/p' | sort -uV | paste -sd' ')
    vm_die "no stock kernel package for series $series in bookworm, -updates, -security or -backports (series available: ${have:-none}; try --refresh)"
  fi
  echo "$best $bestver"
}
