#!/bin/sh
# deps.sh PACKAGE...: install the Debian packages that dpkg does not find.
# One apt-get update first (a bare machine has no package lists); root or sudo needed.
missing=""
for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "lmlab: missing packages:$missing (no apt-get here: install them with your system's tools)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "lmlab: missing packages:$missing; run 'make deps' as root (or install sudo)" >&2
        exit 1
    fi
fi
echo "lmlab: installing$missing" >&2
$SUDO apt-get update -qq >&2 || echo "lmlab: apt-get update failed; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
status=0
for p in $missing; do
    if ! dpkg -s "$p" >/dev/null 2>&1; then
        echo "lmlab: could not install Debian package '$p'" >&2
        status=1
    fi
done
exit $status
