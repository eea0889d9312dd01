# Sourced, not run: the private view of a Debian mirror that the scripts which download test
# inputs share (scripts/vm/prepare.sh for kernels, native/src/test/c/harness.sh for Debian 11's C
# library, scripts/jdks.sh for trixie's JDKs). The host's apt sources and lists are never used
# or changed: each input has its own sources list and package lists in its cache, so what the
# host's image happens to hold never decides which build is tested.
#
#     mirror_lists STATE ARCH MAX_AGE SOURCE_LINE...
# writes the sources to STATE/sources.list and reads the package lists from the mirror into
# STATE, at most once per MAX_AGE minutes (the several steps of one test run read them once);
# new sources make the old lists stale whatever their age. Sets:
#     mirror_apt    the -o options that make apt-get and apt-cache use STATE (an array), with an
#                   empty dpkg status, so that no package installed on the host is a candidate
#     mirror_state  fresh: read now or recently; stale: the mirror could not be read, and the
#                   lists of an earlier read decide (said on stderr); none: nothing was ever read
# The caller decides what "none" means for it. Needs apt-get; `say` from the caller.

mirror_lists() {
  local state="$1" arch="$2" max_age="$3"
  shift 3
  [[ "$max_age" =~ ^[0-9]+$ ]] || { echo "mirror_lists: MAX_AGE must be a number of minutes, not $max_age" >&2; return 2; }
  mirror_apt=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/sources.list.d"
              -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=$state/status" -o "Dir::Cache=$state/cache"
              -o "APT::Sandbox::User=root" -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources.list.d"
  : >"$state/status"
  printf '%s\n' "$@" >"$state/sources.list.new"
  cmp -s "$state/sources.list.new" "$state/sources.list" 2>/dev/null || rm -f "$state/lists-read"
  mv -f "$state/sources.list.new" "$state/sources.list"
  if [ -f "$state/lists-read" ] && [ -z "$(find "$state/lists-read" -mmin +"$max_age" 2>/dev/null)" ]; then
    mirror_state=fresh
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    mirror_state=none
    return 0
  fi
  say "reading package lists from the mirror into $state"
  if apt-get "${mirror_apt[@]}" update -q >"$state/update.log" 2>&1 &&
     ! grep -q '^\(W\|E\): \(Failed to fetch\|Some index files failed\)' "$state/update.log"; then
    touch "$state/lists-read"
    mirror_state=fresh
  elif [ -f "$state/lists-read" ]; then
    say "WARNING: the mirror could not be read (see $state/update.log): using the package lists read on $(date -u -r "$state/lists-read" +%FT%TZ); the mirror may serve newer builds"
    mirror_state=stale
  else
    say "WARNING: the mirror could not be read (see $state/update.log), and no package lists were read before"
    mirror_state=none
  fi
}

# mirror_version PACKAGE: the version the lists name for PACKAGE (the candidate), or nothing
mirror_version() {
  { apt-cache "${mirror_apt[@]}" show --no-all-versions "$1" 2>/dev/null || true; } | sed -n 's/^Version: //p' | head -n 1
}
