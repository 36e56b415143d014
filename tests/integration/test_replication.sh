#!/bin/sh
# test_replication - kcgidm on two providers in multi-provider replication
# (scripts/slapd-sandbox --replicas 2, ldif/replication/, docs/replication.md).
#
# Real slapd processes on 127.0.0.1 (node A = 1, node B = 2):
#   - an account provisioned on A binds on B (polled, up to 30 s);
#   - A is stopped during a 600-person roster import (fed through a FIFO,
#     half before the stop, half after): the import completes on B, every
#     row is on A or on B (A may not have passed on its last ones before
#     it stopped); once A is back both converge and their slapcat outputs
#     match;
#   - a write whose answer is lost after A applied it (and it replicated)
#     is retried on B, which recognises it as done instead of reporting a
#     conflict (tests/integration/ldap-cut-proxy.py cuts the answer);
#   - the same uid applied for twice at once: kcgidm routes both to the
#     write provider, whose unique overlay admits one; no duplicate on
#     either node;
#   - with B frozen (behind), a uid applied for on A is refused to the next
#     applicant: kcgidm reads where it wrote;
#   - a read-only consumer built with consumer.ldif.in replicates, and
#     forwards a lockout made there to the providers;
#   - Dovecot with both URIs keeps logging users in while A is down.
# Never asserts on how long anything took: waits poll up to 30-60 s.
#
# Exit 0 pass, 1 fail, 77 skip (slapd missing).
# Environment: KCG_TOP_SRCDIR, KCG_TOP_BUILDDIR, as set by make check.

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
skip_slow

people=ou=people,$suffix
roster=ou=roster,$suffix
good='Passw0rd!Good'

skip_without slapd
need ldapsearch ldapwhoami slapcat python3
need_kcgidm

proxy_pid='' consumer_pid=''
sandbox() { bash "$top/scripts/slapd-sandbox" "$@"; }
cleanup() {
	[ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null
	[ -z "$consumer_pid" ] || kill "$consumer_pid" 2>/dev/null
	stop_sandboxes
	rm -rf "$tmp"
}
make_tmp repl

# --- two providers --------------------------------------------------------
KCG_CHECK_MODULE=$checkmod sandbox start "$ldapdir" --replicas 2 >"$tmp/slapd.out" 2>&1 ||
	{ cat "$tmp/slapd.out"; die "slapd-sandbox start --replicas 2 failed"; }
uri() { # uri K - node K's ldapi URI
	printf 'ldapi://%s' "$(printf %s "$ldapdir/ldapi.$1" | sed -e 's|/|%2F|g')"
}
A=$(uri 1) B=$(uri 2)
port_a=$(sed -n 1p "$ldapdir/replicas.ports")
conf=$ldapdir/kcgidm.conf
export KCGIDM_CONF=$conf
admin() { # admin K CMD ARGS... - CMD as the admin on node K
	local k=$1 c=$2
	shift 2
	"$c" -Q -Y EXTERNAL -H "$(uri "$k")" "$@"
}
# conf_for NAME URI... - a copy of kcgidm.conf listing only the URIs given
conf_for() {
	local name=$1 list
	shift
	list=$(printf '"%s", ' "$@")
	sed "s|^\(\s*uri = \[\).*\];|\1 ${list%, } ];|" "$conf" >"$tmp/$name.conf"
	echo "$tmp/$name.conf"
}

check "kcgidm.conf lists both providers, node 1 first" \
	grep -qF "uri = [ \"$A\", \"$B\" ];" "$conf"
check "node 2 received the base DIT by replication" \
	admin 2 ldapsearch -LLL -b "cn=provisioner,ou=services,$suffix" -s base 1.1
check "slapd-sandbox status: both running" sandbox status "$ldapdir"

# --- provision on A, bind on B --------------------------------------------
only_a=$(conf_for only-a "$A")
"$kcgidm" -c "$only_a" roster import "$top/etc/sample-roster.csv" >"$tmp/import0.log" 2>&1 ||
	die "roster import on A failed: $(cat "$tmp/import0.log")"
echo "$good" | "$kcgidm" -c "$only_a" apply --name 王小明 --national-id E123456783 \
	--uid wangxm --accept-privacy 20230307_V1.0 >"$tmp/apply.log" 2>&1 ||
	die "apply on A failed: $(cat "$tmp/apply.log")"
"$kcgidm" -c "$only_a" approve wangxm >>"$tmp/apply.log" 2>&1 ||
	die "approve on A failed: $(cat "$tmp/apply.log")"
printf '%s' "$good" >"$tmp/good.pw"
user_bind() { # user_bind K UID
	ldapwhoami -x -H "$(uri "$1")" -D "uid=$2,$people" -y "$tmp/good.pw"
}
check "provisioned on A, wangxm binds on B within 30 s" poll 30 user_bind 2 wangxm

# --- stop A during a roster import ----------------------------------------
# 600 people with valid IDs (L + 1 + 8 digits with the check digit).
python3 - "$tmp/big.csv" <<'EOF'
import sys
letters = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))
def natid(n):
    body = "L1%07d" % n
    v = letters["L"]
    s = v // 10 + (v % 10) * 9 + sum(int(d) * w for d, w in zip(body[1:], range(8, 0, -1)))
    return body + str((10 - s % 10) % 10)
