#!/bin/sh
# check-chapters.sh [FILE.md ...]: runs every command a chapter shows and compares what it
# prints with what the chapter says it prints. Default: chapters/*/README.md and README.md.
#
# Only ```console blocks are checked. In them a line starting with `$ ` is a command (a line
# ending in `\` continues it), run with sh from the repository root, stdout and stderr
# together; the lines after it, up to the next command or the end of the block, are its
# output, compared line by line after trailing blanks are dropped. Two markers:
#   ...        a line of its own: any number of lines (none included)
#   [...]      inside a line: any text (paths, timings, speeds)
# A command followed by no line must print nothing. The exit status of a command is not
# checked: what the reader sees is its output.
#
# Prints one line per command (ok, or DIFF with the file and line, then what the chapter shows
# and what came) and exits 1 if any differ. Run it after `make`.
set -u
[ $# -gt 0 ] || set -- chapters/*/README.md README.md
tmp=${TMPDIR:-/tmp}/lmlab-check-chapters.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0 total=0
for md in "$@"; do
    [ -f "$md" ] || { echo "lmlab: cannot open '$md': No such file" >&2; exit 2; }
    rm -f "$tmp"/cmd.* "$tmp"/exp.* "$tmp"/line.*
    # split the file into cmd.N (the command), exp.N (its output), line.N (where it is)
    awk -v dir="$tmp" '
        function flush() { if (n > 0) { close(dir "/cmd." n); close(dir "/exp." n) } }
        /^```console[ \t]*$/ && !inblock { inblock = 1; next }
        /^```/ && inblock { inblock = 0; cont = 0; next }
        !inblock { next }
        cont { sub(/^[ \t]*/, ""); line = $0; cont = sub(/\\$/, "", line);
               printf " %s", line > (dir "/cmd." n); if (!cont) printf "\n" > (dir "/cmd." n); next }
        /^\$ / {
            flush(); n++
            printf "%d\n", NR > (dir "/line." n); close(dir "/line." n)
            printf "" > (dir "/exp." n)
            line = substr($0, 3); cont = sub(/\\$/, "", line)
            printf "%s", line > (dir "/cmd." n); if (!cont) printf "\n" > (dir "/cmd." n)
            next
        }
        n > 0 { print > (dir "/exp." n) }
        END { flush() }
    ' "$md"
    i=1
    while [ -f "$tmp/cmd.$i" ]; do
        total=$((total + 1))
        cmd=$(cat "$tmp/cmd.$i")
        sh -c "$cmd" > "$tmp/got" 2>&1 < /dev/null
        if awk -v expfile="$tmp/exp.$i" '
            function rtrim(s) { sub(/[ \t\r]+$/, "", s); return s }
            # an expected line as an anchored regular expression: [...] matches any text
            function pattern(s,    out, k, parts, np) {
                np = split(s, parts, /\[\.\.\.\]/)
                out = ""
                for (k = 1; k <= np; k++) {
                    out = out (k > 1 ? ".*" : "") quote(parts[k])
                }
                return "^" out "$"
            }
            function quote(s,    out, c, k) {
                out = ""
                for (k = 1; k <= length(s); k++) {
                    c = substr(s, k, 1)
                    out = out (index("\\^$.[]|()*+?{}/", c) ? "\\" : "") c
                }
                return out
            }
            function same(g, e) { return index(e, "[...]") ? g ~ pattern(e) : g == e }
            { got[++ng] = rtrim($0) }
            END {
                while ((getline l < expfile) > 0) { want[++ne] = rtrim(l) }
                # segments of expected lines between "..." lines must appear in order; the
                # first is anchored at the start unless "..." opens, the last at the end
                gi = 1; ei = 1
                while (ei <= ne) {
                    if (want[ei] == "...") { skip = 1; ei++; continue }
                    seg0 = ei; while (ei <= ne && want[ei] != "...") ei++
                    len = ei - seg0
                    last = ei > ne
                    if (last) {
                        start = ng - len + 1
                        if (start < gi || (!skip && start != gi)) exit 1
                    } else {
                        for (start = gi; start + len - 1 <= ng; start++) {
                            ok = 1
                            for (k = 0; k < len; k++) if (!same(got[start + k], want[seg0 + k])) { ok = 0; break }
                            if (ok || !skip) break
                        }
                        if (!ok) exit 1
                    }
                    for (k = 0; k < len; k++) if (!same(got[start + k], want[seg0 + k])) exit 1
                    gi = start + len; skip = 0
                }
                if (!skip && gi <= ng) exit 1
                exit 0
            }' "$tmp/got"; then
            printf '  ok    %s:%s: %s\n' "$md" "$(cat "$tmp/line.$i")" "$cmd"
        else
            fail=$((fail + 1))
            printf '  DIFF  %s:%s: %s\n' "$md" "$(cat "$tmp/line.$i")" "$cmd"
            echo "        the chapter shows:"; sed 's/^/        | /' "$tmp/exp.$i"
            echo "        the program printed:"; sed 's/^/        | /' "$tmp/got" | head -n 60
        fi
        i=$((i + 1))
    done
done
echo
if [ "$fail" != 0 ]; then
    echo "  $fail of $total commands print something else than their chapter shows"
    exit 1
fi
echo "  all $total commands print what their chapter shows"
