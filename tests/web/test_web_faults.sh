#!/bin/sh
# test_web_faults - kcgidmd while its directory goes away and comes back
# (issue 9, part 4), and kcgidmd's own protection of the secrets it holds
# (part 7).
#
# slapd is stopped under a running kcgidmd: /healthz and an API call that
# needs the directory answer a clear 503 ("unavailable"), a page that does
# not need it still answers, kcgidmd keeps running; slapd is started
# again and the same calls succeed without restarting kcgidmd (it
# reconnects by itself). Then slapd is killed with SIGKILL: the same.
# kcgidmd runs with RLIMIT_CORE 0.
#
# Exit 0 pass, 1 fail, 77 skip (curl or smtp-sink missing).

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/web/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/web/lib.sh"
skip_without curl /usr/sbin/smtp-sink /usr/sbin/slapd
command -v python3 >/dev/null 2>&1 || die "python3 missing"

trap web_stop EXIT
trap 'exit 1' HUP INT TERM

web_start "rate_limit = 1000"
jar=$tmp/jar
code=

api_curl=(--max-time 20)
health() { code=$(curl -s -o "$tmp/body" -w '%{http_code}' --max-time 20 "$base/healthz"); }
uid_check() { api POST /api/v1/apply/uid-check '{"uid":"nobodyhere"}'; }
alive() { kill -0 "$kcgidmd_pid" 2>/dev/null; }

# until_ok CMD - run CMD until it gives HTTP 200, for 60 s (a deadline,
# not a timing assertion: recovery must happen, however long it takes
# here). Each try has a limit of its own, 20 s (above ldap.timeout), so a
# kcgidmd that takes the connection and never answers stretches the 60 s
# by one try at most, plus the last one poll makes after it.
http_ok() { "$@"; [ "$code" = 200 ]; }
until_ok() { poll 60 http_ok "$@"; }

api GET /api/v1/session
csrf=$(j 'd["csrf_token"]')
[ ${#csrf} = 43 ] && ok "a session" || notok "session"
# uid-check needs a verified applicant, so it says 409 not_verified; what
# matters here is that it is an answer from the application, not a 503
uid_check
before=$code
[ "$code" != 503 ] && [ "$code" != 000 ] && ok "uid-check answers ($code) with slapd up" ||
	notok "uid-check with slapd up"
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'
[ "$code" = 200 ] && ok "verify with slapd up" || notok "verify with slapd up"

for how in stop kill; do
	if [ "$how" = stop ]; then
		bash "$top/scripts/slapd-sandbox" stop "$ldapdir" >/dev/null 2>&1
	else
		slapd_pid=$(cat "$ldapdir/slapd.pid")
		kill -KILL "$slapd_pid"
		# until it is gone or a zombie (then it holds nothing: socket
		# and database lock are free for the restart below)
		poll 60 proc_gone "$slapd_pid" ||
			notok "slapd $how: still running a minute after SIGKILL"
	fi
	health
	[ "$code" = 503 ] && ok "slapd $how: /healthz says 503" || notok "slapd $how: /healthz"
	api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'
	if [ "$code" = 503 ] && [ "$(j 'd["code"]')" = unavailable ] &&
		[ -n "$(j 'd["message"]')" ]; then
		ok "slapd $how: verify says 503 unavailable with a message"
	else
		notok "slapd $how: verify"
	fi
	api GET /api/v1/contact
	[ "$code" = 200 ] && ok "slapd $how: a page without the directory still answers" ||
		notok "slapd $how: contact"
	alive && ok "slapd $how: kcgidmd keeps running" || notok "slapd $how: kcgidmd died"

	if ! KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start "$ldapdir" \
		>"$tmp/restart.out" 2>&1; then
		notok "slapd restart after $how"
		sed 's/^/#   /' "$tmp/restart.out"
		tail -n 20 "$ldapdir/slapd.log" | sed 's/^/#   /'
	fi
	if until_ok health; then
		ok "slapd back after $how: /healthz 200 without restarting kcgidmd"
	else
		notok "slapd back after $how: /healthz"
	fi
	if until_ok api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'; then
		ok "slapd back after $how: verify 200 again"
	else
		notok "slapd back after $how: verify"
	fi
	uid_check
	[ "$code" = "$before" ] && ok "slapd back after $how: uid-check as before ($code)" ||
		notok "slapd back after $how: uid-check (was $before)"
done

# secrets in memory: no core file (RLIMIT_CORE 0, set by kcgidmd itself)
if grep -E '^Max core file size +0 +0 ' "/proc/$kcgidmd_pid/limits" >/dev/null; then
	ok "kcgidmd runs with RLIMIT_CORE 0"
else
	notok "kcgidmd core limit: $(grep 'core' "/proc/$kcgidmd_pid/limits")"
fi
alive && ok "kcgidmd still running at the end" || notok "kcgidmd died"

echo "1..$n"
[ "$failures" = 0 ]
