#!/bin/bash
# tapmeet report --html, looked at in a real browser: headless Chromium
# renders the page (with its console captured, and once with no network at
# all), its numbers are read back from the rendered DOM and compared with
# `tapmeet stats --format json` and the database; hostile names come through
# escaped and whole; an empty log says so; --watch makes the page again when
# the real tapmeetd stores a meeting; without sfdp the page says how to get
# the picture. A screenshot is kept in $BUILD/test-artifacts/.
set -u
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SFHH=$ROOT/../shared/data/sociopatterns-sfhh/tij_SFHH.dat
ARTIFACTS=$BUILD/test-artifacts
mkdir -p "$ARTIFACTS"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (make deps)"
	finish
	exit 1
fi
# chrome URL DOM_OUT CONSOLE_OUT [extra flags]: the DOM as rendered, and the
# page's console messages (Chromium logs them as "CONSOLE" lines).
n_chrome=0
CHROME_PREFIX=()
chrome() {
	local url=$1 out=$2 console=$3
	shift 3
	n_chrome=$((n_chrome + 1))
	timeout 120 "${CHROME_PREFIX[@]}" "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$TMP/chrome-$n_chrome" --enable-logging=stderr --v=0 "$@" "$url" \
		>"$out" 2>"$TMP/chrome-$n_chrome.err"
	grep -a 'CONSOLE' "$TMP/chrome-$n_chrome.err" >"$console"
	return 0
}

# --- the console capture catches errors (else its silence proves nothing) ----
cat >"$TMP/broken.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><p>deliberately broken</p><script>console.error("deliberate error 4711")</script>
<script>no_such_function();</script></body></html>
HTML
chrome "file://$TMP/broken.html" "$TMP/broken.dom" "$TMP/broken.console" --dump-dom
check "the console capture reports a deliberate console.error" \
	grep -q 'deliberate error 4711' "$TMP/broken.console"
check "the console capture reports a broken script" \
	grep -q 'no_such_function' "$TMP/broken.console"

# --- the SFHH conference (or generated data) --------------------------------
# The generator writes through the store, like bench/cli/run.sh builds it,
# with the sanitizers when this is an ASan build.
PKGS="sqlite3 inih libsystemd libcrypto"
ar t "$BUILD/libtapmeet.a" | grep -qx reader_libnfc.o && PKGS="$PKGS libnfc"
ar t "$BUILD/libtapmeet.a" | grep -qx leds_gpiod.o && PKGS="$PKGS libgpiod"
SAN=
grep -q fsanitize "$BUILD/.flags" 2>/dev/null &&
	SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
# shellcheck disable=SC2046,SC2086
if ! cc -std=gnu11 -O1 -Wall -Wextra -D_GNU_SOURCE $SAN -I"$ROOT/include" -o "$TMP/gen" \
	"$ROOT/bench/cli/gen.c" "$BUILD/libtapmeet.a" $(pkg-config --libs $PKGS) -lunistring \
	-lpthread -lm 2>"$TMP/gen.err"; then
	cat "$TMP/gen.err"
	not_ok "the bench generator builds"
	finish
	exit 1
fi
DB=$TMP/sfhh.db
if [ -f "$SFHH" ]; then
	"$TMP/gen" sfhh "$DB" "$SFHH" 2>"$TMP/gen.err"
	WHAT="the SFHH conference"
else
	echo "# $SFHH is absent: generated data instead"
	"$TMP/gen" synthetic "$DB" 20000 400 10 2 2>"$TMP/gen.err"
	WHAT="generated data"
fi
check "$WHAT: database built" test -s "$DB"

