#!/bin/sh
# test_bulk - bulk provisioning against a real slapd: the roster import's
# group commits and worker connections, roster export-ldif, and
# apply --batch.
#
#   - a 1,500-row import with the defaults (batches of 1,000 in RFC 5805
#     transactions, 4 workers) gives exactly the records `roster
#     export-ldif` describes (compared attribute by attribute with
#     slapcat), and so does an import with --jobs 1 --batch-size 1 (plain
#     writes) into a second directory;
#   - a rerun changes nothing; a file with 10 changed rows updates 10;
#   - a row that slapd refuses at commit time (a unique constraint added
#     for the test) is rejected with the server's reason, and the other
#     599 rows of its transaction are written;
#   - apply --batch: a file that is not 0600 is refused; good rows give
#     accounts (pending, or active with --approve) with ARGON2 passwords;
#     bad rows (weak password, unknown person, a uid or a person twice,
#     mail=maybe) are reported by line, the rest go through;
#   - the LDIF of export-ldif loads into an empty directory with
#     slapadd -q.
#
# Exit 0 pass, 1 fail. Environment: KCG_TOP_SRCDIR, KCG_TOP_BUILDDIR.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

privacy=20230307_V1.0
rules=KCG-MAIL-RULES_V1.0

need slapd slapcat slapadd ldapsearch ldapmodify python3
need_kcgidm

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kcg-bulk.XXXXXX") || exit 1
cleanup() {
	for d in a b c; do
		[ ! -d "$tmp/$d" ] || bash "$top/scripts/slapd-sandbox" stop "$tmp/$d" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# expect DESCRIPTION WANT GOT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: wanted [$2], got [$3]"; fi
}
# has DESCRIPTION FILE TEXT - FILE contains TEXT
has() {
	if grep -q -F -- "$3" "$2"; then ok "$1"; else notok "$1: no [$3] in:"; sed 's/^/#   /' "$2" | head -n 20; fi
}

start() { # start NAME - a fresh sandbox in $tmp/NAME
	KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start "$tmp/$1" >"$tmp/$1.out" 2>&1 ||
		{ cat "$tmp/$1.out"; die "slapd-sandbox start $1 failed"; }
}
ldapi() { sed -n 's/.* at \(ldapi:[^ ]*\)$/\1/p' "$tmp/$1.out" | head -n 1; }
k() { # k SANDBOX ARGS... - kcgidm against that sandbox
	local d=$1
	shift
	"$kcgidm" -c "$tmp/$d/kcgidm.conf" "$@"
}
count() { # count SANDBOX FILTER - entries under the suffix
	ldapsearch -LLL -Q -Y EXTERNAL -H "$(ldapi "$1")" -b "$suffix" "$2" dn |
		grep -c '^dn:'
}
# records SANDBOX - the roster records as sorted "dn|attr|value" lines,
# from slapcat (operational attributes and base64 resolved)
records() {
	slapcat -F "$tmp/$1/slapd.d" -b "$suffix" -a '(objectClass=kcgRosterRecord)' 2>/dev/null |
		python3 "$tmp/ldif.py"
}

cat >"$tmp/ldif.py" <<'PY'
import base64, sys
skip = {"structuralobjectclass", "entryuuid", "creatorsname", "createtimestamp",
        "entrycsn", "modifiersname", "modifytimestamp", "contextcsn"}
out, dn, last = [], None, None
lines = []
for raw in sys.stdin.read().split("\n"):
    if raw.startswith(" ") and lines:
        lines[-1] += raw[1:]
    else:
        lines.append(raw)
for l in lines:
    if not l or l.startswith("#") or ":" not in l:
        continue
    a, v = l.split(":", 1)
    if v.startswith(":"):
        v = base64.b64decode(v[1:].strip()).decode()
    else:
        v = v.strip()
    if a.lower() == "dn":
        dn = v.lower()
        continue
    if a.lower() in skip:
        continue
    out.append("%s|%s|%s" % (dn, a.lower(), v))
print("\n".join(sorted(out)))
PY

