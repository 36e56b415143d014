#!/bin/sh
# test_deb.sh - build the Debian packages from a clean copy of the tree,
# install them on this machine, check what they installed, prove that
# slapd loads the installed check module, and purge them again.
#
# Usage (as root, on Debian 12, after scripts/deps): tests/package/test_deb.sh
# scripts/test runs it after `make check` when run as root. It is not part
# of `make check`: it installs packages system-wide.
#
# 1. Copies the tree (git's tracked and untracked-but-not-ignored files, so
#    uncommitted changes are tested and the checkout stays clean) to a
#    temporary folder and runs dpkg-buildpackage -us -uc -b there
#    (DEB_BUILD_OPTIONS=nocheck: the suite runs apart). KCG_DEB_LINTIAN=1
#    also runs lintian and fails on errors and warnings.
# 2. Installs kcgidm, kcgidmd and slapd-kcgidm-check with apt-get (local
#    .deb files; dependencies from the archive if any are missing).
# 3. Checks: kcgidm --version, kcgidmd --help, the users and folders of
#    sysusers/tmpfiles, the units installed but neither enabled nor active.
# 4. Starts a throwaway slapd with the INSTALLED slapd-sandbox and schema,
#    its policy naming /usr/lib/ldap/kcg_check_password.so, creates an
#    account with the installed kcgidm, and shows that ldappasswd (not
#    kcgidm, which checks passwords itself) gets a weak password refused
#    with the module's reason and a good one accepted. slapd rejects every
#    password when the module does not load, so both halves are needed.
# 5. Purges the packages and removes the users the packages created, so
#    the machine is left as it was. Refuses to run if any of the packages
#    is installed already.
#
# Exit status: 0 pass, 77 skip (not root, or no dpkg-buildpackage), other
# failure.
set -eu

prog=test_deb
pkgs="kcgidm kcgidmd slapd-kcgidm-check"
users="kcgidmd kcgidm-mailer"
suffix=dc=kcg,dc=gov,dc=tw
PATH=$PATH:/usr/sbin:/sbin
export PATH

top=${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "$prog: FAIL: $*" >&2; exit 1; }
say() { echo "$prog: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "$prog: SKIP: needs root (installs packages)"
	exit 77
fi
for t in dpkg-buildpackage dh apt-get slapd ldappasswd; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "$prog: SKIP: $t not installed (scripts/deps)"
		exit 77
	}
done

# One run at a time on this machine: the packages are system-wide.
exec 9>/run/lock/kcgidm-test-deb.lock
flock -w 900 9 || fail "another test_deb.sh holds /run/lock/kcgidm-test-deb.lock"

for p in $pkgs; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$'; then
		fail "$p is installed already; this test would purge it (apt-get purge $pkgs)"
	fi
done
# Users and groups that exist now are not ours to remove afterwards.
new_users=''
new_groups=''
for u in $users; do
	getent passwd "$u" >/dev/null || new_users="$new_users $u"
done
for g in kcgidm $users; do
	getent group "$g" >/dev/null || new_groups="$new_groups $g"
done

work=$(mktemp -d /tmp/kcgidm-deb.XXXXXX)
installed=
sandbox=
cleanup() {
	rc=$?
	set +e
	if [ -n "$sandbox" ]; then
		/usr/share/kcgidm/slapd-sandbox stop "$sandbox" >/dev/null 2>&1 ||
			kill "$(cat "$sandbox/slapd.pid" 2>/dev/null)" 2>/dev/null
	fi
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
			purge -y $pkgs >"$work/purge.log" 2>&1 ||
			{ cat "$work/purge.log" >&2; rc=1; }
	fi
	for u in $new_users; do
		getent passwd "$u" >/dev/null && userdel "$u"
	done
	for g in $new_groups; do
		getent group "$g" >/dev/null && groupdel "$g"
	done
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- 1. build from a clean copy ---------------------------------------
src=$work/kcgidm
mkdir "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./build --exclude=./autom4te.cache \
		--exclude=./debian/tmp --exclude=./debian/.debhelper \
		--exclude=./tests/web/node_modules -cf - . | tar -C "$src" -xf -
fi
[ -f "$src/debian/control" ] || fail "no debian/control in the copy of $top"
say "building the packages in $src"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log" >&2
	fail "dpkg-buildpackage failed"
fi
debs=
for p in $pkgs; do
	set -- "$work/${p}_"*.deb
	[ -f "$1" ] || fail "no package $p was built"
	debs="$debs $1"
done
say "built:$(for d in $debs; do printf ' %s' "${d##*/}"; done)"

if [ "${KCG_DEB_LINTIAN:-}" = 1 ]; then
	# shellcheck disable=SC2086
	lintian --tag-display-limit 0 $debs >"$work/lintian.log" 2>&1 || true
	cat "$work/lintian.log"
	! grep -q '^[EW]: ' "$work/lintian.log" || fail "lintian errors or warnings"
fi

# --- 2. install -------------------------------------------------------
installed=yes
# shellcheck disable=SC2086
if ! DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
	install -y --no-install-recommends $debs >"$work/install.log" 2>&1; then
	cat "$work/install.log" >&2
	fail "apt-get install of the packages failed"
fi
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" | grep -q ' installed$' ||
		fail "$p is not installed after apt-get install"
done

# --- 3. what was installed --------------------------------------------
out=$(/usr/bin/kcgidm --version) || fail "kcgidm --version failed"
case $out in "kcgidm $(dpkg-query -W -f='${Version}' kcgidm)"*) ;;
*) fail "kcgidm --version says: $out" ;;
esac
say "kcgidm --version: $out"
out=$(/usr/bin/kcgidmd --help 2>&1) || fail "kcgidmd --help failed: $out"
case $out in *"usage: kcgidmd"*"/etc/kcgidm/kcgidm.conf"*) ;;
*) fail "kcgidmd --help says: $out" ;;
esac
say "kcgidmd --help: ok (default configuration /etc/kcgidm/kcgidm.conf)"
[ "$(dpkg-query -S /usr/lib/ldap/kcg_check_password.so)" = \
	"slapd-kcgidm-check: /usr/lib/ldap/kcg_check_password.so" ] ||
	fail "/usr/lib/ldap/kcg_check_password.so is not slapd-kcgidm-check's"
