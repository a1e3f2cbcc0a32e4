# shellcheck shell=bash
# .ci/rabbitmq4.sh: run the test suite against RabbitMQ 4 from Debian's own packages (by default
# Debian 13 "trixie", rabbitmq-server 4.0.5; .ci/run also uses it with RMQ4_SUITE=sid and a chroot
# of its own for 4.3.6), in a chroot inside a private network namespace that has loopback only
# (no route, no veth, no DNS). Inside it, 127.0.0.1:5672 is the chroot's broker (rabbit@localhost),
# and every private node the tests start (/usr/lib/rabbitmq/bin/rabbitmq-server) is that version
# too. The host's own broker on 127.0.0.1:5672 (host network namespace) is never touched.
#
# Meant to be `source`d by .ci/run (bash, `set -uo pipefail`). Needs root. No function calls
# `exit` or changes shell options; each returns non-zero (with a `[rmq4]` message) on failure.
#
#   rmq4_ensure_chroot    Builds the pristine $RMQ4_SUITE chroot when missing (debootstrap minbase +
#                         $RMQ4_PACKAGES; installs debootstrap on the host via apt-get if needed),
#                         into a temp dir beside it, renamed into place only once complete and
#                         checked (rabbitmq-server 4.x, the tools the tests run). Later runs reuse
#                         it. Holds a lock, so concurrent callers build it once. Never modified
#                         after the build: each namespace gets its own writable overlay of it.
#   rmq4_warm_deno_dir    On the HOST (network needed): fills $RMQ4_DENO_DIR with everything the
#                         test suite loads (npm packages, type-checked test/doc modules), so that
#                         `deno task test` runs offline inside. Idempotent; quick when warm.
#   rmq4_setup NAME       Creates network namespace NAME (lo up, nothing else), mounts a fresh
#                         overlay of the chroot at $(rmq4_root NAME), binds /proc and /sys (ro),
#                         gives it a /dev of its own (tmpfs: null, zero, full, random, urandom,
#                         tty; a new devpts; a tmpfs /dev/shm), binds $RMQ4_DENO_DIR at
#                         /root/.cache/deno, puts the checkout at the same absolute path
#                         ($RMQ4_REPO_MODE: copy (default) or bind), copies the real deno ELF to
#                         /usr/local/bin/deno, writes /etc/hosts (Debian's default: localhost is
#                         127.0.0.1 AND ::1, plus 127.0.1.1 <hostname>), /etc/rabbitmq (same as
#                         the host's broker: rabbit@localhost, 127.0.0.1:5672, epmd and
#                         distribution on loopback), one Erlang cookie in /var/lib/rabbitmq and
#                         /root, then starts the broker as user rabbitmq and waits (up to
#                         $RMQ4_START_TIMEOUT s) until 127.0.0.1:5672 answers inside. Cleans up
#                         leftovers of NAME first. A broker that does not answer: prints what
#                         its processes wait on and its log, and tears down. Sets RMQ4_NAME=NAME
#                         for rmq4_exec.
#   rmq4_exec CMD...      Runs CMD inside namespace $RMQ4_NAME + its chroot, as root, cwd = the
#                         checkout, with a clean environment (PATH, HOME=/root, LANG=C.UTF-8,
#                         SHELL, TMPDIR=/tmp, DENO_NO_UPDATE_CHECK=1); pass more with `env`, e.g.
#                         `rmq4_exec env NO_COLOR=1 deno task test`. Returns CMD's status.
#   rmq4_teardown NAME    Always safe, idempotent, fine in a trap on EXIT/INT/TERM: SIGTERMs the
#                         Erlang VMs in the namespace (graceful), then every process left in it
#                         or chrooted in its root (SIGKILL after a grace time), unmounts all
#                         mounts under its state dir (deepest first; lazy as a fallback), deletes
#                         the namespace and the state dir (only once nothing is mounted there).
#   rmq4_root NAME        Prints the root of NAME's chroot (the overlay mount point).
#
# Settings (environment; defaults in brackets):
#   RMQ4_CACHE [/var/cache/warren-ci]          cache dir, outside the repository
#   RMQ4_CHROOT [$RMQ4_CACHE/trixie-rabbitmq4] the pristine chroot (overlay lower layer)
#   RMQ4_DENO_DIR [$RMQ4_CACHE/deno-dir]       host dir bound at /root/.cache/deno inside
#   RMQ4_STATE [/var/tmp/warren-ci]            per-namespace state: $RMQ4_STATE/NAME/{upper,work,root}
#   RMQ4_REPO [this checkout]  RMQ4_REPO_MODE [copy]  RMQ4_START_TIMEOUT [90]
#   RMQ4_SUITE [trixie]  RMQ4_MIRROR [first Debian URI of /etc/apt/sources*]  RMQ4_DENO_BIN [auto]
#   RMQ4_PACKAGES [rabbitmq-server,procps,openssl,util-linux,bsdutils,hostname,netbase,ca-certificates]
#
# Typical use in .ci/run:
#   source .ci/rabbitmq4.sh
#   rmq4_ensure_chroot && rmq4_warm_deno_dir || ...
#   trap 'rmq4_teardown warren-rmq4' EXIT; trap 'rmq4_teardown warren-rmq4; exit 130' INT TERM
#   rmq4_setup warren-rmq4 && rmq4_exec env NO_COLOR=1 deno task test
#
# Pitfalls handled here: an interrupted debootstrap leaves $tmp/proc and $tmp/sys mounted (they
# are unmounted before a stale build dir is deleted); rm -rf never runs while anything is mounted
# below (a bind of /dev or of the checkout would be emptied); bind mounts are made private before
# anything is mounted below them (on a host whose / is "shared", a tmpfs on <root>/dev/shm would
# otherwise propagate onto the host's /dev/shm); the node name needs a resolvable host part
# (localhost, and the hostname, which the namespace shares with the host, via 127.0.1.1);
# rabbitmqctl as root may use /root/.erlang.cookie, the nodes (user rabbitmq, as the tests run
# them) use /var/lib/rabbitmq/.erlang.cookie: both get the same cookie; the tests' private nodes
# need a /tmp that user rabbitmq can traverse (the overlay's /tmp is 1777, TMPDIR=/tmp), and
# a chroot "/" that is 0755 (mktemp -d makes 0700). The chroot's rabbitmq uid may be another
# user's uid on the host (here: postgres): host-side `ps`/`pkill -u` see them under that name.

