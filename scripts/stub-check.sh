#!/bin/sh
# stub-check.sh LOG CHAPTER: the exercise tests of an untouched stub must all fail.
# Reads Criterion's synthesis line from LOG; passes when no test passed.
log=$1 ch=$2
line=$(grep 'Synthesis:' "$log" | tail -n 1)
passing=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
if [ -z "$tested" ] || [ "$tested" = 0 ]; then
    echo "  $ch: the stub build ran no exercise test"; cat "$log"; exit 1
fi
if [ "$passing" != 0 ]; then
    echo "  $ch: $passing of $tested exercise tests pass on the untouched stub (they must fail)"
    grep '\[PASS\]' "$log"
    exit 1
fi
echo "  $ch: all $tested exercise tests fail on the untouched stub, as they must"
