#!/bin/sh
# test_consumers - the directory's consumers: Dovecot, Postfix and the
# service identities, run against a real slapd with the shipped
# configuration (etc/dovecot, etc/postfix, ldif/).
#
# Starts a private slapd (scripts/slapd-sandbox), provisions accounts with
# the kcgidm CLI -- wangxm active with mail, chenml pending, linzh active
# without mail, zhangjh disabled by an admin -- then starts a private
# Dovecot from etc/dovecot (scripts/dovecot-sandbox) and checks:
#   - passdb: only the active mail-enabled account logs in (as uid or
#     uid@kcg.gov.tw); pending, disabled, mail-less, wrong password fail;
#   - userdb: mail location and quota (kcgMailQuota 314572800);
#   - IMAP LOGIN over TCP, and the quota seen there;
#   - LMTP delivery by address, refusal for the others, kcgMailQuota
#     enforced (skipped without dovecot-lmtpd);
#   - lockout: 5 wrong passwords lock the account for mail AND for a direct
#     bind (the portal's login); `kcgidm unlock` restores both;
#   - Postfix ldap tables (etc/postfix) through postmap;
#   - the dovecot/postfix/ikpd identities: no hidden attributes, no writes.
#
# Exit 0 pass, 1 fail, 77 skip (doveadm or postmap missing).
# Environment: KCG_TOP_SRCDIR (default: this checkout), KCG_TOP_BUILDDIR
# (default: its build/), as set by make check.

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
skip_slow

people=ou=people,$suffix
domain=kcg.gov.tw
good='Passw0rd!Good'
bad='Wr0ng!Passw0rd'

skip_without doveadm postmap
need dovecot slapd ldapsearch ldapmodify ldapwhoami python3
need_kcgidm

make_tmp consumers
pfdir=$tmp/postfix

# --- the directory --------------------------------------------------------
start_directory

admin() { "$@" -Q -Y EXTERNAL -H "$ldapi"; }
cli() { "$kcgidm" "$@" >>"$tmp/cli.log" 2>&1; }

printf '%s' "$good" >"$tmp/good.pw"
printf '%s' "$bad" >"$tmp/bad.pw"