RMQ4_CACHE=${RMQ4_CACHE:-/var/cache/warren-ci}
RMQ4_CHROOT=${RMQ4_CHROOT:-$RMQ4_CACHE/trixie-rabbitmq4}
RMQ4_DENO_DIR=${RMQ4_DENO_DIR:-$RMQ4_CACHE/deno-dir}
RMQ4_STATE=${RMQ4_STATE:-/var/tmp/warren-ci}
RMQ4_REPO=${RMQ4_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
RMQ4_REPO_MODE=${RMQ4_REPO_MODE:-copy}
RMQ4_START_TIMEOUT=${RMQ4_START_TIMEOUT:-90}
RMQ4_SUITE=${RMQ4_SUITE:-trixie}
RMQ4_MIRROR=${RMQ4_MIRROR:-}
RMQ4_DENO_BIN=${RMQ4_DENO_BIN:-}
RMQ4_PACKAGES=${RMQ4_PACKAGES:-rabbitmq-server,procps,openssl,util-linux,bsdutils,hostname,netbase,ca-certificates}
RMQ4_NAME=${RMQ4_NAME:-}
# PATH inside the chroot.
RMQ4_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Commands the broker and the tests need inside (checked after the build).
RMQ4_NEEDED_TOOLS="sh bash env id ps openssl script setsid setpriv hostname \
/usr/lib/rabbitmq/bin/rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmqctl /usr/lib/rabbitmq/bin/rabbitmq-env"

rmq4__say() { printf '[rmq4] %s\n' "$*" >&2; }

rmq4__check_name() {
  if [[ ! ${1:-} =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$ ]]; then
    rmq4__say "bad namespace name '${1:-}' (want [A-Za-z0-9][A-Za-z0-9_.-]*)"
    return 1
  fi
}

rmq4__state() { printf '%s/%s' "$RMQ4_STATE" "$1"; }
rmq4_root() { rmq4__check_name "${1:-}" || return 1; printf '%s/root\n' "$(rmq4__state "$1")"; }

# Mount points at or below $1 (from /proc/self/mountinfo), deepest first.
rmq4__mounts_under() {
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print gsub("/", "/", $5), $5 }' \
    /proc/self/mountinfo | sort -rn -k1,1 | cut -d' ' -f2-
}

