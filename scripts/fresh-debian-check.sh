#!/usr/bin/env bash
# Checks the README's two commands on a fresh Debian 12: a `debootstrap --variant=minbase
# bookworm` chroot with nothing else installed. Run by hand, as root (not part of the suite):
#
#   bash scripts/fresh-debian-check.sh           reuse the chroot of an earlier run if any
#   bash scripts/fresh-debian-check.sh --fresh   delete it and debootstrap a new one
#   bash scripts/fresh-debian-check.sh --run 'bash scripts/install-deps.sh --test &&
#        python3 tests/integration/test_container.py -v'
#                                                run that command in the fresh clone instead
#                                                of the two README commands (one test, say)
#
# A reused chroot keeps the packages earlier runs installed, so only a --fresh run proves
# that the scripts install everything they need.
#
# Steps: installs debootstrap with apt if missing; makes the chroot from the Debian mirror
# this machine's apt sources name (read at run time, scripts/debian-mirror.sh); gives the
# chroot the same apt sources (and the Acquire:: settings they need); bind-mounts it onto
# itself (so that its "/" is a mount point, as podman needs) and mounts /proc, /sys (with
# the cgroup file systems under it, for runc), /dev, /dev/pts and /dev/shm into it; puts a
# fresh `git clone` of this checkout's HEAD (committed files only) at /root/logpulse, with
# a copy of ../shared beside it as CI has; then runs there, without a terminal and with
# CI=true:
#   (a) bash scripts/demo.sh --smoke   starts the demo, waits for http_requests_total on
#                                      /metrics, stops it
#   (b) bash scripts/test.sh           installs, builds, runs the whole suite
# and prints PASS or FAIL with the wall time of each. The mounts are undone on any exit.
#
# Env: LOGPULSE_CHROOT   the chroot's directory (default /var/tmp/logpulse-bookworm)
# Output of each command: $LOGPULSE_CHROOT.logs/{demo,test}.log
# Exit status: 0 when both passed, 1 otherwise, 2 on a set-up error.
# Takes about 27 minutes with --fresh on 2 busy cores (README, "Checking the set-up").
set -euo pipefail

