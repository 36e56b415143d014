#!/bin/sh
# test_schema - schema/kcg.ldif is what scripts/schema2ldif makes of
# schema/kcg.schema, so the two forms cannot drift, and slaptest accepts it.
set -eu
top=${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$PATH:/usr/sbin:/sbin
if ! command -v slaptest >/dev/null 2>&1; then
	echo "SKIP: slaptest not installed"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/scripts/schema2ldif" "$top/schema/kcg.schema" >"$tmp/kcg.ldif"
if ! diff -u "$top/schema/kcg.ldif" "$tmp/kcg.ldif"; then
	echo "FAIL: schema/kcg.ldif is stale; run scripts/schema2ldif >schema/kcg.ldif"
	exit 1
fi
echo "PASS: kcg.ldif matches kcg.schema"
