#!/bin/sh
# test_cert - 自然人憑證驗證 (docs/citizen-certificate.md) against a real
# slapd and over real TLS.
#
# A test PKI is made at run time with certtool: a root and a MOICA-shaped
# intermediate (C=TW, O=行政院, OU=內政部憑證管理中心), holder certificates
# with MOICA-shaped subjects (C=TW, CN=<name>, serialNumber=<...last four
# digits of the national ID>), one expired, one revoked by the
# intermediate's CRL, one from another CA, one with a name the roster does
# not have; a stale CRL and a CRL from the wrong CA; a server certificate
# for kcgidmd.
#
# The CLI: kcgidm verify --cert for each case (exit status and message),
# apply --cert and show (驗證方式 recorded in the directory), the
# configuration checks. kcgidmd serving HTTPS itself with client
# certificates, driven by curl --cert: the application page, the API's
# verify-cert for each case, a whole application that ends in the receipt
# with 驗證方式：自然人憑證驗證, certificate sign-in, the HTML forms, and the
# proxy's certificate header.
#
# OCSP (cert.ocsp_url): an `openssl ocsp` responder on the loopback, signing
# with a responder certificate the intermediate delegated OCSP signing to,
# from an openssl index that lists one holder as revoked who is not in the
# CRL: good passes, revoked-at-the-responder is refused, the responder down
# is refused (fail closed), without cert.ocsp_url nothing changes.
#
# Exit 0 pass, 1 fail, 77 skip (certtool, openssl, curl or smtp-sink missing).

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/web/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/web/lib.sh"
skip_without certtool openssl curl /usr/sbin/smtp-sink
command -v python3 >/dev/null 2>&1 || die "python3 missing"

