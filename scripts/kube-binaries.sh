#!/usr/bin/env bash
# kube-binaries.sh builds the Kubernetes control-plane programs that Moat's
# e2e tests run (kube-apiserver, kube-controller-manager) from the
# k8s.io/kubernetes version pinned in test/kube/go.mod, and caches them as
# $MOAT_KUBE_CACHE/<program>-<version> (default: .cache/kube/ at the repo root).
#
# Idempotent: a program whose cached binary exists is not built again, so a
# warm run returns at once. A cold build takes about ten minutes on 2 cores; it
# runs under nice so that it does not starve the rest of the machine.
#
# Usage: scripts/kube-binaries.sh [program...]   (default: both programs)
# Prints the path of each binary on stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/test/kube"
cache=${MOAT_KUBE_CACHE:-$root/.cache/kube}
go=${GO:-go}

programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(kube-apiserver kube-controller-manager)

# The version is the one go.mod pins; read it from the file so that a warm run
# does not need the go command to load the module graph.
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 } $1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2 }' "$mod/go.mod" | head -n1)
[ -n "$version" ] || { echo "kube-binaries: no k8s.io/kubernetes requirement in $mod/go.mod" >&2; exit 1; }

missing=()
for p in "${programs[@]}"; do
	case $p in
	kube-apiserver | kube-controller-manager) ;;
	*) echo "kube-binaries: unknown program $p" >&2; exit 2 ;;
	esac
	[ -x "$cache/$p-$version" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	mkdir -p "$cache"
	# One build at a time per cache, also across concurrent make runs.
	exec 9>"$cache/.build.lock"
	if command -v flock >/dev/null; then flock 9; fi
	# The version stamped into the binary, as Kubernetes' own release build does
	# (hack/lib/version.sh), so that /version reports it.
	minor=${version#v*.}; minor=${minor%%.*}
	major=${version#v}; major=${major%%.*}
	pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
	ldflags="-s -w"
	for pkg in "${pkgs[@]}"; do
		ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done
	for p in "${missing[@]}"; do
		out="$cache/$p-$version"
		[ -x "$out" ] && continue # built by a concurrent run while we waited
		echo "kube-binaries: building $p $version into $cache (takes minutes when cold)" >&2
		start=$(date +%s)
		(cd "$mod" && CGO_ENABLED=0 nice -n 10 "$go" build -trimpath -ldflags "$ldflags" \
			-o "$out.tmp" "k8s.io/kubernetes/cmd/$p")
		mv -f "$out.tmp" "$out"
		echo "kube-binaries: built $p in $(($(date +%s) - start))s" >&2
	done
fi

for p in "${programs[@]}"; do
	echo "$cache/$p-$version"
done
