#!/bin/sh
# test_browser - kcgidmd's pages end to end in headless Chromium
# (tests/web/e2e.mjs through playwright-core): the seed's application,
# the IKPD registration with the mailed activation link, the sign-in and
# the account page. Screenshots of each step are kept in
# $KCG_TOP_BUILDDIR/tests/web/screenshots/.
#
# Exit 0 pass, 1 fail, 77 skip (chromium or node not installed).
# playwright-core must be installed in tests/web (npm ci there).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
# shellcheck source=tests/web/lib.sh
. "${KCG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/web/lib.sh"
skip_slow

chromium_bin=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium_bin" ]; then
	echo "SKIP: chromium not installed"
	exit 77
fi
skip_without node curl /usr/sbin/smtp-sink

# playwright-core: `npm ci` in tests/web of the source tree, or of the build
# tree, or any node_modules named by $KCG_NODE_MODULES (make distcheck).
modules=
for d in "${KCG_NODE_MODULES:-}" "$top/tests/web/node_modules" "$build/tests/web/node_modules"; do
	if [ -n "$d" ] && [ -d "$d/playwright-core" ]; then
		modules=$d
		break
	fi
done
if [ -z "$modules" ]; then
	echo "Bail out! playwright-core is missing: (cd $top/tests/web && npm ci)"
	exit 1
fi

trap web_stop EXIT
trap 'exit 1' HUP INT TERM

web_start "rate_limit = 30"
# the script runs beside the modules it imports
mkdir -p "$tmp/e2e"
cp "$top/tests/web/e2e.mjs" "$tmp/e2e/e2e.mjs"
ln -s "$modules" "$tmp/e2e/node_modules"
shots=$build/tests/web/screenshots
rm -rf "$shots"
mkdir -p "$shots"
BASE=$base SINKDIR=$sinkdir SHOTS=$shots KCGIDM=$kcgidm_bin KCGIDM_CONF=$conf \
	CHROMIUM=$chromium_bin PROFILE=$tmp/chromium-profile \
	timeout 120 node "$tmp/e2e/e2e.mjs"
st=$?
echo "# screenshots: $shots"
if [ "$st" != 0 ]; then
	echo "# kcgidmd log:"
	sed 's/^/# /' "$tmp/kcgidmd.log" | tail -30
fi
exit "$st"
