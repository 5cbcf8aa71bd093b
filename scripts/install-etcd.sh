#!/usr/bin/env bash
# install-etcd.sh makes sure an etcd server is available for Moat's e2e tests:
# $MOAT_ETCD when set, else `etcd` on PATH, else Debian's etcd-server package
# (3.4.23 in bookworm; it serves kube-apiserver 1.37, which needs etcd >= 3.4).
# Idempotent: returns at once when etcd is there. Prints the path of etcd.
set -euo pipefail

if [ -n "${MOAT_ETCD:-}" ]; then
	[ -x "$MOAT_ETCD" ] || { echo "install-etcd: MOAT_ETCD=$MOAT_ETCD is not an executable" >&2; exit 1; }
	echo "$MOAT_ETCD"
	exit 0
fi
if command -v etcd >/dev/null; then
	command -v etcd
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-etcd: etcd is missing and installing it needs root (or set MOAT_ETCD)" >&2; exit 1; }
	sudo=(sudo)
fi
if ! command -v apt-get >/dev/null; then
	echo "install-etcd: etcd is missing and this is not a Debian-like system; install etcd >= 3.4 and put it on PATH or in MOAT_ETCD" >&2
	exit 1
fi

echo "install-etcd: installing Debian's etcd-server" >&2
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when they do not know the package yet.
if ! apt-cache policy etcd-server 2>/dev/null | grep -q 'Candidate: [0-9]'; then
	"${sudo[@]}" apt-get update -qq >&2
fi
# --no-install-recommends: the tests need the server only, not etcd-client.
# policy-rc.d keeps the package from starting a system etcd on port 2379 where
# an init system runs; the tests start their own etcd on a free port.
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	added_policy=1
fi
status=0
"${sudo[@]}" apt-get install -y -qq --no-install-recommends etcd-server >&2 || status=$?
if [ -n "$added_policy" ]; then "${sudo[@]}" rm -f "$policy"; fi
[ $status -eq 0 ] || exit $status
command -v etcd
