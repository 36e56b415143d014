#!/bin/sh
# test_check_concurrency - password checks at once do not crash slapd.
#
# slapd 2.5's ppolicy lt_dlopen's, lt_dlsym's and lt_dlclose's the check
# module around every check, outside its lock, and libltdl is not
# thread-safe: before the module was also loaded by olcModuleLoad (and made
# itself resident in init_module), 8 connections adding entries with weak
# passwords crashed slapd 2.5.13 in each of 8 runs (a general protection
# fault in libltdl). Here 8 ldapadd -c processes send 8 x 600 adds whose
# passwords the module refuses (so no ARGON2 hash slows them down), three
# rounds, and then:
#   - slapd is still running (its pid alive and not a zombie);
#   - every add got the module's own refusal (constraint violation with
#     its bilingual text), so every one was checked;
#   - the module shows in cn=config's olcModuleLoad, by the path that
#     the policy's pwdCheckModule names.
#
# Exit 0 pass, 1 fail. Environment: KCG_TOP_SRCDIR, KCG_TOP_BUILDDIR.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

conns=8 per_conn=600 rounds=3

need slapd ldapadd ldapsearch
[ -f "$checkmod" ] || die "the check module is not built: $checkmod"
make_tmp checkconc
start_directory

pid=$(cat "$ldapdir/slapd.pid")
secret=$ldapdir/provisioner.secret
for j in $(seq 1 "$conns"); do
	for i in $(seq 1 "$per_conn"); do
		printf 'dn: uid=weak%d-%d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: weak%d-%d\ncn: x\nsn: x\nuserPassword: aaaaaaaaaaaa\n\n' \
			"$j" "$i" "$suffix" "$j" "$i"
	done >"$tmp/weak-$j.ldif"
done

for round in $(seq 1 "$rounds"); do
	for j in $(seq 1 "$conns"); do
		ldapadd -c -x -H "$ldapi" -D "cn=provisioner,ou=services,$suffix" \
			-y "$secret" -f "$tmp/weak-$j.ldif" >"$tmp/out-$j" 2>&1 &
	done
	wait
	if proc_running "$pid"; then
		ok "round $round: slapd still runs after $((conns * per_conn)) concurrent checks"
	else
		notok "round $round: slapd died during concurrent password checks"
		tail -n 5 "$ldapdir/slapd.log" | sed 's/^/#   /'
		break
	fi
	refused=$(cat "$tmp"/out-* | grep -c 'must use 3 of')
	if [ "$refused" = $((conns * per_conn)) ]; then
		ok "round $round: the module refused all $refused weak passwords"
	else
		notok "round $round: $refused of $((conns * per_conn)) refused by the module"
		sort "$tmp"/out-* | uniq -c | sort -rn | head -n 5 | sed 's/^/#   /'
	fi
done

module=$(ldapsearch -o ldif-wrap=no -LLL -Q -Y EXTERNAL -H "$ldapi" -b cn=config \
	'(objectClass=olcModuleList)' olcModuleLoad | grep -F -c "$checkmod")
check "the module is loaded at start (olcModuleLoad $checkmod)" [ "$module" = 1 ]
policy=$(ldapsearch -o ldif-wrap=no -LLL -Q -Y EXTERNAL -H "$ldapi" -b "ou=policies,$suffix" \
	'(cn=default)' pwdCheckModule | sed -n 's/^pwdCheckModule: //p')
check "pwdCheckModule names the same path" [ "$policy" = "$checkmod" ]

echo "1..$n"
[ "$failures" = 0 ]
