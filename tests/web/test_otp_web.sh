#!/bin/sh
# test_otp_web - 動態密碼 on kcgidmd's sign-in, against a real slapd with
# the otp overlay: with otp.enabled the page has the code field, and the
# JSON sign-in binds with the password followed by the code -- computed by
# oathtool from the secret `kcgidm otp enroll` printed, so neither kcgidm
# nor slapd checks itself. An account without a token still signs in with
# the password alone.
#
# Exit 0 pass, 1 fail, 77 skip (curl, smtp-sink or oathtool missing).

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/web/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/web/lib.sh"
skip_without curl /usr/sbin/smtp-sink oathtool

trap web_stop EXIT
trap 'exit 1' HUP INT TERM

WEB_EXTRA_CONF='otp = { enabled = 1; };'
web_start
jar=$tmp/jar
wang='Wang2024pass!' lin='Lin2024pass!x'

session() {
	rm -f "$jar"
	api GET /api/v1/session
	csrf=$(j 'd["csrf_token"]')
}
# login UID PASSWORD [CODE] - POST /api/v1/login in a fresh session
login() {
	session
	api POST /api/v1/login '{"uid":"'"$1"'","password":"'"$2"'","otp":"'"${3:-}"'"}'
}
# account NAME ID UID PASSWORD - apply with the CLI and approve
account() {
	printf '%s\n' "$4" | kcgidm apply --name "$1" --national-id "$2" --uid "$3" \
		--accept-privacy 20230307_V1.0 >"$tmp/apply.out" 2>&1 &&
		kcgidm approve "$3" >>"$tmp/apply.out" 2>&1 ||
		{ cat "$tmp/apply.out"; die "account $3"; }
}

account 王小明 E123456783 wangxm "$wang"
account 林志豪 S102938478 linzh "$lin"
secret=$(kcgidm --json otp enroll wangxm | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
[ ${#secret} = 32 ] && ok "kcgidm otp enroll wangxm prints a 32-character secret" ||
	{ code=-; notok "enroll: '$secret'"; }

code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$base/")
[ "$code" = 200 ] && grep -q 'name="otp"' "$tmp/body" && grep -q '動態密碼' "$tmp/body" &&
	ok "the sign-in page has the 動態密碼 field" || notok "no otp field on the sign-in page"

login wangxm "$wang"
[ "$code" = 401 ] && ok "an enrolled account: the password alone is refused" || notok "password alone"
login wangxm "$wang" 12ab56
[ "$code" = 400 ] && [ -n "$(j 'd["fields"]["otp"]')" ] &&
	ok "a code that is not 6 digits is a field error" || notok "malformed code"
now=$(oathtool --totp -b "$secret")
login wangxm "$wang" "$now"
[ "$code" = 200 ] && [ "$(j 'd["uid"]')" = wangxm ] &&
	ok "password + oathtool's code signs in" || notok "password + code"
api GET /api/v1/account
[ "$code" = 200 ] && ok "signed in: the account page answers" || notok "account page"
login wangxm "$wang" "$now"
[ "$code" = 401 ] && ok "the same code again is refused (replay)" || notok "replay"
login linzh "$lin"
[ "$code" = 200 ] && ok "an account without a token signs in with the password alone" ||
	notok "plain sign-in"

echo "1..$n"
[ "$failures" = 0 ]
