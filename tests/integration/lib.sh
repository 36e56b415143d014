# lib.sh - the preamble and TAP helpers shared by the shell tests
# (tests/integration/test_*.sh, and tests/web/lib.sh, which sources it).
# Bash only: each test re-executes itself in bash first, then sources this
# file with
#
#   # shellcheck source=tests/integration/lib.sh
#   . "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
#
# Sourcing sets -u and umask 077, and sets
#   $top, $build        the source and build trees (KCG_TOP_SRCDIR,
#                       KCG_TOP_BUILDDIR as make check sets them; default:
#                       this checkout and its build/)
#   $kcgidm, $checkmod  the CLI and the slapd password-check module built
#   $suffix             the sandbox directory's suffix
#   $failures, $n       0: the counts ok/notok keep
# and /usr/sbin:/sbin at the end of PATH. Nothing is started.
#
#   skip_slow               exit 77 in scripts/test's sanitizer pass
#                           (KCG_SANITIZE_SKIP_SLOW=1)
#   skip_without CMD...     exit 77 (SKIP) unless each CMD is installed
#   need CMD...             exit 1 (FAIL) unless each CMD is installed
#   need_kcgidm             exit 1 (FAIL) unless $kcgidm was built
#   ok DESC, notok DESC     a TAP line; notok counts a failure
#   check DESC COMMAND...   ok when COMMAND succeeds, otherwise notok and
#                           COMMAND's output (kept in $tmp/out)
#   die TEXT                Bail out! and exit 1
#   poll SECONDS COMMAND... COMMAND until it succeeds, for at most SECONDS
#   proc_running PID        the process exists and is not a zombie (a
#                           killed slapd stays one until PID 1 reaps it)
#   proc_gone PID           the opposite of proc_running
#   start_directory         scripts/slapd-sandbox start $ldapdir with the
#                           password-check module; sets $ldapi and
#                           exports KCGIDM_CONF (for a single provider)
#   stop_sandboxes          stop the Dovecot sandbox in $dovedir and the
#                           slapd sandbox in $ldapdir, where they exist
#   make_tmp NAME           $tmp, a new private folder kcg-NAME.XXXXXX
#                           that Dovecot's mail user can pass through,
#                           $ldapdir and $dovedir in it, and the traps
#                           that run cleanup on exit
#   cleanup                 stop_sandboxes and remove $tmp (a test may
#                           define its own after sourcing)

# shellcheck shell=bash disable=SC2034,SC2154
# (the variables are for the tests; $tmp and $ldapdir are theirs)
set -u
umask 077

top=${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${KCG_TOP_BUILDDIR:-$top/build}
kcgidm=$build/src/kcgidm/kcgidm
checkmod=$build/src/slapd/.libs/kcg_check_password.so
PATH=$PATH:/usr/sbin:/sbin
suffix=dc=kcg,dc=gov,dc=tw

failures=0 n=0

skip_slow() {
	# scripts/test's sanitizer pass skips this test: its time goes to
	# slapd, Dovecot or Chromium, and make check has just run it on the
	# same code.
	if [ "${KCG_SANITIZE_SKIP_SLOW:-0}" = 1 ]; then
		echo "SKIP: slow external-program test, skipped in the sanitizer pass"
		exit 77
	fi
}

skip_without() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "SKIP: $c not installed"
			exit 77
		fi
	done
}

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "FAIL: $c not installed"; exit 1; }
	done
}

need_kcgidm() {
	[ -x "$kcgidm" ] || { echo "FAIL: no kcgidm at $kcgidm"; exit 1; }
}

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND... - ok when COMMAND succeeds
	local d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else notok "$d"; sed 's/^/#   /' "$tmp/out"; fi
}
die() { echo "Bail out! $*"; exit 1; }

# proc_running PID - PID exists and is not a zombie
proc_running() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}
proc_gone() { ! proc_running "$1"; }

# poll SECONDS COMMAND... - run COMMAND until it succeeds, for at most
# SECONDS (a generous bound, never an assertion on the time taken)
poll() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

start_directory() {
	KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start "$ldapdir" >"$tmp/slapd.out" 2>&1 ||
		{ cat "$tmp/slapd.out"; die "slapd-sandbox start failed"; }
	ldapi=$(sed -n 's/.* at \(ldapi:[^ ]*\)$/\1/p' "$tmp/slapd.out" | head -n 1)
	[ -n "$ldapi" ] || die "no ldapi URI in: $(cat "$tmp/slapd.out")"
	export KCGIDM_CONF=$ldapdir/kcgidm.conf
}

stop_sandboxes() {
	[ ! -d "${dovedir:-}" ] || bash "$top/scripts/dovecot-sandbox" stop "$dovedir" >/dev/null 2>&1
	[ ! -d "${ldapdir:-}" ] || bash "$top/scripts/slapd-sandbox" stop "$ldapdir" >/dev/null 2>&1
}

make_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/kcg-$1.XXXXXX") || exit 1
	ldapdir=$tmp/ldap dovedir=$tmp/dovecot
	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM
	# As root, Dovecot keeps mail as an unprivileged user, who must be
	# able to reach the sandboxes below $tmp.
	[ "$(id -u)" != 0 ] || chmod 711 "$tmp"
}

cleanup() {
	stop_sandboxes
	rm -rf "$tmp"
}
