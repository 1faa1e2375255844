#!/usr/bin/env bash
# The Debian mirror this machine's apt uses, for the tools that debootstrap a Debian 12
# tree from it (scripts/fresh-debian-check.sh, tests/integration/test_container.py):
#
#   bash scripts/debian-mirror.sh               print the mirror's URI
#   bash scripts/debian-mirror.sh --apt-into DIR
#                                               give the tree at DIR this machine's apt
#                                               sources and the Acquire:: settings they need
#
# The mirror is the first enabled "deb" entry for bookworm itself (not -updates or
# -security), in one-line (.list) or deb822 (.sources) format. --apt-into replaces DIR's
# sources with copies of this machine's (so -updates and -security come along) and copies
# the apt.conf.d files that set a proxy or accept an old snapshot's Release files.
# Exit status: 0, or 2 when no such source exists (or on a usage error).
set -euo pipefail

die() { printf 'debian-mirror: %s\n' "$*" >&2; exit 2; }

sources_files() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && printf '%s\n' "$f"
  done
  return 0
}

mirror() {
  local f
  while read -r f; do
    case $f in
      *.sources)
        awk 'function flush() {
               if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no" && uri != "")
                 { print uri; done = 1 }
               types = suites = uri = enabled = ""
             }
             /^[ \t]*$/ { flush(); if (done) exit; next }
             /^#/ { next }
             tolower($1) == "types:" { types = substr($0, index($0, ":") + 1) " " }
             tolower($1) == "suites:" { suites = substr($0, index($0, ":") + 1) " " }
             tolower($1) == "uris:" { uri = $2 }
             tolower($1) == "enabled:" { enabled = tolower($2) }
             END { if (!done) flush() }' "$f"
        ;;
      *)
        awk '$1 == "deb" {
               i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
               if ($(i + 1) == "bookworm") { print $i; exit }
             }' "$f"
        ;;
    esac
  done < <(sources_files) | head -n 1
}

apt_into() {
  local dir=$1 f
  [[ -d $dir/etc/apt ]] || die "$dir/etc/apt: no such directory (not a Debian tree?)"
  mkdir -p -- "$dir/etc/apt/sources.list.d" "$dir/etc/apt/apt.conf.d"
  rm -f -- "$dir/etc/apt/sources.list" "$dir"/etc/apt/sources.list.d/*
  while read -r f; do
    cp -- "$f" "$dir/etc/apt/sources.list.d/host-${f##*/}"
  done < <(sources_files)
  for f in /etc/apt/apt.conf.d/*; do
    [[ -f $f ]] && grep -qE 'Acquire::([a-z]+::)?(Proxy|Check-Valid-Until|Check-Date)' "$f" &&
      cp -- "$f" "$dir/etc/apt/apt.conf.d/${f##*/}"
  done
  return 0
}

case "${1:-}" in
  "")
    uri=$(mirror)
    [[ -n $uri ]] || die "no enabled 'deb ... bookworm' source in /etc/apt/sources.list{,.d/}"
    printf '%s\n' "$uri"
    ;;
  --apt-into)
    [[ $# -eq 2 ]] || die "usage: bash scripts/debian-mirror.sh [--apt-into DIR]"
    [[ -n $(mirror) ]] || die "no enabled 'deb ... bookworm' source in /etc/apt/sources.list{,.d/}"
    apt_into "$2"
    ;;
  *) die "usage: bash scripts/debian-mirror.sh [--apt-into DIR]" ;;
esac
