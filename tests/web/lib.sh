# lib.sh - shared by tests/web/test_*.sh (bash): a private slapd with the
# sample roster, an smtp-sink, and kcgidmd in front of them.
#
#   web_start [EXTRA_WEB_SETTINGS]  start everything; sets $tmp, $ldapdir,
#                                   $conf, $sinkdir, $port, $base, $kcgidm
#   web_stop                        stop everything (also run by the trap)
#   kcgidm ARGS...                  the CLI on the sandbox's configuration
#   latest_mail_link PATTERN        the newest link in the sink matching
#                                   PATTERN (python3's email module decodes)
#   notok DESC                      not ok, with the last reply: HTTP $code
#                                   and the start of $tmp/body
#   api METHOD PATH [JSON [CURL ARGS...]]
#                                   a request to kcgidmd with the cookies
#                                   in $jar (and $csrf on a POST): sets
#                                   $code, the body in $api_body (default
#                                   $tmp/body), the headers in $api_hdr if
#                                   set; $api_curl (an array) is added to
#                                   every request
#   j EXPR                          a value of the last JSON body (a python
#                                   expression over d)
#   expect DESC STATUS [EXPR SUBSTRING]...
#                                   ok when the last reply has STATUS and
#                                   each EXPR's value contains SUBSTRING;
#                                   the text for a wrong status comes from
#                                   status_note WANT (a test may redefine it)
# and what tests/integration/lib.sh gives (sourced from here): set -u,
# umask 077, $top, $build, ok, die, skip_slow, skip_without...
#
# Environment: KCG_TOP_SRCDIR, KCG_TOP_BUILDDIR (make check sets them);
# WEB_SCHEME=https for a kcgidmd that serves TLS itself; WEB_EXTRA_CONF,
# text appended to the configuration before kcgidmd starts;
# KCGIDMD_VALGRIND=1 runs kcgidmd under valgrind (log in $tmp/valgrind.log,
# copied to the build folder as tests/web/valgrind.log).

# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
kcgidm_bin=$kcgidm
kcgidmd_bin=$build/src/kcgidmd/kcgidmd
export PATH
# the system's python3 (a pyenv shim costs half a second per call)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

tmp= ldapdir= conf= sinkdir= port= base= kcgidmd_pid= sink_pid=

# shellcheck disable=SC2154 # $code: the test's last HTTP status
notok() {
	n=$((n + 1)); failures=$((failures + 1))
	echo "not ok $n - $*"
	echo "#   HTTP $code: $(head -c 600 "$tmp/body" 2>/dev/null)"
}

api_body='' api_hdr='' api_curl=()
api() {
	local m=$1 p=$2 data=${3:-} args
	shift 3 2>/dev/null || shift $#
	args=(-s -o "${api_body:-$tmp/body}" -w '%{http_code}' -c "$jar" -b "$jar")
	[ -z "$api_hdr" ] || args+=(-D "$api_hdr")
	args+=("${api_curl[@]}")
	if [ "$m" = POST ]; then
		args+=(-H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
			--data-binary "$data")
	fi
	code=$(curl "${args[@]}" "$@" "$base$p")
}
j() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if v is not None else "")' \
		"${api_body:-$tmp/body}" "$1" 2>/dev/null
}
status_note() { echo "want HTTP $1"; }
expect() {
	local d=$1 want=$2 got
	shift 2
	if [ "$code" != "$want" ]; then notok "$d ($(status_note "$want"))"; return; fi
	while [ $# -ge 2 ]; do
		got=$(j "$1")
		case $got in
		*"$2"*) ;;
		*) notok "$d ($1 = '$got', want '$2')"; return ;;
		esac
		shift 2
	done
	ok "$d"
}

# free_port - a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

kcgidm() {
	"$kcgidm_bin" -c "$conf" "$@"
}

# end_child PID - SIGTERM to our child PID, SIGKILL if it still runs 30 s
# later (so a stuck server cannot hang the test's exit); sets
# $end_status to its exit status.
end_child() {
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 1 300); do
		proc_running "$1" || break
		sleep 0.1
	done
	if proc_running "$1"; then
		echo "# $1 ($(tr '\0' ' ' <"/proc/$1/cmdline" | cut -c1-80)) ignored SIGTERM for 30 s: SIGKILL"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	end_status=$?
}

web_stop() {
	if [ -n "$kcgidmd_pid" ]; then
		end_child "$kcgidmd_pid"
		kcgidmd_status=$end_status
		kcgidmd_pid=
	fi
	if [ -n "$sink_pid" ]; then
		end_child "$sink_pid"
		sink_pid=
	fi
	[ -z "$ldapdir" ] || [ ! -d "$ldapdir" ] ||
		bash "$top/scripts/slapd-sandbox" stop "$ldapdir" >/dev/null 2>&1
	if [ -n "$tmp" ] && [ -d "$tmp" ]; then
		if [ -f "$tmp/valgrind.log" ]; then
			mkdir -p "$build/tests/web"
			cp "$tmp/valgrind.log" "$build/tests/web/valgrind.log"
		fi
		rm -rf "$tmp"
	fi
	[ -z "$sinkdir" ] || rm -rf "$sinkdir"
	tmp= sinkdir= ldapdir=
}