with open(sys.argv[1], "w") as f:
    f.write("national_id,name,birth_date,category,agency,unit,title,hire_date,account_type,status\n")
    for n in range(600):
        f.write("%s,測試員%03d,70-01-01,職員,高雄市政府資訊中心,系統科,工程師,110-07-15,general,active\n" % (natid(1000000 + n), n))
with open(sys.argv[1] + ".ids", "w") as f:
    f.write("%s\n%s\n" % (natid(1000000), natid(1000001)))
EOF
roster_count() { # roster_count K - kcgRosterRecord entries on node K
	admin "$1" ldapsearch -LLL -b "$roster" -s one '(objectClass=kcgRosterRecord)' 1.1 |
		grep -c '^dn:'
}
at_least() { [ "$("$2" "$3")" -ge "$1" ]; } # at_least N FUNC ARG
equals() { [ "$("$2" "$3")" = "$1" ]; }     # equals VALUE FUNC ARG
base_count=$(roster_count 1)
# The file comes through a FIFO, so that A is stopped in the middle of the
# import however fast the machine is: the first 300 rows are written, A is
# stopped once it has some of them, and only then come the other 300. One
# row at a time on one connection (the defaults would hold rows back for
# a 1,000-row commit).
# The FIFO is opened read-write here first, so that it has a writer before
# kcgidm opens it (a FIFO without one reads as empty); kcgidm does not
# inherit that descriptor (3>&-), so closing it is the end of the file.
mkfifo "$tmp/big.fifo" || die "mkfifo failed"
exec 3<>"$tmp/big.fifo"
"$kcgidm" roster import --batch-size 1 --jobs 1 "$tmp/big.fifo" >"$tmp/import.out" 2>"$tmp/import.err" 3>&- &
import_pid=$!
head -n 301 "$tmp/big.csv" >&3
poll 60 at_least $((base_count + 20)) roster_count 1 >/dev/null ||
	notok "the import started writing to A"
kill -TERM "$(cat "$ldapdir/node1/slapd.pid")" # at once, mid-import
sandbox stop "$ldapdir" --node 1 >"$tmp/stop.out" 2>&1 # waits for the end
check "node 1 (A) stopped" test ! -f "$ldapdir/node1/slapd.pid"
tail -n +302 "$tmp/big.csv" >&3
exec 3>&-
wait "$import_pid"
import_rc=$?
check "the import completes with A gone (exit $import_rc)" test "$import_rc" = 0
if ! grep -q "新增 / added: 600" "$tmp/import.out"; then
	notok "the import reports 600 added"
	sed 's/^/#   /' "$tmp/import.out" "$tmp/import.err"
else
	ok "the import reports 600 added"