# --- accounts -------------------------------------------------------------
cli roster import "$top/etc/sample-roster.csv" || die "roster import failed: $(cat "$tmp/cli.log")"
apply() { # apply NAME ID UID [--mail]
	local mail=()
	[ $# -lt 4 ] || mail=(--mail --accept-mail-rules KCG-MAIL-RULES_V1.0 --recovery-mail a@example.com)
	echo "$good" | cli apply --name "$1" --national-id "$2" --uid "$3" \
		--accept-privacy 20230307_V1.0 "${mail[@]}" ||
		die "kcgidm apply $3 failed: $(tail -n 5 "$tmp/cli.log")"
}
apply 王小明 E123456783 wangxm --mail   # active, mail
apply 陳美玲 E223456712 chenml --mail   # pending
apply 林志豪 S102938478 linzh           # active, no mail
apply 張家豪 T182736451 zhangjh --mail  # disabled below
for u in wangxm linzh zhangjh; do
	cli approve "$u" || die "kcgidm approve $u failed: $(tail -n 5 "$tmp/cli.log")"
done
admin ldapmodify >/dev/null <<EOF || die "cannot disable zhangjh"
dn: uid=zhangjh,$people
changetype: modify
replace: kcgAccountStatus
kcgAccountStatus: disabled
EOF

status_of() { # "STATUS MAILENABLED"
	admin ldapsearch -LLL -b "uid=$1,$people" -s base kcgAccountStatus kcgMailEnabled >"$tmp/status.ldif"
	echo "$(sed -n 's/^kcgAccountStatus: //p' "$tmp/status.ldif") $(sed -n 's/^kcgMailEnabled: //p' "$tmp/status.ldif")"
}
check "wangxm is active with mail" test "$(status_of wangxm)" = "active TRUE"
check "chenml is pending with mail" test "$(status_of chenml)" = "pending TRUE"
check "linzh is active without mail" test "$(status_of linzh)" = "active FALSE"
check "zhangjh is disabled with mail" test "$(status_of zhangjh)" = "disabled TRUE"

# user_bind UID PWFILE - a direct bind as the user (what the portal does)
user_bind() {
	ldapwhoami -x -H "$ldapi" -D "uid=$1,$people" -y "$2"
}
bind_refused() { # bind_refused UID PWFILE - the bind fails with 49
	local rc
	user_bind "$@"
	rc=$?
	[ "$rc" = 49 ] || { echo "ldapwhoami exit $rc, wanted 49 (invalid credentials)"; return 1; }
}
# Every password used below is right: a failure is the consumers' filter.
for u in wangxm chenml linzh zhangjh; do
	check "$u can bind to the directory with its password" user_bind "$u" "$tmp/good.pw"
done

# --- Dovecot ----------------------------------------------------------------
lmtp_opt=
[ ! -x /usr/lib/dovecot/lmtp ] || lmtp_opt=--lmtp
imap_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash "$top/scripts/dovecot-sandbox" start "$dovedir" --ldap-uri "$ldapi" \
	--bind-secret "$ldapdir/dovecot.secret" --suffix "$suffix" \
	--imap-port "$imap_port" $lmtp_opt >"$tmp/dovecot.out" 2>&1 ||
	{ cat "$tmp/dovecot.out"; cat "$dovedir/dovecot.log" 2>/dev/null; die "dovecot-sandbox start failed"; }
conf=$dovedir/dovecot.conf
check "dovecot-sandbox start on a running sandbox is a no-op" \
	bash "$top/scripts/dovecot-sandbox" start "$dovedir"
check "the sandbox runs the shipped passdb file" \
	cmp <(sed '/^!include/d' "$dovedir/conf/kcgidm-ldap-passdb.conf.ext") \
	<(sed -e '/^!include/d' -e "s|@LDAP_URI@|$ldapi|g" -e "s|@SUFFIX@|$suffix|g" \
		-e "s|@DOVECOT_CONFDIR@|$dovedir/conf|g" \
		"$top/etc/dovecot/kcgidm-ldap-passdb.conf.ext.in")

# auth_is WANT USER PASSWORD - doveadm auth test exits 0 (ok) or 77 (failed).
# no-penalty: Dovecot would otherwise slow down each attempt after a failure
# (anvil's auth penalty, up to 15 s); slapd still sees every bind.
auth_is() {
	local want=$1 rc
	doveadm -c "$conf" auth test -x no-penalty=1 "$2" "$3" >"$tmp/auth.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { cat "$tmp/auth.out"; echo "exit $rc, wanted $want"; return 1; }
}
check "dovecot: wangxm logs in" auth_is 0 wangxm "$good"
check "dovecot: wangxm@$domain logs in" auth_is 0 "wangxm@$domain" "$good"
check "dovecot: WangXM@KCG.GOV.TW logs in (case folded)" auth_is 0 "WangXM@KCG.GOV.TW" "$good"
check "dovecot: the passdb names the user by uid" grep -q '^ *user=wangxm$' "$tmp/auth.out"
check "dovecot: wangxm@example.com is refused" auth_is 77 wangxm@example.com "$good"
check "dovecot: pending chenml is refused" auth_is 77 chenml "$good"
check "dovecot: disabled zhangjh is refused" auth_is 77 zhangjh "$good"
check "dovecot: mail-less linzh is refused" auth_is 77 linzh "$good"
check "dovecot: a wrong password is refused" auth_is 77 wangxm "$bad"
check "dovecot: an unknown user is refused" auth_is 77 nosuchuser "$good"

check "dovecot: auth login runs passdb and userdb" \
	doveadm -c "$conf" auth login -x no-penalty=1 wangxm "$good"
cp "$tmp/out" "$tmp/login.out"
check "dovecot: userdb quota_rule is kcgMailQuota (300 MB)" \
	grep -q '^ *quota_rule=\*:bytes=314572800$' "$tmp/login.out"
check "dovecot: userdb home is MAIL_ROOT/$domain/uid" \
	grep -q "^ *home=$dovedir/mail/$domain/wangxm\$" "$tmp/login.out"
check "dovecot: userdb mail is ~/Maildir" grep -q '^ *mail=maildir:~/Maildir$' "$tmp/login.out"
check "dovecot: doveadm user wangxm@$domain" doveadm -c "$conf" user "wangxm@$domain"
cp "$tmp/out" "$tmp/user.out"
check "dovecot: doveadm user gives the quota" grep -q 'quota_rule.*\*:bytes=314572800' "$tmp/user.out"
check "dovecot: doveadm user gives the mail location" grep -q 'mail.*maildir:~/Maildir' "$tmp/user.out"
user_unknown() { # doveadm user exits 67 for an unknown user
	local rc
	doveadm -c "$conf" user "$1"
	rc=$?
	[ "$rc" = 67 ] || { echo "doveadm user exit $rc, wanted 67 (unknown user)"; return 1; }
}
for u in chenml zhangjh linzh; do
	check "dovecot: no userdb entry for $u" user_unknown "$u"
	check "dovecot: no userdb entry for $u@$domain" user_unknown "$u@$domain"
done
check "dovecot: the quota plugin applies the rule (307200 KiB)" \
	eval "doveadm -c '$conf' quota get -u wangxm | grep -Eq 'STORAGE +0 +307200 '"
check "dovecot: Postfix's SASL socket authenticates" \
	doveadm -c "$conf" auth test -a "$dovedir/postfix/private/auth" wangxm "$good"

# imap USER PASSWORD - LOGIN, then the quota of INBOX. Each connection comes
# from its own loopback address: Dovecot delays logins from an address that
# has just failed (anvil's per-IP auth penalty, up to 15 s).
imap_src=1
imap() {
	imap_src=$((imap_src + 1))
	python3 - "$imap_port" "$1" "$2" "127.0.0.$imap_src" <<'EOF'
import imaplib, socket, sys
port, user, password, src = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class IMAP(imaplib.IMAP4):
    def _create_socket(self, timeout=None):
        return socket.create_connection((self.host, self.port), 10, (src, 0))
m = IMAP("127.0.0.1", port)
try:
    m.login(user, password)
except imaplib.IMAP4.error as e:
    print("LOGIN failed:", e)
    # 1: refused as a failed login; 3: anything else
    sys.exit(1 if "AUTHENTICATIONFAILED" in str(e) else 3)
typ, data = m.select("INBOX")
print("SELECT", typ, data)
typ, data = m.getquotaroot("INBOX")
print("GETQUOTAROOT", typ, data)
m.logout()
sys.exit(0 if b"STORAGE 0 307200" in b" ".join(data[1]) else 2)
EOF
}
imap_refused() { # imap_refused USER PASSWORD - LOGIN fails as a failed login
	imap "$@"
	[ $? = 1 ]
}
check "imap: LOGIN wangxm, INBOX quota STORAGE 0 307200" imap wangxm "$good"
check "imap: LOGIN wangxm@$domain" imap "wangxm@$domain" "$good"
check "imap: LOGIN with a wrong password fails" imap_refused wangxm "$bad"
check "imap: LOGIN as pending chenml fails" imap_refused chenml "$good"
check "imap: LOGIN wangxm again (resets the failure count)" imap wangxm "$good"

# --- delivery over LMTP (what Postfix's virtual_transport does) --------------
# lmtp RCPT BYTES - one message of about BYTES; prints the replies.
# Exit 0 delivered, 1 refused at RCPT TO, 2 refused after DATA, 3 other.
lmtp() {
	python3 - "$dovedir/postfix/private/dovecot-lmtp" "$1" "$2" <<'EOF'
import smtplib, sys
sock, rcpt, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = smtplib.LMTP(sock)
s.ehlo("test.invalid")
s.mail("sender@example.com")
code, msg = s.rcpt(rcpt)
print("RCPT", code, msg.decode())
if code != 250:
    sys.exit(1 if 500 <= code < 600 else 3)
body = "Subject: test\r\n\r\n" + ("x" * 70 + "\r\n") * (size // 72 + 1)
code, msg = s.docmd("DATA")
if code != 354:
    sys.exit(3)
s.send(body.encode() + b".\r\n")
code, msg = s.getreply()
print("DATA", code, msg.decode())
s.quit()
sys.exit(0 if code == 250 else 2 if 500 <= code < 600 else 3)
EOF
}
lmtp_is() { # lmtp_is WANT RCPT BYTES
	local want=$1 rc
	shift
	lmtp "$@"
	rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, wanted $want"; return 1; }
}
messages() { # messages UID - the number of messages in INBOX
	doveadm -c "$conf" mailbox status -u "$1" messages INBOX | sed -n 's/.*messages=//p'
}
set_quota() {
	admin ldapmodify >/dev/null <<EOF
dn: uid=$1,$people
changetype: modify
replace: kcgMailQuota
kcgMailQuota: $2
EOF
}
if [ -x /usr/lib/dovecot/lmtp ]; then
	before=$(messages wangxm)
	check "lmtp: a message for wangxm@$domain is delivered" lmtp_is 0 "wangxm@$domain" 500
	check "lmtp: it is in wangxm's INBOX" test "$(messages wangxm)" = $((before + 1))
	for u in chenml zhangjh linzh; do
		check "lmtp: $u@$domain is refused at RCPT TO" lmtp_is 1 "$u@$domain" 500
	done
	set_quota wangxm 4000 || die "cannot lower wangxm's quota"
	check "lmtp: kcgMailQuota is enforced (8 KB into 4000 bytes refused)" lmtp_is 2 "wangxm@$domain" 8000
	cp "$tmp/out" "$tmp/quota.out"
	check "lmtp: with the shipped quota_exceeded_message" grep -q 'Mailbox is full' "$tmp/quota.out"
	set_quota wangxm 314572800 || die "cannot restore wangxm's quota"
	check "lmtp: with 300 MB again the same message is delivered" lmtp_is 0 "wangxm@$domain" 8000
else
	echo "# SKIP lmtp: /usr/lib/dovecot/lmtp missing (Debian package dovecot-lmtpd)"
fi

# --- lockout, shared with the portal ----------------------------------------
for i in 1 2 3 4 5; do
	check "lockout: wrong password $i/5" auth_is 77 wangxm "$bad"
done
check "lockout: the right password now fails in Dovecot" auth_is 77 wangxm "$good"
check "lockout: and in a direct bind (the portal's login)" bind_refused wangxm "$tmp/good.pw"
check "lockout: slapd set pwdAccountLockedTime" \
	eval "admin ldapsearch -LLL -b 'uid=wangxm,$people' -s base pwdAccountLockedTime | grep -q '^pwdAccountLockedTime:'"
check "lockout: IMAP refuses the right password" imap_refused wangxm "$good"
check "lockout: kcgidm unlock wangxm" "$kcgidm" unlock wangxm
check "lockout: Dovecot accepts wangxm again" auth_is 0 wangxm "$good"
check "lockout: the direct bind works again" user_bind wangxm "$tmp/good.pw"

# --- Postfix ------------------------------------------------------------------
# The shipped tables, filled in, in a private config directory (postmap -c).
mkdir -p "$pfdir"
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
# The secret goes in through a sed script, as etc/postfix/README shows.
printf 's|@POSTFIX_BIND_PW@|%s|g\n' "$(esc "$(cat "$ldapdir/postfix.secret")")" >"$tmp/pw.sed"
pfill() {
	sed -f "$tmp/pw.sed" -e "s|@LDAP_URI@|$(esc "$ldapi")|g" -e "s|@SUFFIX@|$(esc "$suffix")|g" \
		-e "s|@MAIL_DOMAIN@|$domain|g" -e "s|@POSTFIX_CONFDIR@|$(esc "$pfdir")|g" \
		-e "s|@MAIL_ROOT@|$(esc "$dovedir/mail")|g" "$1"
}
for f in "$top"/etc/postfix/*.in; do
	pfill "$f" >"$pfdir/$(basename "$f" .in)"
done
cp "$pfdir/main.cf.kcgidm" "$pfdir/main.cf"
cp "$top/etc/postfix/master.cf.kcgidm" "$pfdir/master.cf"
check "postfix: no placeholder left in the tables" eval "! grep -n '@[A-Z][A-Z_]*@' '$pfdir'/*.cf"
check "postfix: postconf accepts main.cf.kcgidm and master.cf.kcgidm" \
	eval "postconf -c '$pfdir' -n >/dev/null 2>'$tmp/postconf.err' && postconf -c '$pfdir' -M >/dev/null 2>>'$tmp/postconf.err' && ! grep . '$tmp/postconf.err'"

# pq TABLE KEY - postmap -q; prints the value; fails (2) on any warning
pq() {
	local out rc
	out=$(postmap -c "$pfdir" -q "$2" "ldap:$pfdir/kcgidm-$1.cf" 2>"$tmp/pq.err")
	rc=$?
	if [ -s "$tmp/pq.err" ]; then cat "$tmp/pq.err" >&2; return 2; fi
	[ "$rc" = 0 ] && printf '%s\n' "$out"
	return "$rc"
}
pq_is() { # pq_is TABLE KEY VALUE
	local v
	v=$(pq "$1" "$2") || { echo "$2: not found"; return 1; }
	[ "$v" = "$3" ] || { echo "$2 -> $v, wanted $3"; return 1; }
}
pq_none() { # pq_none TABLE KEY - not found, and no error
	local rc
	pq "$1" "$2"
	rc=$?
	[ "$rc" = 1 ] || { echo "$2: exit $rc, wanted 1 (not found)"; return 1; }
}
check "postfix: wangxm@$domain has a mailbox" \
	pq_is virtual-mailbox-maps "wangxm@$domain" "$domain/wangxm/Maildir/"
check "postfix: WANGXM@KCG.GOV.TW has a mailbox" \
	pq_is virtual-mailbox-maps "WANGXM@KCG.GOV.TW" "$domain/wangxm/Maildir/"
for u in chenml zhangjh linzh nosuchuser; do
	check "postfix: $u@$domain has no mailbox" pq_none virtual-mailbox-maps "$u@$domain"
done
check "postfix: wangxm@example.com is not looked up" pq_none virtual-mailbox-maps wangxm@example.com
check "postfix: a filter metacharacter is escaped" pq_none virtual-mailbox-maps "*@$domain"
check "postfix: wangxm@$domain is sent by wangxm" \
	pq_is smtpd-sender-login-maps "wangxm@$domain" "wangxm,wangxm@$domain"
for u in chenml zhangjh linzh; do
	check "postfix: nobody may send as $u@$domain" pq_none smtpd-sender-login-maps "$u@$domain"
done

# The domain table reads associatedDomain on ou=people (see
# etc/postfix/README). Add it as the admin when the DIT does not carry it.
if ! admin ldapsearch -LLL -b "$people" -s base '(associatedDomain=*)' dn | grep -q '^dn:'; then
	echo "# NOTE: ldif/base.ldif.in gives ou=people no associatedDomain; adding $domain as the admin"
	admin ldapmodify >/dev/null <<EOF || die "cannot add associatedDomain to $people"
dn: $people
changetype: modify
add: objectClass
objectClass: domainRelatedObject
-
add: associatedDomain
associatedDomain: $domain
EOF
fi
check "postfix: the domain table resolves $domain" pq_is virtual-mailbox-domains "$domain" "$domain"
check "postfix: the domain table does not resolve example.com" pq_none virtual-mailbox-domains example.com
check "postfix: the domain table does not resolve mail.$domain" pq_none virtual-mailbox-domains "mail.$domain"

# --- the service identities --------------------------------------------------
# Give wangxm a value in each hidden attribute, so that "not shown" means
# something, and remember a few values to probe filters with.
admin ldapmodify >/dev/null <<EOF || die "cannot set token hashes on wangxm"
dn: uid=wangxm,$people
changetype: modify
replace: kcgIkpdTokenHash
kcgIkpdTokenHash: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
-
replace: kcgResetTokenHash
kcgResetTokenHash: fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
EOF
hidden="kcgNationalIdHash kcgNationalIdMasked kcgIkpdTokenHash kcgIkpdTokenExpiry
 kcgResetTokenHash kcgResetTokenExpiry kcgPrivacyConsentTime kcgPrivacyConsentVersion
 kcgMailRulesConsentTime kcgMailRulesConsentVersion kcgRecoveryMail kcgRosterRef
 kcgVerificationMethod userPassword pwdHistory"
admin ldapsearch -LLL -o ldif-wrap=no -b "uid=wangxm,$people" -s base $hidden >"$tmp/admin.ldif"
for a in kcgNationalIdHash kcgIkpdTokenHash kcgResetTokenHash kcgPrivacyConsentTime \
	kcgMailRulesConsentTime kcgRecoveryMail kcgRosterRef userPassword; do
	grep -q "^$a:" "$tmp/admin.ldif" || notok "admin: wangxm has no $a to hide"
done
idhash=$(sed -n 's/^kcgNationalIdHash: //p' "$tmp/admin.ldif")

svc_search() { # svc_search SERVICE BASE FILTER ATTRS...
	local s=$1 b=$2 f=$3
	shift 3
	ldapsearch -LLL -o ldif-wrap=no -x -H "$ldapi" -D "cn=$s,ou=services,$suffix" \
		-y "$ldapdir/$s.secret" -b "$b" "$f" "$@"
}
svc_finds_nothing() { # svc_finds_nothing SERVICE BASE FILTER - a search that
	# succeeds (0) or finds no base (32), and returns no entry
	local rc
	svc_search "$1" "$2" "$3" dn >"$tmp/search.out" 2>&1
	rc=$?
	case $rc in 0 | 32) ;; *) cat "$tmp/search.out"; echo "ldapsearch exit $rc"; return 1 ;; esac
	! grep -q '^dn:' "$tmp/search.out" || { cat "$tmp/search.out"; return 1; }
}
svc_modify() { # svc_modify SERVICE <LDIF - must fail with 50
	local s=$1 rc
	ldapmodify -x -H "$ldapi" -D "cn=$s,ou=services,$suffix" -y "$ldapdir/$s.secret" >"$tmp/mod.out" 2>&1
	rc=$?
	[ "$rc" = 50 ] || { cat "$tmp/mod.out"; echo "ldapmodify exit $rc, wanted 50 (insufficient access)"; return 1; }
}
for s in dovecot postfix ikpd; do
	svc_search "$s" "uid=wangxm,$people" '(objectClass=*)' '*' + $hidden >"$tmp/$s.ldif" 2>&1
	check "$s: reads wangxm's uid, kcgMail, status, mail flag and quota" eval "
		grep -q '^uid: wangxm' '$tmp/$s.ldif' && grep -q '^kcgMail: wangxm@$domain' '$tmp/$s.ldif' &&
		grep -q '^kcgAccountStatus: active' '$tmp/$s.ldif' && grep -q '^kcgMailEnabled: TRUE' '$tmp/$s.ldif' &&
		grep -q '^kcgMailQuota: 314572800' '$tmp/$s.ldif'"
	for a in $hidden; do
		check "$s: cannot read $a" eval "! grep -qi '^$a:' '$tmp/$s.ldif'"
	done
	check "$s: cannot search by kcgNationalIdHash" \
		svc_finds_nothing "$s" "$people" "(kcgNationalIdHash=$idhash)"
	check "$s: cannot search by kcgIkpdTokenHash" \
		svc_finds_nothing "$s" "$people" "(kcgIkpdTokenHash=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef)"
	check "$s: cannot search by kcgPrivacyConsentVersion" \
		svc_finds_nothing "$s" "$people" "(kcgPrivacyConsentVersion=20230307_V1.0)"
	check "$s: cannot search by kcgRecoveryMail" \
		svc_finds_nothing "$s" "$people" "(kcgRecoveryMail=a@example.com)"
	check "$s: sees nothing in ou=roster" \
		svc_finds_nothing "$s" "ou=roster,$suffix" "(objectClass=*)"
	check "$s: cannot change kcgMailQuota" svc_modify "$s" <<EOF
dn: uid=wangxm,$people
changetype: modify
replace: kcgMailQuota
kcgMailQuota: 999999999
EOF
	check "$s: cannot change kcgAccountStatus" svc_modify "$s" <<EOF
dn: uid=chenml,$people
changetype: modify
replace: kcgAccountStatus
kcgAccountStatus: active
EOF
	check "$s: cannot set a user's password" svc_modify "$s" <<EOF
dn: uid=wangxm,$people
changetype: modify
replace: userPassword
userPassword: Other!Passw0rd9
EOF
	check "$s: cannot add an account" svc_modify "$s" <<EOF
dn: uid=intruder,$people
changetype: add
objectClass: inetOrgPerson
uid: intruder
cn: intruder
sn: intruder
EOF
	check "$s: cannot change its own entry" svc_modify "$s" <<EOF
dn: cn=$s,ou=services,$suffix
changetype: modify
replace: description
description: changed
EOF
	check "$s: cannot change its own password" svc_modify "$s" <<EOF
dn: cn=$s,ou=services,$suffix
changetype: modify
replace: userPassword
userPassword: Other!Passw0rd9
EOF
done
check "the service secrets still work after the write attempts" eval "
	svc_search dovecot '$people' '(uid=wangxm)' dn | grep -q '^dn:' &&
	svc_search postfix '$people' '(uid=wangxm)' dn | grep -q '^dn:' &&
	svc_search ikpd '$people' '(uid=wangxm)' dn | grep -q '^dn:'"
check "wangxm's quota is unchanged" eval "
	admin ldapsearch -LLL -b 'uid=wangxm,$people' -s base kcgMailQuota | grep -q '^kcgMailQuota: 314572800$'"
check "dovecot still logs wangxm in" auth_is 0 wangxm "$good"

echo "1..$n"
if [ "$failures" -gt 0 ]; then
	echo "FAIL: $failures of $n checks failed"
	exit 1
fi
echo "PASS: $n checks"
exit 0