fresh=false
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --fresh) fresh=true ;;
    --run)
      [[ $# -ge 2 ]] || { printf 'fresh-debian-check: --run needs a command\n' >&2; exit 2; }
      only=$2
      shift
      ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'usage: bash scripts/fresh-debian-check.sh [--fresh] [--run COMMAND]\n' >&2; exit 2 ;;
  esac
  shift
done

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
dir=${LOGPULSE_CHROOT:-/var/tmp/logpulse-bookworm}
dir=${dir%/}
logs=$dir.logs
say() { printf 'fresh-debian-check: %s\n' "$*"; }
die() { printf 'fresh-debian-check: %s\n' "$*" >&2; exit 2; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mount)"
[[ -n $dir && $dir != / ]] || die "LOGPULSE_CHROOT must name a directory other than /"
head=$(git -C "$root" rev-parse HEAD) || die "$root is not a git checkout"

# --- mounts: every one made here is undone on exit, innermost first -------------------
mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null ||
      printf 'fresh-debian-check: could not unmount %s\n' "${mounted[i]}" >&2
  done
  mounted=()
}
# Mounts left behind by a run that was killed with SIGKILL, deepest first.
unmount_stale() {
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
    sort -r)
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
mount_into() { # mount_into TARGET mount-args...
  local target=$dir$1
  shift
  mkdir -p -- "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

# --- the mirror, from this machine's apt sources ------------------------------------
mirror=$(bash "$root/scripts/debian-mirror.sh") || exit 2

# --- the chroot ------------------------------------------------------------------------
unmount_stale
if $fresh && [[ -e $dir ]]; then
  say "--fresh: removing $dir"
  rm -rf --one-file-system -- "$dir"
fi
if [[ ! -f $dir/.logpulse-debootstrap-done ]]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap with apt"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
  fi
  rm -rf --one-file-system -- "$dir"
  mkdir -p -- "$logs"
  say "debootstrap --variant=minbase bookworm $dir (from this machine's Debian mirror) ..."
  started=$SECONDS
  if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$logs/debootstrap.log" 2>&1; then
    tail -n 20 "$logs/debootstrap.log" >&2
    die "debootstrap failed; full output in $logs/debootstrap.log"
  fi
  touch "$dir/.logpulse-debootstrap-done"
  say "debootstrap took $((SECONDS - started)) s"
else
  say "reusing $dir (packages installed by earlier runs stay; --fresh starts from nothing)"
fi
mkdir -p -- "$logs"

# The chroot reaches the network the way this machine does: same name resolution, same
# apt sources, and the Acquire:: settings (proxy, validity of snapshot Release files).
cp -- /etc/resolv.conf "$dir/etc/resolv.conf"
bash "$root/scripts/debian-mirror.sh" --apt-into "$dir" || exit 2

# The chroot's "/" a mount point of its own, as on a real machine: podman (the container
# test) remounts "/" private to unpack an image layer, which fails on a plain directory.
mount_into "" --bind "$dir"
mount_into /proc -t proc proc
# Recursive, so that the cgroup file systems under /sys/fs/cgroup come along (runc, in the
# container test, needs them); a slave, so that unmounting it here unmounts nothing of the
# machine's.
mount_into /sys --rbind /sys
mount --make-rslave "$dir/sys"
mount_into /dev --bind /dev
mount_into /dev/pts --bind /dev/pts
[[ -d /dev/shm ]] && mount_into /dev/shm --bind /dev/shm

# --- the checkout: a fresh clone of HEAD ---------------------------------------------
# git is used on this machine only; the chroot gets the files, as a fresh `git clone`
# would leave them (tests look at nothing under .git).
checkout=$dir/root/logpulse
rm -rf --one-file-system -- "$checkout"
git clone -q --no-checkout -- "$root" "$checkout"
git -C "$checkout" checkout -q --detach "$head"
say "cloned $head into $checkout"
# CI has a copy of shared/ (the contract and the benchmark workload) beside its clone,
# without write bits; the tests use its bench/.
rm -rf --one-file-system -- "$dir/root/shared"
if [[ -d $root/../shared ]]; then
  cp -r -- "$root/../shared" "$dir/root/shared"
  chmod -R a-w -- "$dir/root/shared"
fi

# A free port for the demo: the chroot shares this machine's loopback.
port=""
for ((i = 0; i < 50; i++)); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[[ -n $port ]] || die "found no free loopback port for the demo"

# --- the two commands ----------------------------------------------------------------
results=()
failed=0
run_in_chroot() { # run_in_chroot NAME COMMAND...
  local name=$1 started status
  shift
  say "running in the chroot: $* (output: $logs/$name.log) ..."
  started=$SECONDS
  if chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LOGPULSE_LISTEN="127.0.0.1:$port" \
    bash -c 'cd /root/logpulse && exec "$@"' bash "$@" </dev/null >"$logs/$name.log" 2>&1; then
    status=PASS
  else
    status=FAIL
    failed=1
    tail -n 40 "$logs/$name.log" | sed 's/^/    | /' >&2
  fi
  results+=("$(printf '%s  %-32s %5d s' "$status" "$*" $((SECONDS - started)))")
  say "$status: $* ($((SECONDS - started)) s)"
}
if [[ -n $only ]]; then
  run_in_chroot run bash -c "$only"
else
  run_in_chroot demo bash scripts/demo.sh --smoke
  run_in_chroot test bash scripts/test.sh
fi

printf '\nfresh-debian-check summary (%s, chroot %s):\n' "${head:0:12}" "$dir"
printf '  %s\n' "${results[@]}"
exit "$failed"