fi
check "kcgidm said it failed over to B" grep -q "unavailable, using\|retrying on the next server" "$tmp/import.err"
# Every row is on A or on B: A may have acknowledged the last rows before
# it stopped without passing them on yet (replication is asynchronous);
# it does when it is back (below). A's are read from its database with
# slapcat, since A is down.
roster_dns() { sed -n "s/^dn: \(.*\),$roster\$/\1/p"; }
on_a_or_b=$({
	slapcat -o ldif-wrap=no -F "$ldapdir/node1/slapd.d" -b "$suffix" 2>/dev/null | roster_dns
	admin 2 ldapsearch -o ldif-wrap=no -LLL -b "$roster" -s one '(objectClass=kcgRosterRecord)' 1.1 | roster_dns
} | sort -u | wc -l)
check "every roster record is on A or on B ($(roster_count 2) on B)" test "$on_a_or_b" = $((base_count + 600))
check "wangxm still binds on B with A down" user_bind 2 wangxm

sandbox start "$ldapdir" >"$tmp/restart.out" 2>&1 || { cat "$tmp/restart.out"; die "restarting A failed"; }
check "A catches up: every roster record within 60 s" \
	poll 60 equals $((base_count + 600)) roster_count 1
# slapcat of both, entries and their lines sorted (an entry that two
# servers both added -- a write retried after its first server stopped
# before replicating it -- may list its attributes in another order on
# each), without two kinds of bookkeeping:
#  - contextCSN, which syncprov keeps in memory and writes to disk only at
#    its checkpoints (olcSpCheckpoint), so slapcat shows an older value;
#    the live values are compared below with ldapsearch;
#  - the replicator's pwdLastSuccess and its entryCSN/modify stamps: each
#    node's syncrepl binds to the other, and every bind is a write
#    (olcLastBind), so that one entry keeps changing.
dump() { # dump K - node K's data
	slapcat -F "$ldapdir/node$1/slapd.d" -b "$suffix" -o ldif-wrap=no 2>/dev/null |
		sed '/^dn: cn=replicator,/,/^$/{/^pwdLastSuccess:\|^modifyTimestamp:\|^modifiersName:\|^entryCSN:/d}' |
		grep -v '^contextCSN:' |
		python3 -c 'import sys
def entry(block):  # dn first, then the lines sorted: the order of
    dn, *rest = block.split("\n")  # attributes and values is not data
    return "\n".join([dn] + sorted(rest))
print("\n\n".join(sorted(entry(b) for b in sys.stdin.read().strip().split("\n\n"))))'
}
same_data() {
	dump 1 >"$tmp/a.ldif"
	dump 2 >"$tmp/b.ldif"
	roster_count 1 >/dev/null && cmp -s "$tmp/a.ldif" "$tmp/b.ldif"
}
if poll 60 same_data; then
	ok "after A is back, slapcat of A and B match"
else
	notok "after A is back, slapcat of A and B match"
	diff "$tmp/a.ldif" "$tmp/b.ldif" | head -n 40 | sed 's/^/#   /'
fi
# contextCSN: the same vector on both once converged
csn() { admin "$1" ldapsearch -LLL -b "$suffix" -s base contextCSN | grep '^contextCSN' | sort; }
same_csn() { [ "$(csn 1)" = "$(csn 2)" ]; }
check "A and B have the same contextCSN" poll 30 same_csn

# --- a write retried after the server took it -----------------------------
proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$top/tests/integration/ldap-cut-proxy.py" "$proxy_port" "$port_a" "$B" >"$tmp/proxy.out" 2>&1 &
proxy_pid=$!
poll 10 grep -q listening "$tmp/proxy.out" || die "the proxy did not start: $(cat "$tmp/proxy.out")"
via_proxy=$(conf_for proxy "ldap://127.0.0.1:$proxy_port" "$B")
head -n 1 "$top/etc/sample-roster.csv" >"$tmp/one.csv"
python3 - "$tmp/one.csv" <<'EOF'
import sys
letters = {"L": 20}
body = "L19999999"
s = 2 + 0 * 9 + sum(int(d) * w for d, w in zip(body[1:], range(8, 0, -1)))
with open(sys.argv[1], "a") as f:
    f.write("%s%d,重試員,70-01-01,職員,高雄市政府資訊中心,系統科,工程師,110-07-15,general,active\n" % (body, (10 - s % 10) % 10))