# Hostile names and organisations for the best connectors, all consenting
# but two: one registered without consent (initials) and one whose badge
# nobody registered. expected.tsv: uid, the label the page must show.
"$TAPMEET" --db "$DB" stats --format json >"$TMP/before.json"
python3 - "$DB" "$TMP/before.json" "$TMP/expected.tsv" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
top = [c["uid"] for c in json.load(open(sys.argv[2]))["top_connectors"]]
names = [
    ("\"><script>alert('x')</script>", "<img src=x onerror=alert(1)>"),
    ("Robert'); DROP TABLE attendees;-- \"quoted\" & <b>bold</b>", "Sponsor \"A\" & Co"),
    ("\u202eevil.exe\u202c \u0645\u062d\u0645\u062f \u05e9\u05dc\u05d5\u05dd", "\u05d7\u05d1\u05e8\u05d4"),
    ("\U0001F469\u200d\U0001F4BB Zo\u00eb \u00c5ngstr\u00f6m \U0001F389", "Emoji & Co"),
    ("\u00dc" * 250 + " " + "x" * 249, ""),
    ("&amp; &lt;i&gt; not an entity", ""),
]
out = open(sys.argv[3], "w")
for uid, (name, org) in zip(top, names):
    db.execute("UPDATE attendees SET name = ?, org = ?, consent = 1 WHERE uid = ?", (name, org, uid))
    out.write(f"{uid}\t{name}\n")
db.execute("UPDATE attendees SET name = 'Ada Lovelace', consent = 0 WHERE uid = ?", (top[6],))
out.write(f"{top[6]}\tA. L.\n")
db.execute("DELETE FROM attendees WHERE uid = ?", (top[7],))
db.execute("UPDATE stations SET name = '</td><script>alert(2)</script> \"Hall\" & \u202eB' "
           "WHERE id = (SELECT min(id) FROM stations)")
out.write(f"{top[7]}\tbadge \u2026{top[7][-4:]}\n")
db.commit()
PY
"$TAPMEET" --db "$DB" stats --format json >"$TMP/stats.json"

t0=$(date +%s%N)
check "report --html writes the page" \
	"$TAPMEET" --db "$DB" report --html "$TMP/report.html" 2>"$TMP/report.err"
echo "# report of $WHAT in $((($(date +%s%N) - t0) / 1000000)) ms"
cat "$TMP/report.err"
check "the page is readable by a web server (0644 under umask 022)" \
	test "$(umask 022; stat -c %a "$TMP/report.html")" = 644
check "no temporary file is left beside it" \
	test "$(find "$TMP" -maxdepth 1 -name 'report.html.*' | wc -l)" = 0

chrome "file://$TMP/report.html" "$TMP/report.dom" "$TMP/report.console" --dump-dom
check "Chromium renders the page" grep -q 'connectors-chart' "$TMP/report.dom"
check "no console message from the page" test ! -s "$TMP/report.console"
[ -s "$TMP/report.console" ] && sed 's/^/# /' "$TMP/report.console"
python3 "$HERE/report_check.py" "$TMP/report.dom" "$TMP/stats.json" "$DB" \
	--hostile "$TMP/expected.tsv" >"$TMP/check.out"
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/check.out"

SHOT=$ARTIFACTS/report-sfhh.png
chrome "file://$TMP/report.html" "$TMP/shot.out" "$TMP/shot.console" \
	--window-size=1280,4000 --screenshot="$SHOT"
check "a screenshot is kept: $SHOT" test -s "$SHOT"

# No network at all: a network namespace of its own (we are root), or else
# a proxy on a port nobody listens on.
OFFLINE_FLAGS=()
if unshare -n true 2>/dev/null; then
	CHROME_PREFIX=(unshare -n)
	echo "# offline: Chromium in a network namespace of its own"
else
	OFFLINE_FLAGS=(--proxy-server=127.0.0.1:9)
	echo "# offline: Chromium through a proxy on a closed port"
fi
chrome "file://$TMP/report.html" "$TMP/offline.dom" "$TMP/offline.console" --dump-dom \
	"${OFFLINE_FLAGS[@]}"
CHROME_PREFIX=()
python3 "$HERE/report_check.py" "$TMP/offline.dom" "$TMP/stats.json" "$DB" --offline \
	>"$TMP/offline.out"
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/offline.out"
check "no console message without network" test ! -s "$TMP/offline.console"
check "the page refers to nothing outside it" \
	bash -c "! grep -Eq '(src|href)=\"(https?:)?//|@import|url\\(' '$TMP/report.html'"

