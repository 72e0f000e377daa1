#!/bin/sh
# check-report.sh: turns Criterion's verbose output of an exercise check into a report for a
# student: one line per exercise (pass, or the message of its first failure), then a total.
awk '
/\[PASS\]/ { sub(/.*\[PASS\] [^:]*::/, ""); sub(/:.*/, ""); printf "  pass  %s\n", $0; next }
/\[FAIL\]/ { sub(/.*\[FAIL\] [^:]*::/, ""); sub(/:.*/, ""); printf "  FAIL  %s\n%s", $0, msg; msg=""; next }
/\[----\]/ && !/Assertion Failed/ { s=$0; sub(/.*\[----\] */, "", s); if (s != "") msg = msg "        " s "\n"; next }
/Synthesis/ { sub(/.*Synthesis: /, ""); total = $0 }
/CRASH|Timeout|timed out|signal/ { print "  " $0 }
END { print ""; print "  " total }
'