EOF
"$kcgidm" -c "$via_proxy" roster import "$tmp/one.csv" >"$tmp/retry.out" 2>"$tmp/retry.err"
retry_rc=$?
kill "$proxy_pid" 2>/dev/null # gone already, unless no add ever came
wait "$proxy_pid"
proxy_pid=
check "the proxy lost the answer to an add A had applied" grep -q "^cut kcgNationalIdHash=" "$tmp/proxy.out"
if [ "$retry_rc" = 0 ] && grep -q "新增 / added: 1" "$tmp/retry.out"; then
	ok "the add retried on B counts as done (no conflict)"
else
	notok "the add retried on B counts as done (no conflict): exit $retry_rc"
	sed 's/^/#   /' "$tmp/retry.out" "$tmp/retry.err"
fi
check "kcgidm recognised its own earlier write" grep -q "already applied before the failover" "$tmp/retry.err"
check "A and B agree on the record after the retry" poll 30 same_data

# --- the same uid, applied for twice at once ------------------------------
apply_as() { # apply_as NAME ID OUT - apply for uid samename with the usual conf
	echo "$good" | "$kcgidm" apply --name "$1" --national-id "$2" --uid samename \
		--accept-privacy 20230307_V1.0 >"$3" 2>&1
	echo $? >"$3.rc"
}
apply_as 陳美玲 E223456712 "$tmp/same1" &
p1=$!
apply_as 林志豪 S102938478 "$tmp/same2" &
p2=$!
wait "$p1" "$p2"
rcs="$(cat "$tmp/same1.rc") $(cat "$tmp/same2.rc")"
check "concurrent applications for one uid: one succeeds, one is refused (exit 3) [$rcs]" \
	test "$rcs" = "0 3" -o "$rcs" = "3 0"
same_count() { admin "$1" ldapsearch -LLL -b "$people" -s one '(uid=samename)' 1.1 | grep -c '^dn:'; }
lagging_count() { admin "$1" ldapsearch -LLL -b "$people" -s one '(uid=lagging)' 1.1 | grep -c '^dn:'; }
check "A has one samename" test "$(same_count 1)" = 1
check "B has one samename" poll 30 equals 1 same_count 2
check "A and B agree after the concurrent applications" poll 30 same_data

# --- a provider that is behind ---------------------------------------------
# B is frozen (SIGSTOP): it cannot have anything written after this. Two
# people apply for one uid in turn; the second must be refused although B
# has not seen the first. kcgidm never reads from B while A answers
# (read-your-writes on the write provider).
id0=$(sed -n 1p "$tmp/big.csv.ids") id1=$(sed -n 2p "$tmp/big.csv.ids")
kill -STOP "$(cat "$ldapdir/node2/slapd.pid")"
echo "$good" | "$kcgidm" apply --name 測試員000 --national-id "$id0" --uid lagging \
	--accept-privacy 20230307_V1.0 >"$tmp/lag1" 2>&1
lag1=$?
echo "$good" | "$kcgidm" apply --name 測試員001 --national-id "$id1" --uid lagging \
	--accept-privacy 20230307_V1.0 >"$tmp/lag2" 2>&1
lag2=$?
kill -CONT "$(cat "$ldapdir/node2/slapd.pid")"
check "with B behind, the first application for 'lagging' succeeds" test "$lag1" = 0
check "with B behind, the second is refused (exit 3, not a duplicate)" test "$lag2" = 3
check "B, caught up, has one 'lagging'" poll 30 equals 1 lagging_count 2
check "A and B agree after B caught up" poll 30 same_data

# --- a read-only consumer (ldif/replication/consumer.ldif.in) ---------------
# Built like a provider from ldif/config.ldif.in (the sandbox's node 1
# copy, with the consumer's own paths), no data, then consumer.ldif
# applied online as an admin would.
cdir=$ldapdir/consumer
mkdir -p "$cdir/slapd.d" "$cdir/data"
sed "s|$ldapdir/node1|$cdir|g" "$ldapdir/node1/config.ldif" >"$cdir/config.ldif"
slapadd -q -n0 -F "$cdir/slapd.d" -l "$cdir/config.ldif" >"$tmp/consumer.log" 2>&1 ||
	die "consumer: slapadd failed: $(cat "$tmp/consumer.log")"