# --- sfdp missing, and --no-graph ---------------------------------------------
mkdir -p "$TMP/nobin"
PATH="$TMP/nobin" "$TAPMEET" --db "$DB" report --html "$TMP/nosfdp.html" 2>"$TMP/nosfdp.err"
check "without sfdp: exit 0" test $? = 0
check "without sfdp: the page says to install graphviz" \
	grep -q 'install graphviz to see the network' "$TMP/nosfdp.html"
check "without sfdp: stderr says so" grep -q 'install graphviz' "$TMP/nosfdp.err"
"$TAPMEET" --db "$DB" report --html "$TMP/nograph.html" --no-graph
check "--no-graph: no picture, a note" \
	bash -c "grep -q 'id=\"graph-note\"' '$TMP/nograph.html' && ! grep -q 'id=\"graph\"' '$TMP/nograph.html'"
"$TAPMEET" --db "$DB" report --html "$TMP/small.html" --graph-edges 50
check "--graph-edges 50: 50 pairs drawn, and the page says so" \
	bash -c "grep -q 'The 50 strongest of' '$TMP/small.html' &&
		test \"\$(grep -c 'class=\"edge\"' '$TMP/small.html')\" = 50"

# --- usage errors ----------------------------------------------------------------
"$TAPMEET" --db "$DB" report 2>"$TMP/usage.err"
check "report without --html: exit 1" test $? = 1
"$TAPMEET" --db "$DB" report --html "$TMP/no/such/dir/r.html" 2>"$TMP/nodir.err"
rc=$?
check "a directory that does not exist: exit 2 and a message naming it" \
	bash -c "[ $rc = 2 ] && grep -q '$TMP/no/such/dir/r.html' '$TMP/nodir.err'"

# --- an empty log, then --watch against the real tapmeetd ------------------------
write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
"$TAPMEET" --db "$DB" stats --format json >"$TMP/empty.json"
check "empty log: report --html" "$TAPMEET" --db "$DB" report --html "$TMP/empty.html"
chrome "file://$TMP/empty.html" "$TMP/empty.dom" "$TMP/empty.console" --dump-dom
check "empty log: no console message" test ! -s "$TMP/empty.console"
python3 "$HERE/report_check.py" "$TMP/empty.dom" "$TMP/empty.json" "$DB" --empty \
	>"$TMP/empty.out"
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "empty log: ${line#ok - }" ;;
	"not ok - "*) not_ok "empty log: ${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/empty.out"

"$TAPMEET" --db "$DB" report --html "$TMP/live.html" --watch --refresh 7 2>"$TMP/watch.err" &
WATCH_PID=$!
PIDS+=("$WATCH_PID")
meetings_in() { grep -q "data-stat=\"meetings\" data-value=\"$1\"" "$TMP/live.html"; }
check "--watch writes the page at once" wait_for 20 meetings_in 0
check "--watch: the page reloads itself every 7 s" \
	grep -q '<meta http-equiv="refresh" content="7">' "$TMP/live.html"
send pair 04A1B2C3 04D5E6F7
wait_for 10 log_has "meeting id=it-1:m1 " || not_ok "the daemon stores the meeting"
check "--watch: the page is made again with the new meeting" wait_for 20 meetings_in 1
send pair 04000001 04000002
wait_for 10 log_has "meeting id=it-1:m2 " || not_ok "the daemon stores the second meeting"
check "--watch: and again with the next" wait_for 20 meetings_in 2
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "--watch stops on SIGTERM with exit 0" test $? = 0
check "--watch leaves no temporary file" \
	test "$(find "$TMP" -maxdepth 1 -name 'live.html.*' | wc -l)" = 0
check "--watch said nothing on stderr" test ! -s "$TMP/watch.err"
cat "$TMP/watch.err"
stop_daemon

finish
