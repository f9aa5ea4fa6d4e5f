#!/bin/bash
# Configuration files as they get edited in a hurry: a comment longer than a
# line, CR-only line endings, a directory or a device given as the file,
# bytes that are not UTF-8. `tapmeetd --check-config` and a start of the
# daemon must accept exactly the same files and refuse these with file:line.
set -u
. "$(dirname "$0")/lib.sh"

write_config
base=$(cat "$CONF")

# refused NAME FILE EXPECTED: --check-config exits 2 with EXPECTED, and the
# daemon refuses to start with the same words.
refused() {
	local name=$1 file=$2 expected=$3 out rc
	out=$(timeout 10 "$TAPMEETD" --check-config --config "$file" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$out" = "tapmeetd: $expected" ]; then
		ok "--check-config refuses $name"
	else
		not_ok "--check-config refuses $name"
		echo "#   exit $rc, said: $out"
		echo "#   expected: tapmeetd: $expected"
	fi
	out=$(timeout 10 "$TAPMEETD" --config "$file" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [[ "$out" == *"$expected"* ]]; then
		ok "the daemon refuses $name in the same words"
	else
		not_ok "the daemon refuses $name in the same words"
		echo "#   exit $rc, said: $out"
	fi
}

long=$(head -c 198 /dev/zero | tr '\0' x)
{ echo "$base"; echo ";${long}window = 4s"; } >"$TMP/long-comment.conf"
refused "a comment longer than a line (its tail would set a key)" "$TMP/long-comment.conf" \
	"$TMP/long-comment.conf:$(wc -l <"$TMP/long-comment.conf"): line longer than 199 bytes; split the value or shorten the comment"

path="/var/lib/$(head -c 290 /dev/zero | tr '\0' p)/t.db"
sed "s|^path = .*|path = $path|" "$CONF" >"$TMP/long-path.conf"
refused "a 300-character value, on its own line" "$TMP/long-path.conf" \
	"$TMP/long-path.conf:$(grep -n '^path' "$CONF" | cut -d: -f1): line longer than 199 bytes; split the value or shorten the comment"

tr '\n' '\r' <"$CONF" >"$TMP/cr.conf"
refused "CR-only line endings (everything after the first header vanished)" "$TMP/cr.conf" \
	"$TMP/cr.conf:1: carriage return without a line feed (old Mac line endings); save the file with Unix (LF) line endings"

mkdir -p "$TMP/confdir"
refused "a directory" "$TMP/confdir" \
	"$TMP/confdir: is a directory; --config names the file, e.g. $TMP/confdir/tapmeetd.conf"

refused "/dev/zero (it used to spin for ever)" /dev/zero "/dev/zero: not a regular file"

{ echo "$base" | sed '/^\[station\]/a name = Hall \xe9 A'; } >"$TMP/latin1.conf"
refused "a name that is not UTF-8 (status --format json would emit it)" "$TMP/latin1.conf" \
	"$TMP/latin1.conf:2: not valid UTF-8"

printf 'x\0y\n' >"$TMP/nul.conf"
refused "a file with a NUL byte" "$TMP/nul.conf" "$TMP/nul.conf: holds a NUL byte: not a text file"

# Windows line endings are fine and mean the same.
sed 's/$/\r/' "$CONF" >"$TMP/crlf.conf"
check "CRLF line endings are accepted" "$TAPMEETD" --check-config --config "$TMP/crlf.conf"
check "and read the same values" \
	test "$("$TAPMEETD" --check-config --config "$TMP/crlf.conf" 2>&1 | sed "s|$TMP/crlf.conf|F|")" = "$("$TAPMEETD" --check-config --config "$CONF" 2>&1 | sed "s|$CONF|F|")"
{ echo "$base"; echo ";$(head -c 198 /dev/zero | tr '\0' x)"; } >"$TMP/longest.conf"
check "a line of exactly 199 bytes is accepted" "$TAPMEETD" --check-config --config "$TMP/longest.conf"

finish