# Unmounts everything at or below $1; lazy unmount as a fallback. Fails if anything remains.
rmq4__umount_all() {
  local dir=$1 m tries
  for tries in 1 2 3 4 5; do
    local -a mounts=()
    mapfile -t mounts < <(rmq4__mounts_under "$dir")
    [ "${#mounts[@]}" -eq 0 ] && return 0
    for m in "${mounts[@]}"; do
      umount "$m" 2>/dev/null || { [ "$tries" -ge 2 ] && umount -l "$m" 2>/dev/null; } || true
    done
  done
  [ -z "$(rmq4__mounts_under "$dir")" ] && return 0
  rmq4__say "still mounted under $dir:"; rmq4__mounts_under "$dir" >&2
  return 1
}

# rm -rf $1, but only when nothing is mounted at or below it.
rmq4__safe_rm() {
  local dir=$1
  [ -e "$dir" ] || return 0
  rmq4__umount_all "$dir" || return 1
  rm -rf --one-file-system -- "$dir"
}

rmq4__mirror() {
  if [ -n "$RMQ4_MIRROR" ]; then printf '%s\n' "$RMQ4_MIRROR"; return 0; fi
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' |
    grep -E '/debian/?$' | head -n 1)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
      grep -E '/debian/?$' | head -n 1)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Checks a built chroot: rabbitmq-server 4.x and the tools the tests need. Prints the version.
