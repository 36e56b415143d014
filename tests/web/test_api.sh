#!/bin/sh
# test_api - kcgidmd's JSON API (docs/api.md) against a real slapd and a
# real smtp-sink, driven with curl as the pages' script would.
#
# The whole seed: 個人資料驗證 -> the privacy notice -> 檢查重複 -> 提出申請
# -> (an admin approves with the CLI) -> IKPD registration steps 1-3 ->
# `kcgidm mail flush` -> the activation link read from the sink -> 帳號啟用
# -> sign-in -> password change, recovery address, 忘記密碼 and the reset
# link, 忘記帳號, sign-out. Then each error path the seed names (bad ID
# checksum, wrong name, 您具備有效帳號，無法申請帳號。, duplicate uid, weak
# password with the rule's text, consent missing), CSRF refusals (403),
# rate limits (429), security headers, body limit, /healthz and a
# graceful SIGTERM.
#
# Exit 0 pass, 1 fail, 77 skip (curl or smtp-sink missing).
# KCGIDMD_VALGRIND=1 runs kcgidmd under valgrind and fails on any error.

# make check runs .sh tests with $SHELL, which may be a POSIX sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/web/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/web/lib.sh"
skip_without curl /usr/sbin/smtp-sink
command -v python3 >/dev/null 2>&1 || die "python3 missing"

trap web_stop EXIT
trap 'exit 1' HUP INT TERM

limit=8
web_start "rate_limit = $limit" "session_seconds = 300"
jar=$tmp/jar
good='Passw0rd!Good'
new1='N3w!Passw0rd'
new2='R3set!Passw0rd'

api_hdr=$tmp/hdr
header() { grep -i "^$1:" "$tmp/hdr" | head -n 1 | tr -d '\r'; }
session() {
	api GET /api/v1/session
	csrf=$(j 'd["csrf_token"]')
}

# --- operations: health, headers, cookies -----------------------------------
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$base/healthz")
[ "$code" = 200 ] && grep -qx ok "$tmp/body" && ok "/healthz answers 200 ok" || notok "/healthz"

session
[ ${#csrf} = 43 ] && ok "GET /api/v1/session gives a 256-bit CSRF token" || notok "session"
h=$(header Set-Cookie)
case $h in
*kcgsid=*HttpOnly*SameSite=Strict*) ok "session cookie is HttpOnly, SameSite=Strict" ;;
*) notok "cookie attributes: $h" ;;
esac
for want in "Content-Security-Policy: default-src 'self'; script-src 'self'" \
	"frame-ancestors 'none'" "X-Content-Type-Options: nosniff" \
	"Referrer-Policy: no-referrer" "Cache-Control: no-store"; do
	grep -qiF "$want" "$tmp/hdr" && ok "API header: $want" || notok "API header $want missing"
done
code=$(curl -s -D "$tmp/hdr" -o "$tmp/body" -w '%{http_code}' "$base/")
grep -qiF "Content-Security-Policy: default-src 'self'; script-src 'self'" "$tmp/hdr" &&
	grep -qiF "Cache-Control: no-store" "$tmp/hdr" && grep -qiF "X-Content-Type-Options: nosniff" "$tmp/hdr" &&
	[ "$code" = 200 ] && ok "sign-in page: 200 with the security headers" || notok "page headers"

# --- CSRF --------------------------------------------------------------------
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"name":"王小明","national_id":"E123456783"}' "$base/api/v1/apply/verify")
expect "POST without a session is refused" 403 'd["code"]' csrf
saved=$csrf csrf=
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'
expect "POST without the CSRF token is refused" 403 'd["code"]' csrf
csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'
expect "POST with a wrong CSRF token is refused" 403 'd["code"]' csrf
csrf=$saved
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$jar" -c "$jar" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d 'name=x' "$base/api/v1/apply/verify")
[ "$code" = 415 ] && ok "API wants JSON bodies (415)" || notok "content type"