# roster N START - N valid rows (national IDs with their checksum)
cat >"$tmp/gen.py" <<'PY'
import sys
n, start = int(sys.argv[1]), int(sys.argv[2])
L = {c: v for c, v in zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36))}
def nid(i):
    c = "ABCDEFGHJKLMNPQRSTUVXYWZIO"[i % 26]
    body = "%d%07d" % (1 + (i // 26) % 2, 1000000 + i // 52)
    d = [L[c] // 10, L[c] % 10] + [int(x) for x in body]
    s = sum(a * b for a, b in zip(d, [1, 9, 8, 7, 6, 5, 4, 3, 2, 1]))
    return c + body + str((10 - s % 10) % 10)
sur, giv = "陳林黃張李王吳劉蔡楊", "志明淑芬家豪怡君俊傑"
print("national_id,name,birth_date,category,agency,unit,title,hire_date,account_type,status")
for i in range(start, start + n):
    name = sur[i % 10] + giv[(i // 10) % 10] + giv[(i // 100) % 10]
    print(f"{nid(i)},{name},{60 + i % 30}-0{1 + i % 9}-1{i % 9},職員,高雄市政府教育局,資訊室,科員,10{i % 10}-01-15,general,active")
PY
python3 "$tmp/gen.py" 1500 0 >"$tmp/r.csv"

# --- roster import: group commits and workers ---------------------------------
start a
start b
cp "$tmp/a/idhash.key" "$tmp/b/idhash.key" # the same keyed hashes
k a roster import "$tmp/r.csv" >"$tmp/imp.out" 2>&1
expect "import with the defaults: exit 0" 0 $?
has "import with the defaults: 1500 added" "$tmp/imp.out" "added: 1500"
k b roster import --jobs 1 --batch-size 1 "$tmp/r.csv" >"$tmp/imp1.out" 2>&1
expect "import with plain writes: exit 0" 0 $?
k a roster export-ldif "$tmp/r.csv" >"$tmp/r.ldif" 2>"$tmp/exp.err"
expect "export-ldif: exit 0" 0 $?
has "export-ldif: counts on stderr" "$tmp/exp.err" "exported: 1500"
python3 "$tmp/ldif.py" <"$tmp/r.ldif" >"$tmp/want"
records a >"$tmp/got.a"
records b >"$tmp/got.b"
expect "export-ldif describes 1500 records" 1500 "$(cut -d'|' -f1 "$tmp/want" | sort -u | wc -l)"
if cmp -s "$tmp/want" "$tmp/got.a"; then ok "batched import = export-ldif"; else
	notok "batched import = export-ldif"; diff "$tmp/want" "$tmp/got.a" | head -n 10 | sed 's/^/#   /'; fi
if cmp -s "$tmp/got.a" "$tmp/got.b"; then ok "batched import = plain import"; else
	notok "batched import = plain import"; diff "$tmp/got.a" "$tmp/got.b" | head -n 10 | sed 's/^/#   /'; fi

k a roster import "$tmp/r.csv" >"$tmp/imp2.out" 2>&1
has "a rerun changes nothing" "$tmp/imp2.out" "unchanged: 1500"
sed -e '2,11s/,科員,/,技士,/' "$tmp/r.csv" >"$tmp/r10.csv"
k a roster import "$tmp/r10.csv" >"$tmp/imp3.out" 2>&1
has "10 changed rows: 10 updated" "$tmp/imp3.out" "updated: 10"
expect "the new title is stored" 10 "$(count a '(&(objectClass=kcgRosterRecord)(title=技士))')"

# --- a row refused at commit time -------------------------------------------
# Make kcgNationalIdMasked unique under ou=roster, then import rows of
# which one shares the masked form of an earlier row's ID: slapd refuses
# that add inside its transaction; the others of the batch must land.
ldapmodify -Q -Y EXTERNAL -H "$(ldapi a)" >/dev/null 2>"$tmp/uniq.err" <<EOF2
dn: olcOverlay={1}unique,olcDatabase={1}mdb,cn=config
changetype: modify
add: olcUniqueURI
olcUniqueURI: ldap:///ou=roster,$suffix?kcgNationalIdMasked?sub
EOF2
expect "unique constraint for the test added" 0 $?
python3 - "$tmp/r.csv" >"$tmp/clash.csv" <<'PY'
import sys
L = {c: v for c, v in zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36))}
def ok(i):
    d = [L[i[0]] // 10, L[i[0]] % 10] + [int(x) for x in i[1:]]
    return sum(a * b for a, b in zip(d, [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1])) % 10 == 0
first = open(sys.argv[1]).read().split("\n")[1].split(",")[0]
# same first three and last two characters, different middle
clash = next(c for c in (first[:3] + "%05d" % m + first[8:] for m in range(100000))
             if c != first and ok(c))
print("national_id,name,birth_date,category,agency,unit,title,hire_date,account_type,status")
print(f"{clash},撞號人,70-01-01,職員,機關,,,,general,active")
PY
python3 "$tmp/gen.py" 599 5000 | tail -n 599 >>"$tmp/clash.csv"
# one batch of 600, above ROSTER_TXN_MIN: a transaction
k a roster import --batch-size 600 --jobs 1 "$tmp/clash.csv" >"$tmp/clash.out" 2>&1
expect "a refused row: exit 2" 2 $?
has "a refused row: reported by line" "$tmp/clash.out" "line 2: row:"
has "a refused row: with the server's reason" "$tmp/clash.out" "non-unique"
has "the other 599 rows of the batch were written" "$tmp/clash.out" "added: 599"
expect "the refused person is not in the directory" 0 "$(count a '(cn=撞號人)')"

# --- export-ldif into an empty directory with slapadd -q --------------------------
start c
bash "$top/scripts/slapd-sandbox" stop "$tmp/c" >/dev/null 2>&1
slapadd -q -F "$tmp/c/slapd.d" -b "$suffix" -l "$tmp/r.ldif" >"$tmp/slapadd.out" 2>&1
expect "slapadd -q takes the LDIF" 0 $?
KCG_CHECK_MODULE=$checkmod bash "$top/scripts/slapd-sandbox" start "$tmp/c" >"$tmp/c.out" 2>&1 ||
	die "restart c failed"
records c >"$tmp/got.c"
if cmp -s "$tmp/want" "$tmp/got.c"; then ok "slapadd of export-ldif = an import"; else
	notok "slapadd of export-ldif = an import"; diff "$tmp/want" "$tmp/got.c" | head -n 10 | sed 's/^/#   /'; fi

# --- apply --batch ---------------------------------------------------------------
python3 - "$tmp/r.csv" >"$tmp/batch.csv" <<'PY'
import sys
rows = [l.split(",") for l in open(sys.argv[1]).read().split("\n")[1:] if l]
print("national_id,name,uid,mail,recovery_mail,password")
for i in range(12):
    nid, name = rows[i][0], rows[i][1]
    mail, rec = ("yes", f"b{i}@example.org") if i % 2 else ("no", "")
    pw = f"Kx9#Pw{i}Zq!"
    if i == 3: pw = "short"                     # the seed's rules refuse it
    if i == 5: nid = rows[600][0]               # another person's ID: no match
    if i == 7: mail = "maybe"
    print(f"{nid},{name},bulk{i:02d},{mail},{rec},{pw}")
print(f"{rows[20][0]},{rows[20][1]},bulk00,no,,Kx9#bulkXZq!")   # uid twice
print(f"{rows[0][0]},{rows[0][1]},bulk99,no,,Kx9#bulkYZq!")     # person twice
PY
chmod 644 "$tmp/batch.csv"
k a apply --batch "$tmp/batch.csv" --accept-privacy $privacy >"$tmp/b0.out" 2>&1
expect "apply --batch: a 0644 file is refused" 2 $?
has "apply --batch: says why" "$tmp/b0.out" "0600"
chmod 600 "$tmp/batch.csv"
k a apply --batch "$tmp/batch.csv" --accept-privacy $privacy \
	--accept-mail-rules $rules --approve >"$tmp/b1.out" 2>&1
st=$?
[ "$st" -ne 0 ] && ok "apply --batch with bad rows: exit $st" || notok "apply --batch with bad rows: exit 0"
has "apply --batch: 9 accounts" "$tmp/b1.out" "ok: 9"
has "apply --batch: 5 failed" "$tmp/b1.out" "failed: 5"
has "apply --batch: a good row" "$tmp/b1.out" "line 2: bulk00:"
has "apply --batch: weak password, by line" "$tmp/b1.out" "line 5: bulk03: 失敗 / failed: 密碼最少"
has "apply --batch: mail=maybe, by line" "$tmp/b1.out" "line 9: -: 失敗 / failed: mail:"
has "apply --batch: a uid twice" "$tmp/b1.out" "line 14: -: 失敗 / failed: uid"
has "apply --batch: a person twice" "$tmp/b1.out" "line 15: -: 失敗 / failed: national_id"
expect "apply --batch: 9 active accounts" 9 "$(count a '(&(objectClass=kcgAccount)(kcgAccountStatus=active)(uid=bulk*))')"
pw=$(ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$(ldapi a)" -b "$suffix" '(uid=bulk00)' userPassword | sed -n 's/^userPassword:: //p' | base64 -d | tr -d '\000')
case $pw in {ARGON2}*) ok "apply --batch: the password is hashed with ARGON2" ;; *) notok "apply --batch: userPassword is [${pw:0:12}...]" ;; esac
# the rows' order is kept although 8 workers ran them
grep -o '^line [0-9]*' "$tmp/b1.out" | cut -d' ' -f2 >"$tmp/order"
if sort -n -c "$tmp/order" 2>/dev/null; then ok "apply --batch: report in file order"; else notok "apply --batch: report out of order"; fi
if grep -q 'Kx9#' "$tmp/b1.out"; then notok "apply --batch: a password was printed"; else ok "apply --batch: no password printed"; fi
k a --json apply --batch "$tmp/batch.csv" --accept-privacy $privacy --accept-mail-rules $rules >"$tmp/b2.json" 2>&1
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["rows"]
assert len(rows) == 14, len(rows)
assert all(not r["ok"] for r in rows), "a rerun must refuse every row"
assert any(r["exit"] == 3 for r in rows), "has an account: exit 3"
' "$tmp/b2.json" && ok "apply --batch --json: a rerun refuses every row (has an account)" ||
	notok "apply --batch --json rerun"

echo "1..$n"
[ "$failures" -eq 0 ]