C=ldapi://$(printf %s "$cdir/ldapi" | sed -e 's|/|%2F|g')
setsid slapd -F "$cdir/slapd.d" -h "$C" -d none >>"$tmp/consumer.log" 2>&1 </dev/null &
consumer_pid=$!
poll 30 ldapwhoami -Q -Y EXTERNAL -H "$C" >/dev/null || die "consumer: slapd does not answer"
sed -e "s|@SUFFIX@|$suffix|g" -e "s|@PROVIDER_URI@|ldap://127.0.0.1:$port_a|g" \
	-e "s|@REPLICATOR_SECRET@|$(cat "$ldapdir/replicator.secret")|g" -e "s|@TLS@||g" \
	"$top/ldif/replication/consumer.ldif.in" >"$cdir/consumer.ldif"
check "consumer.ldif applies online" ldapmodify -Q -Y EXTERNAL -H "$C" -f "$cdir/consumer.ldif"
on_consumer() { ldapsearch -Q -Y EXTERNAL -H "$C" -LLL -s base -b "uid=$1,$people" 1.1; }
check "the consumer receives the accounts" poll 30 on_consumer lagging
check "a user binds on the consumer" \
	ldapwhoami -x -H "$C" -D "uid=lagging,$people" -y "$tmp/good.pw"
printf '%s' 'Wr0ng!Passw0rd' >"$tmp/bad.pw"
for i in 1 2 3 4 5; do
	ldapwhoami -x -H "$C" -D "uid=lagging,$people" -y "$tmp/bad.pw" >/dev/null 2>&1
done
locked_on() { # locked_on K - node K has lagging's pwdAccountLockedTime
	admin "$1" ldapsearch -LLL -s base -b "uid=lagging,$people" pwdAccountLockedTime |
		grep -q '^pwdAccountLockedTime:'
}
check "5 wrong passwords on the consumer lock the account on A" poll 30 locked_on 1
check "... and on B" poll 30 locked_on 2
bind_refused_b() {
	! ldapwhoami -x -H "$B" -D "uid=lagging,$people" -y "$tmp/good.pw"
}
check "the right password is then refused on B too" bind_refused_b
kill "$consumer_pid"
consumer_pid=

# --- Dovecot with both URIs -----------------------------------------------
if command -v doveadm >/dev/null 2>&1 && command -v dovecot >/dev/null 2>&1; then
	bash "$top/scripts/dovecot-sandbox" start "$dovedir" --ldap-uri "$A $B" \
		--bind-secret "$ldapdir/dovecot.secret" --suffix "$suffix" >"$tmp/dovecot.out" 2>&1 ||
		{ cat "$tmp/dovecot.out"; die "dovecot-sandbox start failed"; }
	check "Dovecot's passdb lists both providers" \
		grep -qF "uris = $A $B" "$dovedir/conf/kcgidm-ldap-passdb.conf.ext"
	dove_auth() { doveadm -c "$dovedir/dovecot.conf" auth test wangxm "$good"; }
	admin 1 ldapmodify >/dev/null <<EOF || die "cannot enable wangxm's mailbox"
dn: uid=wangxm,$people
changetype: modify
replace: kcgMailEnabled
kcgMailEnabled: TRUE
-
replace: kcgMail
kcgMail: wangxm@kcg.gov.tw
EOF
	check "Dovecot logs wangxm in with both providers up" poll 30 dove_auth
	sandbox stop "$ldapdir" --node 1 >/dev/null 2>&1
	check "Dovecot logs wangxm in with A down" poll 30 dove_auth
	sandbox start "$ldapdir" >/dev/null 2>&1 || die "restarting A failed"
else
	ok "# SKIP Dovecot with both URIs: doveadm not installed"
fi

echo "1..$n"
[ "$failures" = 0 ]