# --- 申請帳號: 個人資料驗證 -----------------------------------------------------
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456780"}'
expect "bad ID checksum: an error next to national_id" 400 'd["fields"]["national_id"]' 檢查碼
api POST /api/v1/apply/verify '{"name":"王大明","national_id":"E123456783"}'
expect "wrong name: no record (the same answer as a wrong ID)" 404 'd["message"]' 查無符合的在職人員資料
api POST /api/v1/apply/verify '{"name":"","national_id":""}'
expect "empty name and ID: two field errors" 400 'd["fields"]["name"]' 請輸入姓名 'd["fields"]["national_id"]' 請輸入身分證字號
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"e123456783"}'
expect "個人資料驗證 shows the 人員資訊" 200 'd["hr"]["name"]' 王小明 'd["hr"]["agency"]' 仁武高級中學 \
	'd["hr"]["hire_date"]' 99-12-25 'd["hr"]["title"]' 教師 'd["hr"]["category"]' 職員 'd["next"]' 以上資料均正確，我要申請帳號
api POST /api/v1/apply/uid-check '{"uid":"wangxm"}'
expect "檢查重複 before 以上資料均正確 is refused" 409 'd["code"]' not_confirmed
api POST /api/v1/apply/confirm '{"confirm":false}'
expect "the record must be confirmed" 400 'd["fields"]["confirm"]' 以上資料均正確
api POST /api/v1/apply/confirm '{"confirm":true}'
expect "以上資料均正確，我要申請帳號" 200 'd["hr"]["name"]' 王小明

# --- the privacy notice ----------------------------------------------------------
api POST /api/v1/apply/consent '{"document":"privacy","agree":true}'
expect "agreeing without opening the notice is refused" 409 'd["message"]' 您尚未查看單一帳號認證平台個人資料蒐集、處理及利用告知聲明
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"'"$good"'","want_mail":false}'
expect "提出申請 without the notice and 檢查重複" 400 'd["fields"]["privacy"]' 您尚未查看 'd["fields"]["uid"]' 檢查重複
api GET /api/v1/consent/privacy
expect "查看: the notice's full text and version" 200 'd["title"]' 單一登入平臺個人資料蒐集、處理及利用告知聲明 \
	'd["version"]' 20230307_V1.0 'd["text"]' 蒐集之目的
api POST /api/v1/apply/consent '{"document":"privacy","agree":true}'
expect "同意: the time is recorded" 200 'd["consent"]["agreed"]' True 'd["consent"]["version"]' 20230307_V1.0
agreed_at=$(j 'd["consent"]["agreed_at"]')
[ -n "$agreed_at" ] && ok "您已於 $agreed_at 同意" || notok "no agreement time"

# --- 檢查重複 -------------------------------------------------------------------
api POST /api/v1/apply/uid-check '{"uid":"admin"}'
expect "檢查重複: a reserved name" 400 'd["fields"]["uid"]' ""
api POST /api/v1/apply/uid-check '{"uid":"1abc"}'
expect "檢查重複: bad syntax" 400 'd["fields"]["uid"]' ""
api POST /api/v1/apply/uid-check '{"uid":"WangXM"}'
expect "檢查重複: 通過 (folded to lower case)" 200 'd["result"]' 通過 'd["uid"]' wangxm 'd["mail"]' wangxm@kcg.gov.tw

# --- passwords -----------------------------------------------------------------
api POST /api/v1/password/check '{"password":"Ab1!xy","uid":"wangxm"}'
expect "meter: 6 characters is 弱" 200 'd["strength"]' 弱 'd["meets_policy"]' False
api POST /api/v1/password/check '{"password":"Abcdef1!","uid":"wangxm"}'
expect "meter: 8 characters is 中" 200 'd["strength"]' 中 'd["meets_policy"]' True
api POST /api/v1/password/check '{"password":"Abcdefgh12!","uid":"wangxm"}'
expect "meter: 11 characters is 強" 200 'd["strength"]' 強
api POST /api/v1/apply '{"uid":"wangxm","password":"Ab1!","password_confirm":"Ab1!","want_mail":false}'
expect "weak password: the rule's message" 400 'd["fields"]["password"]' 密碼最少須有
api POST /api/v1/apply '{"uid":"wangxm","password":"xWangXM12!","password_confirm":"xWangXM12!","want_mail":false}'
expect "password with the uid: the rule's message" 400 'd["fields"]["password"]' 密碼禁止包含帳戶登入名稱
api POST /api/v1/apply '{"uid":"wangxm","password":"abcdefgh","password_confirm":"abcdefgh","want_mail":false}'
expect "password with one class: the rule's message" 400 'd["fields"]["password"]' 3 種
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"Other1!pw","want_mail":false}'
expect "confirmation differs" 400 'd["fields"]["password_confirm"]' 不一致