for u in $users; do
	id -nG "$u" 2>/dev/null | grep -qw kcgidm ||
		fail "user $u missing or not in the group kcgidm"
done
for d in /var/spool/kcgidm /var/spool/kcgidm/queue /var/log/kcgidm; do
	[ "$(stat -c '%a %U %G' "$d" 2>/dev/null)" = "2770 root kcgidm" ] ||
		fail "$d is not 2770 root:kcgidm: $(stat -c '%a %U %G' "$d" 2>&1)"
done
[ "$(stat -c '%a %U %G' /etc/kcgidm)" = "750 root kcgidm" ] ||
	fail "/etc/kcgidm is not 0750 root:kcgidm"
for unit in kcgidmd.service kcgidm-mailer.service kcgidm-review.timer \
	kcgidm-purge-report.timer; do
	[ -f "/lib/systemd/system/$unit" ] || fail "$unit not installed"
	st=$(systemctl is-enabled "$unit" 2>/dev/null || true)
	[ "$st" = disabled ] || fail "$unit is '$st', not disabled"
	if systemctl is-active -q "$unit" 2>/dev/null; then
		fail "$unit was started without a configuration"
	fi
done
say "users, folders and disabled units: ok"

# --- 4. slapd loads the installed module ------------------------------
sandbox=$work/sandbox
if ! KCG_CHECK_MODULE=/usr/lib/ldap/kcg_check_password.so \
	/usr/share/kcgidm/slapd-sandbox start "$sandbox" >"$work/sandbox.log" 2>&1; then
	cat "$work/sandbox.log" >&2
	fail "the installed slapd-sandbox did not start"
fi
conf=$sandbox/kcgidm.conf
out=$(slapcat -F "$sandbox/slapd.d" -b "$suffix" \
	-a '(objectClass=pwdPolicyChecker)' 2>/dev/null | grep '^pwdCheckModule:')
[ "$out" = "pwdCheckModule: /usr/lib/ldap/kcg_check_password.so" ] ||
	fail "the policy names another module: $out"

cat >"$work/roster.csv" <<'CSV'
national_id,name,birth_date,category,agency,unit,title,hire_date,account_type,status
S102938478,林志豪,80-01-20,約聘人員,高雄市政府資訊中心,系統科,工程師,110-07-15,general,active
CSV
kcgidm() { /usr/bin/kcgidm -c "$conf" "$@" >>"$work/kcgidm.log" 2>&1; }
kcgidm roster import "$work/roster.csv" || fail "kcgidm roster import: $(cat "$work/kcgidm.log")"
printf 'Initial2024x\n' | kcgidm apply --name 林志豪 --national-id S102938478 \
	--uid linzh --accept-privacy 20230307_V1.0 ||
	fail "kcgidm apply: $(cat "$work/kcgidm.log")"
kcgidm approve linzh || fail "kcgidm approve: $(cat "$work/kcgidm.log")"

ldapi="ldapi://$(printf %s "$sandbox/ldapi" | sed -e 's|/|%2F|g')"
dn="uid=linzh,ou=people,$suffix"
printf 'Initial2024x' >"$work/old.pw"
printf 'abcdefgh12' >"$work/weak.pw"  # 10 characters, 2 classes of 4
printf 'Kaohsiung#2026' >"$work/good.pw"
chmod 600 "$work"/*.pw
if ldappasswd -x -H "$ldapi" -D "$dn" -y "$work/old.pw" -T "$work/weak.pw" \
	>"$work/weak.out" 2>&1; then
	fail "slapd accepted the weak password abcdefgh12"
fi
if ! grep -q 'Constraint violation' "$work/weak.out" ||
	! grep -q '3 of' "$work/weak.out"; then
	fail "the weak password was refused, but not by the module: $(cat "$work/weak.out")"
fi
say "weak password refused by the module: $(grep -i 'additional info' "$work/weak.out" || cat "$work/weak.out")"
ldappasswd -x -H "$ldapi" -D "$dn" -y "$work/old.pw" -T "$work/good.pw" \
	>"$work/good.out" 2>&1 ||
	fail "slapd refused a good password (module not loaded?): $(cat "$work/good.out")"
ldapwhoami -x -H "$ldapi" -D "$dn" -y "$work/good.pw" >/dev/null 2>&1 ||
	fail "cannot bind with the new good password"
say "good password accepted and usable: the installed module is loaded"

/usr/share/kcgidm/slapd-sandbox stop "$sandbox" >/dev/null 2>&1 ||
	fail "slapd-sandbox stop failed"
sandbox=

# --- 5. purge ----------------------------------------------------------
installed=
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
	purge -y $pkgs >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
for f in /usr/bin/kcgidm /usr/bin/kcgidmd /usr/lib/ldap/kcg_check_password.so \
	/usr/share/kcgidm /etc/kcgidm /var/spool/kcgidm /var/log/kcgidm \
	/lib/systemd/system/kcgidmd.service; do
	[ ! -e "$f" ] || fail "$f is still there after the purge"
done
say "purged; nothing left behind"
say "PASS"
