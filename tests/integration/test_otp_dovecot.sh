#!/bin/sh
# test_otp_dovecot - 動態密碼 for a consumer that binds: Dovecot with the
# shipped passdb (auth_bind = yes) against a real slapd with the otp
# overlay. Once wangxm is enrolled, `doveadm auth test` refuses the
# password alone and accepts the password followed by the code (computed
# by oathtool from the secret enroll printed), once; linzh, not enrolled,
# logs in with the password as before; after `kcgidm otp disable` the
# password alone works again.
#
# Exit 0 pass, 1 fail, 77 skip (doveadm or oathtool missing).
# Environment: KCG_TOP_SRCDIR, KCG_TOP_BUILDDIR, as set by make check.

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
skip_slow

good='Passw0rd!Good'

skip_without doveadm oathtool
need dovecot slapd python3
need_kcgidm

make_tmp otp-dovecot

start_directory
cli() { "$kcgidm" "$@" 2>>"$tmp/cli.log"; }

cli roster import "$top/etc/sample-roster.csv" >/dev/null || die "roster import: $(cat "$tmp/cli.log")"
for a in "王小明 E123456783 wangxm" "林志豪 S102938478 linzh"; do
	set -- $a
	echo "$good" | cli apply --name "$1" --national-id "$2" --uid "$3" \
		--accept-privacy 20230307_V1.0 --mail --accept-mail-rules \
		KCG-MAIL-RULES_V1.0 --recovery-mail a@example.com >/dev/null &&
		cli approve "$3" >/dev/null || die "account $3: $(tail -n 5 "$tmp/cli.log")"
done
secret=$(cli --json otp enroll wangxm | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
[ ${#secret} = 32 ] || die "otp enroll: $(tail -n 5 "$tmp/cli.log")"

imap_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash "$top/scripts/dovecot-sandbox" start "$dovedir" --ldap-uri "$ldapi" \
	--bind-secret "$ldapdir/dovecot.secret" --suffix "$suffix" \
	--imap-port "$imap_port" >"$tmp/dovecot.out" 2>&1 ||
	{ cat "$tmp/dovecot.out"; die "dovecot-sandbox start failed"; }
conf=$dovedir/dovecot.conf

# auth_is WANT USER PASSWORD - doveadm auth test exits 0 (ok) or 77 (failed)
auth_is() {
	local want=$1 rc
	doveadm -c "$conf" auth test -x no-penalty=1 "$2" "$3" >"$tmp/auth.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { cat "$tmp/auth.out"; echo "exit $rc, wanted $want"; return 1; }
}
code=$(oathtool --totp -b "$secret")
check "dovecot: enrolled wangxm, the password alone is refused" auth_is 77 wangxm "$good"
check "dovecot: wangxm with password + code logs in" auth_is 0 wangxm "$good$code"
check "dovecot: the same code again is refused" auth_is 77 wangxm "$good$code"
check "dovecot: linzh without a token logs in with the password" auth_is 0 linzh "$good"
check "kcgidm otp disable wangxm" cli otp disable wangxm
check "dovecot: after disable, wangxm logs in with the password" auth_is 0 wangxm "$good"

echo "1..$n"
[ "$failures" = 0 ]