# --- the mailbox -----------------------------------------------------------------
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"'"$good"'"}'
expect "mail yes/no must be chosen" 400 'd["fields"]["want_mail"]' 是否申請
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"'"$good"'","want_mail":true,"recovery_mail":"wang@example.com"}'
expect "mailbox without the rules agreed" 400 'd["fields"]["mail_rules"]' 您尚未查看電子信箱帳號使用管理要點
api GET /api/v1/consent/mail-rules
expect "查看 the mailbox rules" 200 'd["text"]' 300MB
api POST /api/v1/apply/consent '{"document":"mail-rules","agree":true}'
expect "同意 the mailbox rules" 200 'd["consent"]["agreed"]' True
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"'"$good"'","want_mail":true,"recovery_mail":"wang@kcg.gov.tw"}'
expect "recovery address inside kcg.gov.tw is refused" 400 'd["fields"]["recovery_mail"]' 密碼復原用電子郵件
api GET /api/v1/apply
expect "the form keeps what was typed (no passwords)" 200 'd["draft"]["uid"]' wangxm 'd["draft"]["recovery_mail"]' wang@kcg.gov.tw 'd["privacy"]["agreed"]' True
grep -q "$good" "$tmp/body" && notok "a password was kept in the draft" || ok "no password in the saved form"

# --- 提出申請 and the receipt ---------------------------------------------------------
api POST /api/v1/apply '{"uid":"wangxm","password":"'"$good"'","password_confirm":"'"$good"'","want_mail":true,"recovery_mail":"wang@example.com"}'
expect "提出申請: 帳號申請單(已通過); 驗證方式：個人資料驗證" 200 'd["receipt"]["form"]' "帳號申請單(已通過); 驗證方式：個人資料驗證" \
	'd["receipt"]["uid"]' wangxm 'd["receipt"]["mail"]' wangxm@kcg.gov.tw 'd["receipt"]["status"]' pending \
	'd["receipt"]["privacy_agreed_at"]' "$agreed_at" 'd["notice"]' 1~4 'd["message"]' 帳號申請單已經成功提交。
kcgidm --json show wangxm >"$tmp/show.json" 2>&1
grep -q '"kcgPrivacyConsentVersion": *"20230307_V1.0"' "$tmp/show.json" && ok "the directory has the consent version" ||
	{ notok "consent not stored"; cat "$tmp/show.json"; }
api POST /api/v1/apply/verify '{"name":"王小明","national_id":"E123456783"}'
expect "applying again: 您具備有效帳號，無法申請帳號。" 409 'd["message"]' 您具備有效帳號，無法申請帳號。

# a second applicant: the uid is taken now
api POST /api/v1/apply/verify '{"name":"林志豪","national_id":"S102938478"}'
expect "another employee verifies" 200 'd["hr"]["name"]' 林志豪
api POST /api/v1/apply/confirm '{"confirm":true}'
api POST /api/v1/apply/uid-check '{"uid":"wangxm"}'
expect "檢查重複: a duplicate uid" 409 'd["fields"]["uid"]' 此帳號已被使用
api POST /api/v1/apply/uid-check '{"uid":"linzh"}'
api GET /api/v1/consent/privacy
api POST /api/v1/apply/consent '{"document":"privacy","agree":true}'
api POST /api/v1/apply '{"uid":"linzh","password":"'"$good"'","password_confirm":"'"$good"'","want_mail":false}'
expect "an application without a mailbox" 200 'd["receipt"]["uid"]' linzh 'd["receipt"]["mail"]' ""

# --- sign-in before and after the review ---------------------------------------------
api POST /api/v1/login '{"uid":"wangxm","password":"'"$good"'"}'
expect "sign-in while pending: under review" 403 'd["code"]' not_active 'd["message"]' 審核
kcgidm approve wangxm >"$tmp/approve.out" 2>&1 && ok "kcgidm approve wangxm" || { notok "approve"; cat "$tmp/approve.out"; }