pki=$(mktemp -d "${TMPDIR:-/tmp}/kcg-pki.XXXXXX") || die "mktemp"
ocsp_pid=
cleanup() {
	[ -n "$ocsp_pid" ] && kill "$ocsp_pid" 2>/dev/null
	web_stop
	rm -rf "$pki"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# not ok, with the start of the last reply (in $out)
notok() {
	n=$((n + 1)); failures=$((failures + 1))
	echo "not ok $n - $*"
	echo "#   $(head -c 600 "$out" 2>/dev/null)"
}
out=$pki/out

# --- the test PKI ------------------------------------------------------------
# key NAME - an ECDSA key NAME.key
key() {
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$pki/$1.key" 2>/dev/null || die "certtool: key $1"
}
# tmpl LINES... - the certtool template
tmpl() { printf '%s\n' "$@" >"$pki/t.tmpl"; }
# issue NAME CA - NAME.pem from the template, signed by CA
issue() {
	certtool --generate-certificate --load-privkey "$pki/$1.key" \
		--load-ca-certificate "$pki/$2.pem" --load-ca-privkey "$pki/$2.key" \
		--template "$pki/t.tmpl" --outfile "$pki/$1.pem" 2>"$pki/certtool.err" ||
		{ cat "$pki/certtool.err"; die "certtool: certificate $1"; }
}
selfsign() {
	certtool --generate-self-signed --load-privkey "$pki/$1.key" \
		--template "$pki/t.tmpl" --outfile "$pki/$1.pem" 2>/dev/null ||
		die "certtool: self-signed $1"
}
# holder NAME CN SERIALNUMBER CA [TEMPLATE LINES...] - a MOICA-shaped leaf
holder() {
	local name=$1 cn=$2 sn=$3 ca=$4
	shift 4
	key "$name"
	tmpl "dn = \"C=TW,CN=$cn,serialNumber=$sn\"" tls_www_client signing_key \
		"$@"
	issue "$name" "$ca"
}

key root
tmpl 'dn = "C=TW,O=Government Root Certification Authority (test)"' ca \
	cert_signing_key crl_signing_key 'expiration_days = 3650'
selfsign root
key moica
tmpl 'dn = "C=TW,O=行政院,OU=內政部憑證管理中心 (test)"' ca cert_signing_key \
	crl_signing_key 'expiration_days = 3650'
issue moica root
key other
tmpl 'dn = "C=TW,O=Some Other CA (test)"' ca cert_signing_key crl_signing_key \
	'expiration_days = 3650'
selfsign other
# 王小明 E123456783, 陳美玲 E223456712, 林志豪 S102938478 (sample roster)
holder valid 王小明 0000000000006783 moica 'expiration_days = 365'
holder expired 王小明 6783 moica 'activation_date = "2019-01-01 00:00:00"' \
	'expiration_date = "2020-01-01 00:00:00"'
holder revoked 王小明 6783 moica 'expiration_days = 365'
holder wrongca 王小明 6783 other 'expiration_days = 365'
holder othername 王大明 6783 moica 'expiration_days = 365'
holder chen 陳美玲 0000000000006712 moica 'expiration_days = 365'
holder lin 林志豪 8478 moica 'expiration_days = 365'
# revoked at the OCSP responder only, not in the CRL
holder ocsprev 王小明 6783 moica 'expiration_days = 365'
# the responder's certificate: OCSP signing delegated by the intermediate
key ocspsigner
tmpl 'dn = "C=TW,CN=MOICA OCSP responder (test)"' signing_key ocsp_signing_key \
	'expiration_days = 365'
issue ocspsigner moica
# index.txt - the openssl CA database the responder answers from
# (status, expiry, revocation date, serial in BN_bn2hex form, file, subject)
index_line() {
	local st=$1 f=$2 rev=${3:-} ser
	ser=$(openssl x509 -in "$pki/$f.pem" -noout -serial | sed 's/^serial=//')
	ser=$("$PY" -c 'import sys; h="%X" % int(sys.argv[1], 16); print(h if len(h) % 2 == 0 else "0" + h)' "$ser")
	printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$st" 301231235959Z "$rev" "$ser" "/CN=$f"
}
tmpl 'crl_next_update = 30' 'crl_number = 1'
certtool --generate-crl --load-ca-privkey "$pki/moica.key" \
	--load-ca-certificate "$pki/moica.pem" --load-certificate "$pki/revoked.pem" \
	--template "$pki/t.tmpl" --outfile "$pki/moica.crl" 2>/dev/null || die "certtool: CRL"
tmpl 'crl_this_update_date = "2020-01-01 00:00:00"' \
	'crl_next_update_date = "2020-02-01 00:00:00"' 'crl_number = 2'
certtool --generate-crl --load-ca-privkey "$pki/moica.key" \
	--load-ca-certificate "$pki/moica.pem" --template "$pki/t.tmpl" \
	--outfile "$pki/stale.crl" 2>/dev/null || die "certtool: stale CRL"
tmpl 'crl_next_update = 30' 'crl_number = 1'
certtool --generate-crl --load-ca-privkey "$pki/other.key" \
	--load-ca-certificate "$pki/other.pem" --template "$pki/t.tmpl" \
	--outfile "$pki/other.crl" 2>/dev/null || die "certtool: other CRL"
cat "$pki/root.pem" "$pki/moica.pem" >"$pki/ca-bundle.pem"
# the server side of kcgidmd's own TLS
key srvca
tmpl 'dn = "CN=kcgidm test server CA"' ca cert_signing_key 'expiration_days = 365'
selfsign srvca
key server
tmpl 'dn = "CN=127.0.0.1"' 'ip_address = "127.0.0.1"' tls_www_server \
	signing_key encryption_key 'expiration_days = 365'
issue server srvca
{
	index_line V valid
	index_line V chen
	index_line R ocsprev 240101000000Z
} >"$pki/index.txt"
chmod 600 "$pki"/*.key
chmod 755 "$pki"
chmod 644 "$pki"/*.pem "$pki"/*.crl
export CURL_CA_BUNDLE=$pki/srvca.pem

# --- the directory and kcgidmd over HTTPS --------------------------------------
WEB_SCHEME=https
WEB_EXTRA_CONF="cert = {
	ca_file = \"$pki/ca-bundle.pem\";
	crl_file = \"$pki/moica.crl\";
};"
web_start "tls_cert_file = \"$pki/server.pem\"" \
	"tls_key_file = \"$pki/server.key\"" "rate_limit = 100"

# --- the CLI -------------------------------------------------------------------
# cli DESC STATUS TEXT ARGS... - kcgidm ARGS exits STATUS and says TEXT
cli() {
	local d=$1 want=$2 text=$3 st
	shift 3
	kcgidm "$@" >"$out" 2>&1
	st=$?
	if [ "$st" != "$want" ]; then
		notok "$d (exit $st, want $want)"
	elif ! grep -qF -- "$text" "$out"; then
		notok "$d (no \"$text\")"
	else
		ok "$d"
	fi
}
cli "verify --cert: a valid certificate shows the 人員資訊" 0 "姓名: 王小明" \
	verify --cert "$pki/valid.pem" --national-id E123456783
grep -qF "以上資料均正確，我要申請帳號" "$out" && grep -qF "所屬機關: 仁武高級中學" "$out" &&
	ok "verify --cert: the same output as 個人資料驗證" || notok "verify --cert output"
kcgidm verify --name 王小明 --national-id E123456783 >"$pki/personal.out" 2>&1
cmp -s "$out" "$pki/personal.out" && ok "verify --cert and verify --name print the same" ||
	notok "verify outputs differ"
cli "verify --cert: expired (exit 2)" 2 "憑證已過期" \
	verify --cert "$pki/expired.pem" --national-id E123456783
cli "verify --cert: revoked by the CRL (exit 2)" 2 "憑證已廢止" \
	verify --cert "$pki/revoked.pem" --national-id E123456783
cli "verify --cert: another CA (exit 2)" 2 "非由信任的憑證機構簽發" \
	verify --cert "$pki/wrongca.pem" --national-id E123456783
cli "verify --cert: a name the roster lacks (exit 4, the roster's answer)" 4 \
	"查無符合的在職人員資料" verify --cert "$pki/othername.pem" --national-id E123456783
cli "verify --cert: the typed ID's last four digits differ (exit 2)" 2 \
	"身分證字號與憑證不符" verify --cert "$pki/valid.pem" --national-id E223456712
cli "verify --cert: a bad ID checksum (exit 2)" 2 "檢查碼" \
	verify --cert "$pki/valid.pem" --national-id E123456780
cli "verify --cert: not a certificate (exit 2)" 2 "PEM" \
	verify --cert "$pki/moica.crl" --national-id E123456783
cli "verify: --cert and --name together is a usage error" 1 "usage" \
	verify --cert "$pki/valid.pem" --name 王小明 --national-id E123456783
cat "$pki/valid.pem" "$pki/moica.pem" >"$pki/chain.pem"
cli "verify --cert: a leaf plus its intermediate verifies too" 0 "姓名: 王小明" \
	verify --cert "$pki/chain.pem" --national-id E123456783

printf 'Passw0rd!Good\n' >"$pki/pw"
cli "apply --cert: the receipt says 驗證方式：自然人憑證驗證" 0 \
	"帳號申請單(已通過); 驗證方式：自然人憑證驗證" apply --cert "$pki/lin.pem" \
	--national-id S102938478 --uid linzh --accept-privacy 20230307_V1.0 \
	--password-file "$pki/pw"
cli "show: 驗證方式 自然人憑證驗證" 0 "驗證方式 / verification: 自然人憑證驗證" show linzh
kcgidm --json show linzh >"$out" 2>&1
[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kcgVerificationMethod"])' "$out")" = citizen-certificate ] &&
	ok "the directory holds kcgVerificationMethod: citizen-certificate" ||
	notok "kcgVerificationMethod"

kcgidm log linzh >"$out" 2>&1
grep -qF "verified: citizen-certificate" "$out" &&
	ok "the audit log says how linzh was verified" || notok "audit note"

# other configurations, with the same directory
conf_with() {
	sed '/^cert = {/,/^};/d' "$conf" >"$pki/alt.conf"
	printf '%s\n' "$1" >>"$pki/alt.conf"
}
altcli() {
	local d=$1 want=$2 text=$3 st
	shift 3
	"$kcgidm_bin" -c "$pki/alt.conf" "$@" >"$out" 2>&1
	st=$?
	[ "$st" = "$want" ] && grep -qF -- "$text" "$out" && ok "$d" ||
		notok "$d (exit $st, want $want)"
}
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/stale.crl\"; };"
altcli "a CRL past its nextUpdate fails closed" 2 "憑證廢止清冊已過期" \
	verify --cert "$pki/valid.pem" --national-id E123456783
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/other.crl\"; };"
altcli "a CRL from a CA outside cert.ca_file is refused" 2 "CRL is not signed" \
	verify --cert "$pki/valid.pem" --national-id E123456783
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; };"
altcli "cert.ca_file without cert.crl_file is a configuration error" 2 \
	"ca_file and crl_file go together" verify --cert "$pki/valid.pem" --national-id E123456783
conf_with ""
altcli "without cert.ca_file the method is off (exit 5)" 5 "not configured" \
	verify --cert "$pki/valid.pem" --national-id E123456783

# --- OCSP (cert.ocsp_url) ------------------------------------------------------
# responder SIGNER - an openssl ocsp responder signing as SIGNER on $oport
responder() {
	oport=$(free_port)
	openssl ocsp -index "$pki/index.txt" -port "$oport" -CA "$pki/moica.pem" \
		-rsigner "$pki/$1.pem" -rkey "$pki/$1.key" -ndays 1 \
		-ignore_err >>"$pki/ocsp.log" 2>&1 &
	ocsp_pid=$!
	for i in $(seq 1 100); do
		# a real query: a connection that sends nothing wedges the responder
		openssl ocsp -issuer "$pki/moica.pem" -cert "$pki/valid.pem" \
			-url "http://127.0.0.1:$oport/" -CAfile "$pki/ca-bundle.pem" \
			-VAfile "$pki/$1.pem" -timeout 5 >/dev/null 2>&1 && break
		kill -0 "$ocsp_pid" 2>/dev/null || break
		sleep 0.1
	done
}
responder_stop() {
	kill "$ocsp_pid" 2>/dev/null
	wait "$ocsp_pid" 2>/dev/null
	ocsp_pid=
}
# a holder certificate without OCSP signing: its answers are no answers
responder lin
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/moica.crl\";
	ocsp_url = \"http://127.0.0.1:$oport/\"; };"
altcli "OCSP: an answer signed by a certificate without OCSP signing is refused" 2 \
	"signature does not verify" verify --cert "$pki/valid.pem" --national-id E123456783
responder_stop
responder ocspsigner
ocsp_conf="cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/moica.crl\";
	ocsp_url = \"http://127.0.0.1:$oport/\"; ocsp_timeout = 5; };"
conf_with "$ocsp_conf"
altcli "OCSP: a certificate the responder says is good passes" 0 "姓名: 王小明" \
	verify --cert "$pki/valid.pem" --national-id E123456783
altcli "OCSP: a leaf plus its intermediate passes too" 0 "姓名: 王小明" \
	verify --cert "$pki/chain.pem" --national-id E123456783
altcli "OCSP: revoked at the responder, not in the CRL, is refused (exit 2)" 2 \
	"憑證已被廢止 (OCSP)" verify --cert "$pki/ocsprev.pem" --national-id E123456783
altcli "OCSP: revoked in the CRL is still refused by the CRL" 2 "憑證已廢止" \
	verify --cert "$pki/revoked.pem" --national-id E123456783
altcli "OCSP: a certificate the responder does not list is refused" 2 \
	"does not know the certificate" verify --cert "$pki/lin.pem" --national-id S102938478
altcli "OCSP: apply --cert with a revoked certificate is refused" 2 "revoked (OCSP)" \
	apply --cert "$pki/ocsprev.pem" --national-id E123456783 --uid wangxm \
	--accept-privacy 20230307_V1.0 --password-file "$pki/pw"
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/moica.crl\"; };"
altcli "without cert.ocsp_url, only the CRL counts (unchanged)" 0 "姓名: 王小明" \
	verify --cert "$pki/ocsprev.pem" --national-id E123456783
conf_with "cert = { ca_file = \"$pki/ca-bundle.pem\"; crl_file = \"$pki/moica.crl\";
	ocsp_url = \"https://127.0.0.1:$oport/\"; };"
altcli "cert.ocsp_url must be http:// (a configuration error)" 2 \
	"must be an http:// URL" verify --cert "$pki/valid.pem" --national-id E123456783
conf_with "cert = { ocsp_url = \"http://127.0.0.1:$oport/\"; };"
altcli "cert.ocsp_url without cert.ca_file is a configuration error" 2 \
	"needs cert.ca_file" verify --cert "$pki/valid.pem" --national-id E123456783

# --- kcgidmd over HTTPS ----------------------------------------------------------
jar=$pki/jar
api_body=$out
status_note() { echo "HTTP $code, want $1"; }
# with NAME - curl arguments presenting holder NAME's certificate
with() { echo --cert "$pki/$1.pem" --key "$pki/$1.key"; }

code=$(curl -s -o "$out" -w '%{http_code}' "$base/healthz")
[ "$code" = 200 ] && ok "kcgidmd answers over HTTPS without a client certificate" ||
	notok "HTTPS /healthz ($code)"
code=$(curl -s -o "$out" -w '%{http_code}' "$base/apply")
[ "$code" = 200 ] && grep -qF 'href="/apply/cert"' "$out" &&
	ok "申請帳號 offers 自然人憑證驗證 when configured" || notok "apply page"
api GET /api/v1/session
csrf=$(j 'd["csrf_token"]')
api GET /api/v1/apply
expect "GET /api/v1/apply lists the methods" 200 \
	'[m["enabled"] for m in d["methods"] if m["id"]=="citizen-certificate"][0]' True \
	'[m["enabled"] for m in d["methods"] if m["id"]=="mobile-citizen-certificate"][0]' False

api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}'
expect "verify-cert without a client certificate" 400 'd["code"]' no_certificate
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' $(with expired)
expect "verify-cert: expired" 400 'd["message"]' 憑證已過期
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' $(with revoked)
expect "verify-cert: revoked" 400 'd["message"]' 憑證已廢止
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' $(with wrongca)
expect "verify-cert: another CA" 400 'd["message"]' 非由信任的憑證機構簽發
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' $(with othername)
expect "verify-cert: a name the roster lacks" 404 'd["message"]' 查無符合的在職人員資料
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E223456712"}' $(with valid)
expect "verify-cert: the ID's last four digits differ" 400 'd["message"]' 身分證字號與憑證不符
api POST /api/v1/apply/confirm '{"confirm":true}'
expect "a refused certificate verifies nobody" 409 'd["code"]' not_verified
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' $(with valid)
expect "verify-cert: a valid certificate shows the 人員資訊" 200 'd["hr"]["name"]' 王小明 \
	'd["hr"]["agency"]' 仁武高級中學 'd["verification"]' 自然人憑證驗證

# a whole application with 陳美玲's certificate
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"e223456712"}' $(with chen)
expect "陳美玲 verifies with her certificate" 200 'd["hr"]["name"]' 陳美玲
api POST /api/v1/apply/confirm '{"confirm":true}'
expect "以上資料均正確，我要申請帳號" 200 'd["hr"]["name"]' 陳美玲
api GET /api/v1/consent/privacy
api POST /api/v1/apply/consent '{"document":"privacy","agree":true}'
expect "同意 the privacy notice" 200 'd["consent"]["agreed"]' True
api POST /api/v1/apply/uid-check '{"uid":"chenml"}'
expect "檢查重複: 通過" 200 'd["result"]' 通過
api POST /api/v1/apply '{"uid":"chenml","password":"Passw0rd!Good","password_confirm":"Passw0rd!Good","want_mail":false}'
expect "提出申請: 帳號申請單(已通過); 驗證方式：自然人憑證驗證" 200 \
	'd["receipt"]["form"]' "帳號申請單(已通過); 驗證方式：自然人憑證驗證" \
	'd["receipt"]["verification"]' 自然人憑證驗證 'd["receipt"]["method"]' citizen-certificate
code=$(curl -s -o "$out" -w '%{http_code}' -c "$jar" -b "$jar" "$base/apply/receipt")
[ "$code" = 200 ] && grep -qF "驗證方式：自然人憑證驗證" "$out" &&
	ok "the receipt page shows 驗證方式：自然人憑證驗證" || notok "receipt page"
kcgidm --json show chenml >"$out" 2>&1
[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kcgVerificationMethod"])' "$out")" = citizen-certificate ] &&
	ok "slapd holds kcgVerificationMethod: citizen-certificate for chenml" ||
	notok "chenml's kcgVerificationMethod"
# shellcheck disable=SC2046
api POST /api/v1/apply/verify-cert '{"national_id":"E223456712"}' $(with chen)
expect "her certificate again: 您具備有效帳號，無法申請帳號。" 409 'd["message"]' 您具備有效帳號

# the HTML form, no JavaScript
code=$(curl -s -o "$out" -w '%{http_code}' -c "$jar" -b "$jar" "$base/apply/cert")
fcsrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$out" | head -n 1)
[ "$code" = 200 ] && [ -n "$fcsrf" ] && grep -qF 'name="national_id"' "$out" &&
	ok "GET /apply/cert: the form asks for the national ID" || notok "GET /apply/cert"
# shellcheck disable=SC2046
code=$(curl -s -o "$out" -D "$pki/hdr" -w '%{http_code}' -c "$jar" -b "$jar" $(with valid) \
	--data-urlencode "csrf=$fcsrf" --data-urlencode national_id=E123456783 "$base/apply/cert")
[ "$code" = 303 ] && grep -qi '^Location: /apply/confirm' "$pki/hdr" &&
	ok "POST /apply/cert with a valid certificate goes on to 人員資訊" || notok "POST /apply/cert ($code)"
# shellcheck disable=SC2046
code=$(curl -s -o "$out" -w '%{http_code}' -c "$jar" -b "$jar" $(with revoked) \
	--data-urlencode "csrf=$fcsrf" --data-urlencode national_id=E123456783 "$base/apply/cert")
[ "$code" = 400 ] && grep -qF "憑證已廢止" "$out" &&
	ok "POST /apply/cert with a revoked certificate shows why" || notok "POST /apply/cert revoked ($code)"

# --- 自然人憑證 sign-in ------------------------------------------------------
# shellcheck disable=SC2046
api POST /api/v1/login/cert '{"national_id":"E223456712"}' $(with chen)
expect "certificate sign-in while the application is pending" 403 'd["message"]' 帳號審核中
kcgidm approve chenml >"$out" 2>&1 && ok "kcgidm approve chenml" || notok "approve chenml"
# shellcheck disable=SC2046
api POST /api/v1/login/cert '{"national_id":"E223456712"}' $(with chen)
expect "certificate sign-in: 陳美玲 is chenml" 200 'd["uid"]' chenml
csrf=$(j 'd["csrf_token"]')
api GET /api/v1/account
expect "the account page says 登入方式: 自然人憑證" 200 'd["uid"]' chenml \
	'd["name"]' 陳美玲 'd["login_method"]' 自然人憑證
api POST /api/v1/logout '{}'
api GET /api/v1/session
csrf=$(j 'd["csrf_token"]')
# shellcheck disable=SC2046
api POST /api/v1/login/cert '{"national_id":"E123456783"}' $(with valid)
expect "certificate sign-in without an account" 404 'd["message"]' 查無帳號
# shellcheck disable=SC2046
api POST /api/v1/login/cert '{"national_id":"E223456712"}' $(with revoked)
expect "certificate sign-in with a revoked certificate" 400 'd["message"]' 憑證已廢止
# shellcheck disable=SC2046
api POST /api/v1/login/cert '{"national_id":"E123456783"}' $(with chen)
expect "certificate sign-in with someone else's ID" 400 'd["message"]' 身分證字號與憑證不符
api POST /api/v1/login/cert '{"national_id":"E223456712"}'
expect "certificate sign-in without a certificate" 400 'd["code"]' no_certificate
api GET /api/v1/account
expect "none of these signed anybody in" 401 'd["code"]' not_signed_in
code=$(curl -s -o "$out" -w '%{http_code}' -c "$jar" -b "$jar" "$base/?method=cert")
fcsrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$out" | head -n 1)
[ "$code" = 200 ] && grep -qF 'action="/login/cert?method=cert"' "$out" &&
	grep -qF 'name="national_id"' "$out" &&
	ok "the sign-in page's 自然人憑證 tab has a form when configured" || notok "sign-in tab ($code)"
# shellcheck disable=SC2046
code=$(curl -s -o "$out" -D "$pki/hdr" -w '%{http_code}' -c "$jar" -b "$jar" $(with chen) \
	--data-urlencode "csrf=$fcsrf" --data-urlencode national_id=E223456712 \
	"$base/login/cert?method=cert")
[ "$code" = 303 ] && grep -qi '^Location: /account' "$pki/hdr" &&
	ok "POST /login/cert signs in and goes to the account page" || notok "POST /login/cert ($code)"
code=$(curl -s -o "$out" -w '%{http_code}' -c "$jar" -b "$jar" "$base/account")
[ "$code" = 200 ] && grep -qF "自然人憑證" "$out" && grep -qF "chenml" "$out" &&
	ok "the account page after certificate sign-in" || notok "account page ($code)"

urlenc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""))' "$1"; }
api GET /api/v1/session
csrf=$(j 'd["csrf_token"]')
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' \
	-H "X-SSL-Client-Cert: $(urlenc "$pki/valid.pem")"
expect "without web.trust_cert_header the header is ignored" 400 'd["code"]' no_certificate

# --- behind the reverse proxy: its header, trusted from the loopback ----------
# A second kcgidmd on the same directory, plain HTTP as behind nginx, with
# web.trust_cert_header (nginx's $ssl_client_escaped_cert).
pport=$(free_port)
pbase=http://127.0.0.1:$pport
sed -e '/tls_cert_file/d' -e '/tls_key_file/d' \
	-e "s/listen_port = $port;/listen_port = $pport;/" "$conf" >"$pki/proxy.conf"
add_web_settings "$pki/proxy.conf" 'trust_cert_header = "X-SSL-Client-Cert"'
# this kcgidmd also asks the OCSP responder
sed -i "/^	crl_file = /a\\	ocsp_url = \"http://127.0.0.1:$oport/\";" "$pki/proxy.conf"
"$kcgidmd_bin" -c "$pki/proxy.conf" --foreground >"$pki/proxy.log" 2>&1 &
proxy_pid=$!
for i in $(seq 1 100); do
	curl -s -o /dev/null --max-time 10 "$pbase/healthz" && break
	kill -0 "$proxy_pid" 2>/dev/null || break
	sleep 0.1
done
base_saved=$base base=$pbase
: >"$jar"
api GET /api/v1/session
csrf=$(j 'd["csrf_token"]')
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' \
	-H "X-SSL-Client-Cert: $(urlenc "$pki/valid.pem")"
expect "the proxy's certificate header is checked and accepted" 200 'd["hr"]["name"]' 王小明
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' \
	-H "X-SSL-Client-Cert: $(urlenc "$pki/revoked.pem")"
expect "the proxy's header gets no trust of its own: revoked is refused" 400 'd["message"]' 憑證已廢止
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' \
	-H "X-SSL-Client-Cert: $(urlenc "$pki/ocsprev.pem")"
expect "kcgidmd with cert.ocsp_url: revoked at the responder is refused" 400 \
	'd["message"]' 憑證已被廢止
api POST /api/v1/apply/verify-cert '{"national_id":"E123456783"}' \
	-H "X-SSL-Client-Cert: %zz"
expect "a malformed header is no certificate" 400 'd["code"]' no_certificate
kill -TERM "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null
base=$base_saved
grep -q "ocsp_url" "$pki/proxy.conf" && ok "the proxy's kcgidmd had cert.ocsp_url" ||
	notok "proxy.conf lacks ocsp_url"

# the responder down: fail closed
responder_stop
conf_with "$ocsp_conf"
altcli "OCSP: the responder down refuses even a good certificate (fail closed)" 2 \
	"cannot reach the OCSP responder" verify --cert "$pki/valid.pem" --national-id E123456783
conf_with ""
add_web_settings "$pki/alt.conf" 'trust_cert_header = "X-SSL-Client-Cert"'
altcli "web.trust_cert_header with web.tls_cert_file is refused" 2 \
	"no proxy whose header could be trusted" show chenml

web_stop
[ "${kcgidmd_status:-0}" = 0 ] && ok "kcgidmd exits 0 on SIGTERM" ||
	notok "kcgidmd exit status ${kcgidmd_status:-?}"

echo "1..$n"
[ "$failures" = 0 ]
