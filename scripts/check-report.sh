#!/bin/sh
# check-report.sh: turns Criterion's verbose output of an exercise check into a report for a
# student: one line per exercise (pass, or FAIL with the test's message), then the total.
# Exits 1 unless every exercise passed.
awk '
/\[RUN \]/ { msg = ""; next }
/\[PASS\]/ { sub(/.*\[PASS\] [^:]*::/, ""); sub(/:.*/, ""); printf "  pass  %s\n", $0; msg = ""; next }
/\[FAIL\]/ {
    why = ""
    if ($0 ~ /Timed out/) why = "        timed out: an endless loop? (each exercise has 10 s)\n"
    else if ($0 ~ /CRASH/) why = "        crashed while running your function (a bad pointer or array index?)\n"
    sub(/.*\[FAIL\] [^:]*::/, ""); sub(/:.*/, "")
    printf "  FAIL  %s\n%s%s", $0, msg, why; msg = ""; next
}
/Unexpected signal caught/ { next }
/\[----\]/ && !/Assertion Failed/ && !/Criterion v[0-9]/ {
    s = $0; sub(/.*\[----\] */, "", s); if (s != "") msg = msg "        " s "\n"; next
}
/Synthesis/ {
    sub(/.*Synthesis: /, ""); total = $0
    tested = $0; sub(/.*Tested: /, "", tested); sub(/ .*/, "", tested)
    passing = $0; sub(/.*Passing: /, "", passing); sub(/ .*/, "", passing)
}
END {
    print ""; print "  " total
    if (tested == "" || tested != passing) exit 1
    print "  every exercise passes: well done"
}
'
