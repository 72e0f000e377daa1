#!/bin/sh
# chapter-dir.sh CH: prints the folder name under chapters/ that CH names: its number with or
# without the leading zero (02, 2) or a word of its name (ngrams). Exits 2 with a usage
# message naming the chapters when CH is empty or names none, or more than one.
ch=$1
list=$(cd chapters 2>/dev/null && ls -d [0-9]*-*/ | tr -d / | tr '\n' ' ' | sed 's/ $//')
usage() {
    echo "$1" >&2
    echo "  hint: chapters are: $list" >&2
    exit 2
}
[ -n "$ch" ] || usage "usage: make check CH=02  (the chapter's number, or a word of its name)"
case $ch in
    *[!0-9]*) matches=$(ls -d chapters/[0-9]*-*"$ch"*/ 2>/dev/null) ;;
    *) matches=$(ls -d chapters/"$(printf '%02d' "$(expr "$ch" + 0)")"-*/ 2>/dev/null) ;;
esac
n=$(echo "$matches" | grep -c .)
[ "$n" != 0 ] || usage "lmlab: no chapter '$ch'"
[ "$n" = 1 ] || usage "lmlab: '$ch' names $n chapters: give its number"
d=${matches%/}
echo "${d#chapters/}"