rmq4__chroot_ok() {
  local dir=$1 version tool missing=""
  [ -x "$dir/usr/bin/dpkg-query" ] || return 1
  if [ $((0$(stat -c %a "$dir") & 1)) -eq 0 ]; then
    rmq4__say "$dir is not searchable by other users (user rabbitmq must enter /)"; return 1
  fi
  version=$(chroot "$dir" /usr/bin/dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null) ||
    return 1
  case $version in
    4.*) ;;
    *) rmq4__say "rabbitmq-server in $dir is '$version', not 4.x"; return 1 ;;
  esac
  for tool in $RMQ4_NEEDED_TOOLS; do
    case $tool in
      /*) [ -x "$dir$tool" ] || missing+=" $tool" ;;
      *) chroot "$dir" /bin/sh -c "command -v $tool" >/dev/null 2>&1 || missing+=" $tool" ;;
    esac
  done
  if [ -n "$missing" ]; then rmq4__say "missing in $dir:$missing"; return 1; fi
  printf '%s\n' "$version"
}

rmq4__build_chroot() {
  local tmp mirror version log start
  # Leftovers of interrupted builds (mounts first: debootstrap mounts proc and sys in them).
  for tmp in "$RMQ4_CHROOT".tmp.* "$RMQ4_CHROOT".stale.*; do
    [ -e "$tmp" ] || continue
    rmq4__say "removing leftover $tmp"
    rmq4__safe_rm "$tmp" || return 1
  done
  if [ -e "$RMQ4_CHROOT" ]; then # present but not valid: set aside, then delete
    tmp="$RMQ4_CHROOT.stale.$$"
    mv -T "$RMQ4_CHROOT" "$tmp" && rmq4__safe_rm "$tmp" || return 1
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    rmq4__say "installing debootstrap on the host"
    apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null || return 1
  fi
  mirror=$(rmq4__mirror)
  tmp=$(mktemp -d "$RMQ4_CHROOT.tmp.XXXXXX") || return 1
  chmod 0755 "$tmp" # mktemp's 0700 would become the chroot's "/": user rabbitmq could not enter
  log="$tmp.log"
  start=$SECONDS
  rmq4__say "debootstrap $RMQ4_SUITE from $mirror into $tmp (log: $log)"
  if ! debootstrap --variant=minbase --components=main --include="$RMQ4_PACKAGES" \
    "$RMQ4_SUITE" "$tmp" "$mirror" >"$log" 2>&1; then
    rmq4__say "debootstrap failed; last lines of $log:"; tail -n 25 "$log" >&2
    rmq4__safe_rm "$tmp"
    return 1
  fi
  # Belt and braces: debootstrap's policy-rc.d keeps daemons from starting, but no process may
  # stay behind chrooted in the build dir (it would run in the host's network namespace).
  rmq4__kill_rooted_in "$tmp"
  rmq4__umount_all "$tmp" || return 1
  chroot "$tmp" /usr/bin/apt-get clean >/dev/null 2>&1
  rm -f "$tmp/etc/rabbitmq/"*.dpkg-* 2>/dev/null
  if ! version=$(rmq4__chroot_ok "$tmp"); then
    rmq4__say "the new chroot failed its checks; kept for inspection at $tmp"
    return 1
  fi
  printf 'suite=%s\nmirror=%s\nrabbitmq-server=%s\nbuilt=%s\n' "$RMQ4_SUITE" "$mirror" \
    "$version" "$(date -u +%FT%TZ)" >"$tmp/.warren-ci-chroot"
  mv -T "$tmp" "$RMQ4_CHROOT" || return 1
  mv -f "$log" "$RMQ4_CHROOT.build.log" 2>/dev/null
  rmq4__say "built $RMQ4_CHROOT (rabbitmq-server $version) in $((SECONDS - start)) s," \
    "$(du -sh "$RMQ4_CHROOT" 2>/dev/null | cut -f1)"
}

rmq4_ensure_chroot() {
  local version status
  if [ -f "$RMQ4_CHROOT/.warren-ci-chroot" ] && version=$(rmq4__chroot_ok "$RMQ4_CHROOT"); then
    rmq4__say "chroot $RMQ4_CHROOT ready (rabbitmq-server $version)"
    return 0
  fi
  mkdir -p "$(dirname "$RMQ4_CHROOT")" || return 1
  (
    flock -w 1800 9 || { rmq4__say "timed out waiting for the build lock"; exit 1; }
    # Another caller may have built it while we waited.
    if [ -f "$RMQ4_CHROOT/.warren-ci-chroot" ] && rmq4__chroot_ok "$RMQ4_CHROOT" >/dev/null; then
      exit 0
    fi
    rmq4__build_chroot
  ) 9>"$RMQ4_CHROOT.lock"
  status=$?
  return "$status"
}

# The real deno ELF binary (npm's `deno` may be a wrapper script or symlink).
rmq4__deno_binary() {
  local p="" c
  local -a candidates=()
  [ -n "$RMQ4_DENO_BIN" ] && candidates+=("$RMQ4_DENO_BIN")
  if command -v deno >/dev/null 2>&1; then
    p=$(deno eval 'console.log(Deno.execPath())' 2>/dev/null | tail -n 1) && candidates+=("$p")
    candidates+=("$(readlink -f "$(command -v deno)")")
  fi
  command -v npm >/dev/null 2>&1 && candidates+=("$(npm root -g 2>/dev/null)/deno/deno")
  for c in "${candidates[@]}"; do
    [ -f "$c" ] && [ "$(head -c 4 "$c" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] &&
      { printf '%s\n' "$c"; return 0; }
  done
  rmq4__say "no deno ELF binary found (set RMQ4_DENO_BIN)"
  return 1
}

rmq4_warm_deno_dir() {
  local deno status=0
  deno=$(rmq4__deno_binary) || return 1
  mkdir -p "$RMQ4_DENO_DIR" || return 1
  rmq4__say "warming $RMQ4_DENO_DIR on the host"
  (
    cd "$RMQ4_REPO" || exit 1
    export DENO_DIR=$RMQ4_DENO_DIR DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
    # Every module of the checkout (tests spawn scripts, examples, tasks, bench: `deno run`);
    # a folder with its own deno.json (examples/mailer) is cached with that config (and lock).
    local -a files=() configs=() own=() rest=()
    local f c d
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.ts' '*.tsx' \
      '*.mts' 2>/dev/null || find . -name '*.ts' -not -path './.git/*' -not -path './dist/*')
    mapfile -t configs < <(find . -mindepth 2 \( -name deno.json -o -name deno.jsonc \) \
      -not -path './.git/*' -not -path './dist/*' -not -path '*/node_modules/*' | sort)
    for f in "${files[@]}"; do
      for c in "${configs[@]}"; do d=$(dirname "${c#./}"); [[ $f == "$d"/* ]] && continue 2; done
      rest+=("$f")
    done
    "$deno" cache --quiet "${rest[@]}" || exit 1
    # Without the lock file too, as a run from a URL or from another project resolves npm
    # versions from the registry's package documents, which a locked run never fetches, except
    # for a package with executables ("bin" in deno.lock: playwright-core, for the browser
    # tests), whose document even a locked run reads; without it, every run inside tried to
    # download it first.
    "$deno" cache --quiet --no-lock mod.ts producer.ts worker.ts admin.ts scheduler.ts \
      tests/_helpers/browser.ts || exit 1
    for c in "${configs[@]}"; do
      d=$(dirname "${c#./}"); own=()
      for f in "${files[@]}"; do [[ $f == "$d"/* ]] && own+=("$f"); done
      [ "${#own[@]}" -eq 0 ] || "$deno" cache --quiet --config "$c" "${own[@]}" || exit 1
    done
    # What `deno task test` type-checks (test modules and the doc snippets).
    "$deno" test --quiet --no-run --doc --allow-net=localhost,127.0.0.1 --allow-env \
      --allow-read --allow-write --allow-run --allow-sys >/dev/null || exit 1
  ) || status=$?
  [ "$status" -eq 0 ] || rmq4__say "warming $RMQ4_DENO_DIR failed"
  return "$status"
}

# Runs "$@" on the host inside network namespace $1 (not chrooted).
rmq4__in_netns() { local name=$1; shift; nsenter --net="/run/netns/$name" -- "$@"; }

rmq4__port_answers() {
  rmq4__in_netns "$1" timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

# Pids of processes whose root directory is $1 (or below it).
rmq4__pids_rooted_in() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [[ $r == "$1" || $r == "$1"/* ]] && printf '%s\n' "${p#/proc/}"
  done
}

rmq4__kill_rooted_in() {
  local i pids
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(rmq4__pids_rooted_in "$1")
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    sleep 0.5
  done
}

# Pids in namespace $1 or chrooted in $2, never our own shell.
rmq4__ns_pids() {
  { [ -e "/run/netns/$1" ] && ip netns pids "$1" 2>/dev/null; rmq4__pids_rooted_in "$2"; } |
    sort -un | grep -vx -e "$$" -e "${BASHPID:-$$}"
}

# Pids of the Erlang VMs among them.
rmq4__beam_pids() {
  local p
  for p in $(rmq4__ns_pids "$1" "$2"); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == beam* ]] && printf '%s\n' "$p"
  done
  return 0
}

rmq4_teardown() {
  local name=${1:-} state root pids p i status=0
  rmq4__check_name "$name" || return 1
  state=$(rmq4__state "$name"); root="$state/root"
  pids=$(rmq4__ns_pids "$name" "$root")
  if [ -n "$pids" ]; then
    # Erlang VMs first, with SIGTERM: a graceful stop (init:stop); epmd and shells follow.
    for p in $(rmq4__beam_pids "$name" "$root"); do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 1 30); do # up to 15 s for the VMs to stop
      # Not `| grep -q`: under pipefail, grep leaving early fails the pipeline (SIGPIPE).
      [ -n "$(rmq4__beam_pids "$name" "$root")" ] || break
      sleep 0.5
    done
    for i in $(seq 1 40); do
      pids=$(rmq4__ns_pids "$name" "$root")
      [ -z "$pids" ] && break
      # shellcheck disable=SC2086
      if [ "$i" -le 6 ]; then kill -TERM $pids 2>/dev/null; else kill -KILL $pids 2>/dev/null; fi
      sleep 0.5
    done
    pids=$(rmq4__ns_pids "$name" "$root")
    if [ -n "$pids" ]; then rmq4__say "processes survive in $name: $pids"; status=1; fi
  fi
  rmq4__umount_all "$state" || status=1
  if [ -e "/run/netns/$name" ]; then ip netns del "$name" 2>/dev/null || status=1; fi
  if [ "$status" -eq 0 ]; then rmq4__safe_rm "$state" || status=1; fi
  [ "$RMQ4_NAME" = "$name" ] && RMQ4_NAME=""
  [ "$status" -eq 0 ] || rmq4__say "teardown of $name incomplete"
  return "$status"
}

# Bind-mounts $1 at $2 and makes it private (nothing mounted below propagates to $1's peers).
rmq4__bind() {
  mount --bind "$1" "$2" && mount --make-private "$2"
}

# A /dev of the chroot's own (a tmpfs with the usual device nodes, a new devpts instance, a
# tmpfs /dev/shm): nothing run as root inside can remove or replace a device node of the host
# (a bind of the host's /dev once let a process inside replace the host's /dev/null by a file).
rmq4__private_dev() {
  local dev=$1 node
  mount -t tmpfs -o mode=0755,nosuid,size=64m tmpfs "$dev" || return 1
  for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    # shellcheck disable=SC2086
    set -- $node
    mknod -m 0666 "$dev/$1" c "$2" "$3" || return 1
  done
  mkdir -p "$dev/pts" "$dev/shm" || return 1
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$dev/pts" || return 1
  ln -s pts/ptmx "$dev/ptmx" && ln -s /proc/self/fd "$dev/fd" &&
    ln -s /proc/self/fd/0 "$dev/stdin" && ln -s /proc/self/fd/1 "$dev/stdout" &&
    ln -s /proc/self/fd/2 "$dev/stderr" || return 1
  mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs "$dev/shm"
}

rmq4__prepare_root() {
  local name=$1 state root uid gid cookie deno host
  state=$(rmq4__state "$name"); root="$state/root"
  mkdir -p "$state" && rmq4__bind "$state" "$state" || return 1
  mkdir -p "$state/upper" "$state/work" "$root" || return 1
  if mount -t overlay overlay \
    -o "lowerdir=$RMQ4_CHROOT,upperdir=$state/upper,workdir=$state/work" "$root" 2>/dev/null; then
    mount --make-private "$root" || return 1
  else
    rmq4__say "overlayfs unavailable here: copying the chroot"
    cp -a "$RMQ4_CHROOT/." "$root/" || return 1
  fi
  rmq4__bind /proc "$root/proc" &&
    rmq4__bind /sys "$root/sys" && mount -o remount,bind,ro "$root/sys" || return 1
  rmq4__private_dev "$root/dev" || return 1
  mkdir -p "$RMQ4_DENO_DIR" "$root/root/.cache/deno" &&
    rmq4__bind "$RMQ4_DENO_DIR" "$root/root/.cache/deno" || return 1
  mkdir -p "$root$RMQ4_REPO" || return 1
  case $RMQ4_REPO_MODE in
    bind) rmq4__bind "$RMQ4_REPO" "$root$RMQ4_REPO" || return 1 ;;
    copy) cp -a "$RMQ4_REPO/." "$root$RMQ4_REPO/" || return 1 ;;
    *) rmq4__say "RMQ4_REPO_MODE must be copy or bind"; return 1 ;;
  esac
  deno=$(rmq4__deno_binary) || return 1
  install -m 0755 "$deno" "$root/usr/local/bin/deno" || return 1
  chmod 1777 "$root/tmp"
  host=$(hostname)
  # Debian's default /etc/hosts (localhost -> 127.0.0.1 and ::1), with this host's name.
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n%s\n%s\n%s\n%s\n' "$host" \
    '# The following lines are desirable for IPv6 capable hosts' \
    '::1     localhost ip6-localhost ip6-loopback' 'ff02::1 ip6-allnodes' 'ff02::2 ip6-allrouters' \
    >"$root/etc/hosts" || return 1
  printf '%s\n' "$host" >"$root/etc/hostname"
  : >"$root/etc/resolv.conf" # no network, no DNS: lookups other than /etc/hosts fail at once
  # The same broker configuration as the host's shared broker (the tests rely on it).
  mkdir -p "$root/etc/rabbitmq" || return 1
  printf '%s\n' 'NODENAME=rabbit@localhost' 'ERL_EPMD_ADDRESS=127.0.0.1' \
    'export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"' \
    >"$root/etc/rabbitmq/rabbitmq-env.conf" || return 1
  printf '%s\n' 'listeners.tcp.local = 127.0.0.1:5672' >"$root/etc/rabbitmq/rabbitmq.conf" ||
    return 1
  uid=$(awk -F: '$1 == "rabbitmq" { print $3 }' "$root/etc/passwd")
  gid=$(awk -F: '$1 == "rabbitmq" { print $4 }' "$root/etc/passwd")
  if [ -z "$uid" ] || [ -z "$gid" ]; then rmq4__say "no rabbitmq user in the chroot"; return 1; fi
  mkdir -p "$root/var/lib/rabbitmq" "$root/var/log/rabbitmq" &&
    chown "$uid:$gid" "$root/var/lib/rabbitmq" "$root/var/log/rabbitmq" || return 1
  cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr '0-9a-f' 'A-P')
  rm -f "$root/var/lib/rabbitmq/.erlang.cookie" "$root/root/.erlang.cookie"
  (umask 077 && printf '%s' "$cookie" >"$root/var/lib/rabbitmq/.erlang.cookie" &&
    printf '%s' "$cookie" >"$root/root/.erlang.cookie") || return 1
  chown "$uid:$gid" "$root/var/lib/rabbitmq/.erlang.cookie" &&
    chmod 0400 "$root/var/lib/rabbitmq/.erlang.cookie" "$root/root/.erlang.cookie"
}

# What the processes of namespace $1 (chroot $2) are doing, for a broker that does not answer.
rmq4__diagnose() {
  local p
  rmq4__say "processes in $1 (pid, state, kernel wait, elapsed, command):"
  for p in $(rmq4__ns_pids "$1" "$2"); do
    ps -o pid=,stat=,wchan:24=,etime=,args= -p "$p" 2>/dev/null | cut -c1-160 >&2
  done
  rmq4__say "its logs:"
  tail -n 40 "$2/var/log/rabbitmq/warren-ci-console.log" "$2"/var/log/rabbitmq/rabbit@*.log \
    >&2 2>/dev/null
}

# Sets up namespace $1 and starts its broker; returns 0 once 127.0.0.1:5672 answers inside,
# 1 (namespace torn down) when it does not within $RMQ4_START_TIMEOUT s.
rmq4__setup_node() {
  local name=$1 root start i
  start=$SECONDS
  rmq4_teardown "$name" >/dev/null 2>&1 || { rmq4__say "cannot clean up old $name"; return 1; }
  root=$(rmq4_root "$name")
  if ! ip netns add "$name" || ! ip netns exec "$name" ip link set lo up; then
    rmq4__say "cannot create network namespace $name"; rmq4_teardown "$name"; return 1
  fi
  if ! rmq4__prepare_root "$name"; then
    rmq4__say "cannot prepare the chroot of $name"; rmq4_teardown "$name"; return 1
  fi
  RMQ4_NAME=$name
  # Like systemd's unit: the real script, as user rabbitmq, HOME=/var/lib/rabbitmq, in its own
  # session (the equivalent of -detached), output to a log.
  rmq4__in_netns "$name" chroot "$root" /usr/bin/env -i PATH="$RMQ4_PATH" HOME=/var/lib/rabbitmq \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 /usr/bin/setsid -f /usr/bin/setpriv --reuid=rabbitmq \
    --regid=rabbitmq --init-groups /bin/sh -c 'cd /var/lib/rabbitmq &&
      exec /usr/lib/rabbitmq/bin/rabbitmq-server >>/var/log/rabbitmq/warren-ci-console.log 2>&1' \
    </dev/null >/dev/null 2>&1
  for i in $(seq 1 "$RMQ4_START_TIMEOUT"); do
    if rmq4__port_answers "$name" 5672; then
      rmq4__say "RabbitMQ $(rmq4__version_in "$root") answers on 127.0.0.1:5672 in $name" \
        "($((SECONDS - start)) s)"
      return 0
    fi
    # The broker's processes are gone: it stopped. (Not `| grep -q`, which under pipefail
    # fails the pipeline whenever grep leaves before the pids are all written.)
    if [ "$i" -ge 5 ] && [ -z "$(rmq4__ns_pids "$name" "$root")" ]; then break; fi
    sleep 1
  done
  rmq4__say "RabbitMQ did not answer in $name within $((SECONDS - start)) s"
  rmq4__diagnose "$name" "$root"
  rmq4_teardown "$name"
  return 1
}

rmq4_setup() {
  local name=${1:-}
  rmq4__check_name "$name" || return 1
  [ "$(id -u)" -eq 0 ] || { rmq4__say "rmq4_setup needs root"; return 1; }
  rmq4_ensure_chroot || return 1
  rmq4__setup_node "$name"
}

rmq4__version_in() {
  chroot "$1" /usr/bin/dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null
}

rmq4_exec() {
  local name=$RMQ4_NAME root
  if [ -z "$name" ] || [ ! -e "/run/netns/$name" ]; then
    rmq4__say "rmq4_exec: no namespace set up (RMQ4_NAME='$name')"; return 125
  fi
  root=$(rmq4_root "$name") || return 125
  [ -x "$root/usr/local/bin/deno" ] || { rmq4__say "rmq4_exec: $root is not set up"; return 125; }
  [ "$#" -gt 0 ] || set -- /bin/bash
  rmq4__in_netns "$name" chroot "$root" /usr/bin/env -i PATH="$RMQ4_PATH" HOME=/root USER=root \
    LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TMPDIR=/tmp DENO_NO_UPDATE_CHECK=1 \
    /bin/sh -c 'cd "$1" || exit 125; shift; exec "$@"' rmq4_exec "$RMQ4_REPO" "$@"
}