# add_web_settings CONF SETTINGS... - the web group, merged with any there.
add_web_settings() {
	local f=$1
	shift
	"$PY" - "$f" "$@" <<'PY'
import re, sys
path, settings = sys.argv[1], sys.argv[2:]
text = open(path, encoding="utf-8").read()
m = re.search(r"^web\s*=\s*\{", text, re.M)
if m is None:
    text += "web = {\n" + "".join("\t%s;\n" % s for s in settings) + "};\n"
else:
    # only the settings the group does not have yet (no duplicates)
    body_end = text.index("};", m.end())
    body = text[m.end():body_end]
    add = [s for s in settings
           if not re.search(r"^\s*%s\s*=" % re.escape(s.split("=")[0].strip()), body, re.M)]
    text = text[:m.end()] + "\n" + "".join("\t%s;\n" % s for s in add) + text[m.end():]
open(path, "w", encoding="utf-8").write(text)
PY
}

web_start() {
	local smtp_port i
	command -v slapd >/dev/null 2>&1 || die "slapd not installed"
	[ -x "$kcgidm_bin" ] || die "no kcgidm at $kcgidm_bin"
	[ -x "$kcgidmd_bin" ] || die "no kcgidmd at $kcgidmd_bin"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/kcg-web.XXXXXX") || die "mktemp"
	ldapdir=$tmp/ldap
	# smtp-sink writes as nobody: its folder is outside the 0700 sandbox
	sinkdir=$(mktemp -d "${TMPDIR:-/tmp}/kcg-websink.XXXXXX") || die "mktemp"
	chmod 777 "$sinkdir"
	smtp_port=$(free_port)
	port=$(free_port)
	base=${WEB_SCHEME:-http}://127.0.0.1:$port
	if [ "$(id -u)" = 0 ]; then
		/usr/sbin/smtp-sink -u nobody -d "$sinkdir/%Y%m%d%H%M%S." \
			"127.0.0.1:$smtp_port" 10 >"$tmp/sink.log" 2>&1 &
	else
		/usr/sbin/smtp-sink -d "$sinkdir/%Y%m%d%H%M%S." \
			"127.0.0.1:$smtp_port" 10 >"$tmp/sink.log" 2>&1 &
	fi
	sink_pid=$!
	KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start \
		"$ldapdir" --smtp-port "$smtp_port" >"$tmp/slapd.out" 2>&1 ||
		{ cat "$tmp/slapd.out"; die "slapd-sandbox start failed"; }
	conf=$ldapdir/kcgidm.conf
	cat >"$tmp/contact.txt" <<'EOF'
聯絡人資訊（測試用）
高雄市政府資訊中心 帳號管理系統 服務台
EOF
	add_web_settings "$conf" "base_url = \"$base\"" "listen_port = $port" \
		"cookie_secure = 0" "static_dir = \"$top/web/static\"" \
		"contact_file = \"$tmp/contact.txt\"" "$@"
	# more groups for the configuration (test_cert.sh: cert = { ... })
	[ -z "${WEB_EXTRA_CONF:-}" ] || printf '%s\n' "$WEB_EXTRA_CONF" >>"$conf"
	kcgidm roster import "$top/etc/sample-roster.csv" >"$tmp/roster.out" 2>&1 ||
		{ cat "$tmp/roster.out"; die "roster import failed"; }
	if [ "${KCGIDMD_VALGRIND:-}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
			--log-file="$tmp/valgrind.log" \
			"$kcgidmd_bin" -c "$conf" --foreground >"$tmp/kcgidmd.log" 2>&1 &
	else
		"$kcgidmd_bin" -c "$conf" --foreground >"$tmp/kcgidmd.log" 2>&1 &
	fi
	kcgidmd_pid=$!
	for i in $(seq 1 200); do
		curl -s -o /dev/null --max-time 10 "$base/healthz" && return 0
		kill -0 "$kcgidmd_pid" 2>/dev/null ||
			{ cat "$tmp/kcgidmd.log"; die "kcgidmd exited"; }
		sleep 0.1
	done
	cat "$tmp/kcgidmd.log"
	die "kcgidmd does not answer on $base"
}

# latest_mail_link PATTERN - the last URL matching PATTERN in the sink.
latest_mail_link() {
	"$PY" - "$sinkdir" "$1" <<'PY'
import email, email.policy, os, re, sys
d, pat = sys.argv[1], sys.argv[2]
found = None
for name in sorted(os.listdir(d), key=lambda n: os.path.getmtime(os.path.join(d, n))):
    p = os.path.join(d, name)
    if not os.path.isfile(p):
        continue
    raw = open(p, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                body = part.get_content()
            except Exception:
                continue
            for m in re.finditer(r"https?://\S+", body):
                if re.search(pat, m.group(0)):
                    found = m.group(0)
print(found or "")
PY
}