# --- IKPD registration ------------------------------------------------------------------
api POST /api/v1/ikpd/register '{"password":"'"$good"'"}'
expect "IKPD step 2 before step 1" 409 'd["code"]' no_step1
api POST /api/v1/ikpd/register/step1 '{"mail":"wangxm@example.com","national_id":"E123456783","birth_date":"68-13-12"}'
expect "IKPD step 1: other domain and bad date" 400 'd["fields"]["mail"]' "@前的字串" 'd["fields"]["birth_date"]' ""
api POST /api/v1/ikpd/register/step1 '{"mail":"wangxm","national_id":"E123456783","birth_date":"068-05-13"}'
expect "IKPD step 1: birth date does not match the roster" 404 'd["message"]' 生日
api POST /api/v1/ikpd/register/step1 '{"mail":"wangxm@kcg.gov.tw","national_id":"E123456783","birth_date":"068-05-12"}'
expect "一般人員帳號註冊_步驟一 -> 步驟二 greets by name" 200 'd["uid"]' wangxm 'd["greeting"]' "王小明 您好"
api POST /api/v1/ikpd/register '{"password":"Wr0ng!Passw0rd","password_confirm":"Wr0ng!Passw0rd"}'
expect "IKPD step 2: wrong password" 400 'd["fields"]["password"]' 帳號或密碼錯誤
api POST /api/v1/ikpd/register '{"password":"'"$good"'","password_confirm":"'"$good"'"}'
expect "一般人員帳號註冊_步驟二/完成註冊: 王小明 您好" 200 'd["greeting"]' "王小明 您好" 'd["mail"]' wangxm@kcg.gov.tw 'd["link_hours"]' 48
kcgidm mail flush >"$tmp/flush.out" 2>&1 && ok "kcgidm mail flush" || { notok "mail flush"; cat "$tmp/flush.out"; }
link=$(latest_mail_link '/ikpd/activate\?token=')
case $link in
"$base/ikpd/activate?token="*) ok "activation mail links to <web.base_url>/ikpd/activate?token=" ;;
*) notok "activation link: '$link'"; ls -la "$sinkdir" ;;
esac
token=${link#*token=}
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$jar" -c "$jar" "$link")
[ "$code" = 200 ] && grep -q 帳號啟用 "$tmp/body" && ok "the link's page: 帳號啟用" || notok "activation page"
api POST /api/v1/ikpd/activate '{"token":"'"$token"'","password":"Wr0ng!Passw0rd"}'
expect "帳號啟用 with a wrong password" 400 'd["fields"]["password"]' 帳號或密碼錯誤
api POST /api/v1/ikpd/activate '{"token":"'"$token"'","password":"'"$good"'"}'
expect "帳號啟用成功, 請重新登入" 200 'd["message"]' "帳號啟用成功, 請重新登入" 'd["uid"]' wangxm
api POST /api/v1/ikpd/activate '{"token":"'"$token"'","password":"'"$good"'"}'
expect "the link works once" 409 'd["code"]' conflict
api POST /api/v1/ikpd/activate '{"token":"not-a-token","password":"'"$good"'"}'
expect "a malformed token" 400 'd["code"]' invalid

# --- sign-in and the account page ---------------------------------------------------------
api POST /api/v1/login '{"uid":"wangxm","password":"Wr0ng!Passw0rd"}'
expect "wrong password" 401 'd["message"]' 帳號或密碼錯誤
api POST /api/v1/login '{"uid":"nosuchuser","password":"Wr0ng!Passw0rd"}'
expect "no such account: the same answer" 401 'd["message"]' 帳號或密碼錯誤
old_csrf=$csrf
old_sid=$(awk '$6=="kcgsid"{print $7}' "$jar")
api POST /api/v1/login '{"uid":"wangxm@kcg.gov.tw","password":"'"$good"'"}'
expect "一般登入" 200 'd["uid"]' wangxm
csrf=$(j 'd["csrf_token"]')
new_sid=$(awk '$6=="kcgsid"{print $7}' "$jar")
[ "$csrf" != "$old_csrf" ] && [ "$new_sid" != "$old_sid" ] && ok "sign-in gives a new session id and CSRF token" || notok "no rotation"
api GET /api/v1/account
expect "帳戶資訊: 帳號, 姓名, 機關, 帳號類型, 登入方式: 帳密" 200 'd["uid"]' wangxm 'd["name"]' 王小明 \
	'd["agency"]' 仁武高級中學 'd["account_type_label"]' 一般人員 'd["login_method"]' 帳密 'd["ikpd_status"]' active
api POST /api/v1/account/password '{"old_password":"'"$good"'","password":"abc","password_confirm":"abc"}'
expect "password change: weak, with the rule" 400 'd["fields"]["password"]' 密碼最少須有
api POST /api/v1/account/password '{"old_password":"Wr0ng!Passw0rd","password":"'"$new1"'","password_confirm":"'"$new1"'"}'
expect "password change: wrong current password" 400 'd["fields"]["old_password"]' 帳號或密碼錯誤
api POST /api/v1/account/password '{"old_password":"'"$good"'","password":"'"$good"'","password_confirm":"'"$good"'"}'
expect "password change: the current one again is refused by slapd" 422 'd["code"]' policy
api POST /api/v1/account/password '{"old_password":"'"$good"'","password":"'"$new1"'","password_confirm":"'"$new1"'"}'
expect "password change" 200 'd["message"]' 密碼已變更
api POST /api/v1/account/recovery-mail '{"current_password":"Wr0ng!Passw0rd","recovery_mail":"wang.new@example.org"}'
expect "recovery address change: wrong password" 400 'd["fields"]["current_password"]' 帳號或密碼錯誤
api POST /api/v1/account/recovery-mail '{"current_password":"'"$new1"'","recovery_mail":"wang.new@example.org"}'
expect "recovery address change" 200 'd["recovery_mail"]' wang.new@example.org
api GET /api/v1/account
expect "the account page shows the new recovery address and a last login" 200 'd["recovery_mail"]' wang.new@example.org
api POST /api/v1/logout '{}'
expect "登出" 200 'd["message"]' 登出
session
api GET /api/v1/account
expect "signed out: the account page needs a sign-in" 401 'd["code"]' not_signed_in
api POST /api/v1/login '{"uid":"wangxm","password":"'"$new1"'"}'
expect "sign-in with the new password" 200 'd["uid"]' wangxm
csrf=$(j 'd["csrf_token"]')
api GET /api/v1/account
expect "登入資訊: the previous sign-in" 200 'd["login_method"]' 帳密

# --- 忘記密碼, the reset link, 忘記帳號 ----------------------------------------------------------
session
api POST /api/v1/forgot-password '{"uid":"nosuchuser"}'
expect "忘記密碼 for nobody: the neutral message" 200 'd["message"]' 若資料正確
api POST /api/v1/forgot-password '{"uid":"wangxm"}'
expect "忘記密碼: the same neutral message" 200 'd["message"]' 若資料正確
kcgidm mail flush >/dev/null 2>&1
link=$(latest_mail_link '/reset\?token=')
case $link in
"$base/reset?token="*) ok "reset mail links to <web.base_url>/reset?token=" ;;
*) notok "reset link: '$link'" ;;
esac
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$jar" -c "$jar" "$link")
[ "$code" = 200 ] && grep -q 'name="token"' "$tmp/body" && ok "the reset page" || notok "reset page"
token=${link#*token=}
api POST /api/v1/reset '{"token":"'"$token"'","password":"short","password_confirm":"short"}'
expect "reset: weak password" 400 'd["fields"]["password"]' 密碼最少須有
api POST /api/v1/reset '{"token":"'"$token"'","password":"'"$new2"'","password_confirm":"'"$new2"'"}'
expect "reset with the link" 200 'd["uid"]' wangxm
api POST /api/v1/login '{"uid":"wangxm","password":"'"$new2"'"}'
expect "sign-in with the reset password" 200 'd["uid"]' wangxm
csrf=$(j 'd["csrf_token"]')
api POST /api/v1/forgot-account '{"name":"王小明","national_id":"E123456783"}'
expect "忘記帳號: the neutral message" 200 'd["message"]' 若資料正確
api POST /api/v1/forgot-account '{"name":"王小明","national_id":"E123456780"}'
expect "忘記帳號: bad checksum" 400 'd["fields"]["national_id"]' 檢查碼

# --- the pages without JavaScript (forms, CSRF field, escaping) -------------------
pjar=$tmp/pjar
# page METHOD PATH [FORM] - $code, $tmp/body; FORM gets the page's CSRF field
page() {
	local m=$1 p=$2 data=${3:-}
	if [ "$m" = POST ]; then
		code=$(curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' -c "$pjar" -b "$pjar" \
			--data-urlencode "csrf=$pcsrf" --data "$data" "$base$p")
	else
		code=$(curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' -c "$pjar" -b "$pjar" "$base$p")
		pcsrf=$(sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p' "$tmp/body" | head -n 1)
	fi
}
has() { grep -qF -- "$1" "$tmp/body"; }
page GET /apply/verify
[ "$code" = 200 ] && [ ${#pcsrf} = 43 ] && has '個人資料驗證' && ok "page: 個人資料驗證 with a CSRF field" || notok "verify page"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -c "$pjar" -b "$pjar" --data 'name=x&national_id=y' "$base/apply/verify")
[ "$code" = 403 ] && ok "page: a form without its CSRF field is refused (403)" || notok "page CSRF ($code)"
page POST /apply/verify 'name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&national_id=E123456780'
[ "$code" = 400 ] && has '&lt;script&gt;alert(1)&lt;/script&gt;' && ! has '<script>alert' &&
	ok "page: what was typed comes back HTML-escaped" || notok "escaping"
has 'id="err-national_id"' && has '檢查碼' && ok "page: the error is next to the field" || notok "field error"
page POST /apply/verify 'name=%E5%BC%B5%E5%AE%B6%E8%B1%AA&national_id=T182736451'
[ "$code" = 303 ] && grep -qi '^Location: /apply/confirm' "$tmp/hdr" && ok "page: 個人資料驗證 -> 人員資訊" || notok "page verify"
page GET /apply/confirm
has '高雄市政府教育局, 國教科' && ok "page: 人員資訊 (a quoted CSV field, escaped)" || notok "confirm page"
page POST /apply/confirm 'confirm=1'
page GET /apply/form
has '您尚未查看單一帳號認證平台個人資料蒐集、處理及利用告知聲明' && has 'id="submit-apply" class="primary" disabled' &&
	ok "page: the form, 提出申請 disabled until 檢查重複" || notok "form page"
page POST /apply/form 'action=privacy&uid=zhangjh&want_mail=0'
[ "$code" = 303 ] && grep -qi '^Location: /apply/privacy' "$tmp/hdr" && ok "page: 查看 keeps the form and opens the notice" || notok "view"
page GET /apply/privacy
has '版本號：20230307_V1.0' && has '不同意' && ok "page: the notice with 同意 / 不同意" || notok "privacy page"
page POST /apply/privacy 'agree=1'
page GET /apply/form
has '您已於 ' && has ' 同意單一帳號認證平台個人資料蒐集、處理及利用告知聲明' && has 'value="zhangjh"' &&
	ok "page: 您已於 … 同意, and the uid typed is still there" || notok "agreed"
page POST /apply/form 'action=check&uid=zhangjh&want_mail=0'
has '檢查結果：通過' && ! has 'id="submit-apply" class="primary" disabled' && ok "page: 檢查重複 without script" || notok "check"
page POST /apply/form "action=submit&uid=zhangjh&password=$good&password_confirm=Nope1!xyz&want_mail=0"
[ "$code" = 400 ] && has 'id="err-password_confirm"' && ! has "$good" && ok "page: an error, and the password is not sent back" || notok "mismatch"
page POST /apply/form "action=submit&uid=zhangjh&password=$good&password_confirm=$good&want_mail=0"
[ "$code" = 303 ] && grep -qi '^Location: /apply/receipt' "$tmp/hdr" && ok "page: 提出申請" || notok "submit ($code)"
page GET /apply/receipt
has '帳號申請單(已通過); 驗證方式：個人資料驗證' && has 'zhangjh' && has '1~4小時' && ok "page: the receipt" || notok "receipt page"
page GET /contact
has '聯絡人資訊' && ok "page: 聯絡人資訊" || notok "contact page"
page GET '/?method=cert'
has '本伺服器未啟用' && ok "page: 自然人憑證 not enabled here" || notok "cert tab"

# --- contact, limits, routes ----------------------------------------------------------------
api GET /api/v1/contact
expect "聯絡人資訊 from web.contact_file" 200 'd["text"]' 聯絡人資訊
"$PY" -c 'print("{\"name\":\"" + "x"*20000 + "\"}")' >"$tmp/big.json"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' --data-binary @"$tmp/big.json" "$base/api/v1/apply/verify")
[ "$code" = 413 ] && ok "bodies over 16 KiB: 413" || notok "body limit ($code)"
api GET /api/v1/nothing-here
expect "unknown API: 404" 404 'd["code"]' not_found
api GET /api/v1/login
expect "GET on a POST route: 405" 405 'd["code"]' method
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/static/../kcgidm.conf")
[ "$code" = 404 ] && ok "no path traversal under /static/" || notok "static traversal ($code)"

# --- rate limits (web.rate_limit = $limit per minute) -------------------------------------------
rl() { # rl IP NAME ID - one verification from IP
	api POST /api/v1/apply/verify '{"name":"'"$2"'","national_id":"'"$3"'"}' -H "X-Real-IP: $1"
}
for i in $(seq 1 $limit); do rl 192.0.2.10 某人 A123456789; done
[ "$code" = 404 ] && ok "$limit verifications from one address are answered" || notok "before the limit"
rl 192.0.2.10 某人 A123456789
expect "verification $((limit + 1)) from one address: 429" 429 'd["code"]' rate_limited
[ -n "$(header Retry-After)" ] && ok "429 carries Retry-After" || notok "no Retry-After"
for i in $(seq 1 $limit); do rl "192.0.2.$((100 + i))" 某人 B123456780; done
rl 192.0.2.200 某人 B123456780
expect "one national ID from many addresses: 429" 429 'd["code"]' rate_limited
for i in $(seq 1 $((limit + 1))); do
	api POST /api/v1/login '{"uid":"nobody'$i'","password":"x"}' -H "X-Real-IP: 198.51.100.7"
done
expect "sign-in attempts from one address: 429" 429 'd["code"]' rate_limited
for i in $(seq 1 $((limit + 1))); do
	api POST /api/v1/ikpd/activate '{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","password":"x"}' \
		-H "X-Real-IP: 198.51.100.$((20 + i))"
done
expect "one token from many addresses: 429" 429 'd["code"]' rate_limited

# --- logs hold no secrets, and SIGTERM is graceful -----------------------------------------------
leak=
for s in "$good" "$new1" "$new2" E123456783 S102938478 "$token"; do
	grep -qF "$s" "$tmp/kcgidmd.log" "$ldapdir/audit.log" 2>/dev/null && leak="$leak $s"
done
[ -z "$leak" ] && ok "no password, token or national ID in kcgidmd's log or the audit log" || notok "secrets logged:$leak"
grep -q '"actor":"web:127.0.0.1"' "$ldapdir/audit.log" 2>/dev/null &&
	ok "the audit log names the web client" || notok "audit actor"
# /healthz follows the directory
bash "$top/scripts/slapd-sandbox" stop "$ldapdir" >/dev/null 2>&1
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$base/healthz")
[ "$code" = 503 ] && ok "/healthz: 503 while the directory is down" || notok "/healthz with slapd down"
cp "$conf" "$tmp/kcgidm.conf.saved"
KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start "$ldapdir" >/dev/null 2>&1
cp "$tmp/kcgidm.conf.saved" "$conf"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$base/healthz")
[ "$code" = 200 ] && ok "/healthz: 200 again once slapd is back (reconnected)" || notok "/healthz after restart"
api POST /api/v1/forgot-password '{"uid":"linzh"}' -H "X-Real-IP: 203.0.113.9"
expect "the API works again after the restart" 200 'd["message"]' 若資料正確

kill -TERM "$kcgidmd_pid"
wait "$kcgidmd_pid"
st=$?
kcgidmd_pid=
[ "$st" = 0 ] && ok "SIGTERM: kcgidmd exits 0" || { notok "kcgidmd exit status $st"; tail -20 "$tmp/kcgidmd.log"; }
if [ -f "$tmp/valgrind.log" ]; then
	if [ -s "$tmp/valgrind.log" ]; then notok "valgrind"; cat "$tmp/valgrind.log"; else ok "valgrind: no errors, no leaks"; fi
fi

echo "1..$n"
[ "$failures" = 0 ] || { echo "# $failures failed"; sed 's/^/# /' "$tmp/kcgidmd.log" | tail -30; exit 1; }
exit 0
