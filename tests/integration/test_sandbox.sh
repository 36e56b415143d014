#!/bin/sh
# test_sandbox - scripts/slapd-sandbox start and stop keep their word
# however slapd behaves while it starts; every test stands on them.
#
# slapd writes its own pid to the sandbox's pid file (olcPidFile) as it
# starts, truncating it first. start once read that file to tell whether
# slapd still ran: an empty read meant "exited", and start then waited for
# the exit of a slapd that was running fine -- for ever (a CI run hung in
# test_web_faults until the job was killed). Here slapd is wrapped by a
# stand-in found first in PATH:
#   - "empty": keeps the pid file empty for 2 s, then execs the real slapd
#     (same pid): start succeeds, names that pid, and the file holds it;
#   - "exit": exits 3 at once: start fails, saying so, with the status;
#   - "signal": dies of SIGKILL: start fails with status 137;
#   - "silent": runs and never answers: start gives up after
#     KCG_SLAPD_START_TIMEOUT (3 s for this case), stops it, and fails,
#     with where its threads wait (scripts/threads; checked when gdb is
#     installed and we are root, who may attach to it);
# and then, with the real slapd, three rounds of kill -9 and start: each
# restart answers, and stop leaves nothing running.
#
# Every start runs under timeout 120: a hang fails here, not the whole run.
# Exit 0 pass, 1 fail.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

need slapd ldapwhoami timeout
make_tmp sandbox
real_slapd=$(command -v slapd)
mkdir "$tmp/bin"
# The stand-in: its mode comes from $tmp/mode; "-F DIR/slapd.d" is $2.
cat >"$tmp/bin/slapd" <<EOF
#!/bin/bash
pidfile=\$(dirname "\$2")/slapd.pid
case \$(cat "$tmp/mode") in
empty)
	for i in \$(seq 1 40); do : >"\$pidfile"; sleep 0.05; done
	exec "$real_slapd" "\$@" ;;
exit) exit 3 ;;
signal) kill -KILL \$\$ ;;
silent) exec sleep 300 ;;
*) exec "$real_slapd" "\$@" ;;
esac
EOF
chmod 755 "$tmp/bin/slapd"

# sandbox ARGS... - slapd-sandbox with the stand-in first in PATH
sandbox() {
	PATH=$tmp/bin:$PATH KCG_CHECK_MODULE=$checkmod \
		KCG_SLAPD_START_TIMEOUT=${start_timeout:-30} \
		timeout -k 5 120 bash "$top/scripts/slapd-sandbox" "$@" "$ldapdir"
}
pid_file() { cat "$ldapdir/slapd.pid" 2>/dev/null; }
# no slapd of this sandbox runs
none_left() { ! pgrep -f -- "-F $ldapdir/slapd.d" >/dev/null; }

# A first start builds the sandbox (the stand-in passes through).
echo pass >"$tmp/mode"
sandbox start >"$tmp/out" 2>&1 || { cat "$tmp/out"; die "first start"; }
sandbox stop >/dev/null 2>&1

echo empty >"$tmp/mode"
rc=0
sandbox start >"$tmp/out" 2>&1 || rc=$?
started=$(sed -n 's/.*started (pid \([0-9]*\)).*/\1/p' "$tmp/out")
if [ "$rc" = 0 ] && [ -n "$started" ] && proc_running "$started"; then
	ok "start: a pid file that slapd keeps empty for a while is no exit"
else
	notok "start with the pid file emptied (exit $rc)"
	sed 's/^/#   /' "$tmp/out"
fi
[ -n "$started" ] && [ "$(pid_file)" = "$started" ] &&
	ok "the pid file names the slapd that runs" ||
	notok "pid file '$(pid_file)', started '$started'"
check "a second start finds it running" sandbox start
grep -q "running (pid $started)" "$tmp/out" && ok "... and names it" ||
	{ notok "second start's words"; sed 's/^/#   /' "$tmp/out"; }
sandbox stop >/dev/null 2>&1
poll 30 none_left && ok "stop: no slapd left" || notok "stop left a slapd"

for mode in exit signal; do
	echo "$mode" >"$tmp/mode"
	rc=0
	sandbox start >"$tmp/out" 2>&1 || rc=$?
	case $mode in
	exit) want=3 what="exits 3" ;;
	signal) want=137 what="dies of SIGKILL" ;;
	esac
	if [ "$rc" = 1 ] && grep -q "exited during start-up (exit status $want)" "$tmp/out"; then
		ok "start: a slapd that $what during start-up fails it, with status $want"
	else
		notok "start with a slapd that $what (exit $rc)"
		sed 's/^/#   /' "$tmp/out"
	fi
	[ ! -e "$ldapdir/slapd.pid" ] && ok "... and no pid file is left" ||
		notok "a pid file is left: $(pid_file)"
done

echo silent >"$tmp/mode"
rc=0
start_timeout=3 sandbox start >"$tmp/out" 2>&1 || rc=$?
silent=$(sed -n 's/.*slapd (pid \([0-9]*\)) runs but did not answer within 3 s.*/\1/p' "$tmp/out")
if [ "$rc" = 1 ] && [ -n "$silent" ]; then
	ok "start: a slapd that never answers is given up on"
else
	notok "start with a silent slapd (exit $rc)"
	sed 's/^/#   /' "$tmp/out"
fi
[ -n "$silent" ] && poll 30 proc_gone "$silent" && ok "... and stopped" ||
	notok "the silent slapd ($silent) is left running"
if command -v gdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	grep -q '^Thread 1 ' "$tmp/out" && ok "... with the backtrace of its threads" ||
		notok "no backtrace of the silent slapd in start's output"
fi

echo pass >"$tmp/mode"
sandbox start >"$tmp/out" 2>&1 || { cat "$tmp/out"; die "start after the stand-ins"; }
for round in 1 2 3; do
	p=$(pid_file)
	kill -KILL "$p"
	poll 60 proc_gone "$p" || notok "round $round: slapd $p outlived SIGKILL"
	rc=0
	sandbox start >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && ldapwhoami -Q -Y EXTERNAL \
		-H "ldapi://$(printf %s "$ldapdir/ldapi" | sed 's|/|%2F|g')" >/dev/null 2>&1; then
		ok "round $round: start after kill -9 answers"
	else
		notok "round $round: start after kill -9 (exit $rc)"
		sed 's/^/#   /' "$tmp/out"
	fi
done
sandbox stop >/dev/null 2>&1
poll 30 none_left && ok "stop: nothing left running" || notok "stop left a slapd"

echo "1..$n"
[ "$failures" = 0 ]
