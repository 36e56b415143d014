#!/bin/sh
# test_manpage - the manual pages keep up with the code.
#
# Fails when
#  - a command of `kcgidm --help` (or of the command table in
#    src/kcgidm/main.c, which --help may lag behind) has no subsection
#    (.SS) of its own in man/kcgidm.1, or an option or exit status that
#    --help shows is not in kcgidm.1;
#  - a setting of the table in src/lib/config.c (its S("...") and
#    I("...") entries) has no item in man/kcgidm.conf.5;
#  - a page in man/ is missing from man/Makefile.inc, or makes
#    `groff -man -Tutf8 -ww -z` say anything.
# Exits 77 (skip) only when groff is not installed.
set -u
top=${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${KCG_TOP_BUILDDIR:-$top}
man=$top/man
kcgidm=$build/src/kcgidm/kcgidm

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff is not installed"
	exit 77
fi

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# plain - a page's source with fonts, \- and \& resolved, for grepping.
plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' \
		-e 's/\\&//g' -e 's/\\e/\\/g' "$1"
}

# --- kcgidm.1 against kcgidm --help and the command table ------------------
if [ ! -x "$kcgidm" ]; then
	fail "$kcgidm is not built"
else
	"$kcgidm" --help >"$tmp/help" 2>&1 ||
		fail "kcgidm --help exited with status $?"
fi
plain "$man/kcgidm.1" >"$tmp/kcgidm.1.txt"
# The subsection headings, "roster import file.csv [--dry-run] ...".
sed -n 's/^\.SS //p' "$tmp/kcgidm.1.txt" >"$tmp/headings"

# has_heading WORDS - a .SS heading starts with WORDS.
has_heading() {
	while IFS= read -r h; do
		case "$h " in "$1 "*) return 0 ;; esac
	done <"$tmp/headings"
	return 1
}

if [ -s "$tmp/help" ]; then
	# The lines of the Commands: block that start a command (two spaces,
	# then a word); the command is its leading lower-case words.
	sed -n '/^Commands:/,/^$/p' "$tmp/help" | grep '^  [a-z]' |
		while IFS= read -r line; do
			# the description starts after a run of spaces
			line=$(printf '%s\n' "$line" | sed -e 's/^  //' -e 's/   *.*//')
			words=
			for w in $line; do
				case $w in
				*[!a-z-]* | -*) break ;;
				esac
				words="${words:+$words }$w"
			done
			echo "$words"
		done | sort -u >"$tmp/help-commands"
	[ -s "$tmp/help-commands" ] ||
		fail "no commands found in kcgidm --help (has its format changed?)"
	while IFS= read -r c; do
		has_heading "$c" ||
			fail "kcgidm.1 has no subsection for \"$c\" (kcgidm --help)"
	done <"$tmp/help-commands"
	# Every long option --help mentions.
	grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u |
		while IFS= read -r o; do
			grep -q -e "$o" "$tmp/kcgidm.1.txt" ||
				echo "$o"
		done >"$tmp/missing-options"
	while IFS= read -r o; do
		fail "kcgidm.1 does not mention $o (kcgidm --help)"
	done <"$tmp/missing-options"
	# Every exit status of --help's "Exit status:" block is an item of
	# EXIT STATUS.
	sed -n '/^Exit status:/,/^$/p' "$tmp/help" | grep -o '[0-9][0-9]* [a-z]' |
		sed 's/ .*//' | sort -u >"$tmp/help-exits"
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$tmp/kcgidm.1.txt" |
		sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | sort -u >"$tmp/man-exits"
	[ -s "$tmp/help-exits" ] ||
		fail "no exit statuses found in kcgidm --help"
	while IFS= read -r n; do
		grep -qx "$n" "$tmp/man-exits" ||
			fail "kcgidm.1 EXIT STATUS lacks $n (kcgidm --help)"
	done <"$tmp/help-exits"
fi

# The command table: {"name", cmd_...} in src/kcgidm/main.c.
sed -n 's/^[[:space:]]*{"\([a-z-]*\)", cmd_[a-z_]*},.*/\1/p' \
	"$top/src/kcgidm/main.c" | sort -u >"$tmp/table-commands"
[ -s "$tmp/table-commands" ] ||
	fail "no commands found in src/kcgidm/main.c (has its format changed?)"
while IFS= read -r c; do
	has_heading "$c" ||
		fail "kcgidm.1 has no subsection for \"$c\" (src/kcgidm/main.c)"
done <"$tmp/table-commands"

# --- kcgidm.conf.5 against the settings table -------------------------------
grep -o '[SI]("[a-z0-9_]*\.[a-z0-9_]*"' "$top/src/lib/config.c" |
	sed 's/^.("\(.*\)"$/\1/' | sort -u >"$tmp/settings"
[ -s "$tmp/settings" ] ||
	fail "no settings found in src/lib/config.c (has its format changed?)"
while IFS= read -r s; do
	re=$(printf '%s' "$s" | sed 's/\./\\./g')
	grep -Eq "^\.BR? $re( |\$)" "$man/kcgidm.conf.5" ||
		fail "kcgidm.conf.5 has no item for $s (src/lib/config.c)"
done <"$tmp/settings"

# --- every page: listed, and quiet under groff -ww ---------------------------
pages=0
for page in "$man"/*.[1-8]; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	name=man/$(basename "$page")
	grep -q "$name" "$man/Makefile.inc" ||
		fail "$name is not in man/Makefile.inc"
	if ! groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1; then
		fail "groff failed on $name"
	fi
	if [ -s "$tmp/groff" ]; then
		fail "groff -ww warns about $name:"
		sed 's/^/    /' "$tmp/groff"
	fi
done
for want in kcgidm.1 kcgidm.conf.5 kcg_check_password.5 kcgidm-mailer.8 \
	kcgidmd.8; do
	[ -f "$man/$want" ] || fail "man/$want is missing"
done

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "PASS: $pages pages; $(wc -l <"$tmp/table-commands") commands, $(wc -l <"$tmp/settings") settings documented; groff quiet"
