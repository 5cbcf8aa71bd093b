package contents

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// dpkgStatus generates a status file of n installed packages, with the fields a real
// one has, a third of them built from a differently named source package.
func dpkgStatus(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Package: lib%04d\nStatus: install ok installed\nPriority: optional\nSection: libs\n", i)
		fmt.Fprintf(&b, "Installed-Size: %d\nMaintainer: Maintainer %d <m%d@example.org>\nArchitecture: amd64\nMulti-Arch: same\n", 100+i, i, i)
		if i%3 == 0 {
			fmt.Fprintf(&b, "Source: src%04d (1:%d.%d-1)\n", i/3, i%7, i%11)
		}
		fmt.Fprintf(&b, "Version: 1:%d.%d-1~deb12u%d\nDepends: libc6 (>= 2.34), lib%04d (= 1.0)\n", i%7, i%11, i%5, (i+1)%n)
		fmt.Fprintf(&b, "Description: generated package %d\n Long description line one.\n Long description line two.\n\n", i)
	}
	return b.String()
}

// BenchmarkInventory inventories an image of three layers: a base with 1,000 dpkg
// packages and 5,000 other files, an application layer and a layer of deletions.
func BenchmarkInventory(b *testing.B) {
	base := []tarFile{dir("etc"), symlink("etc/os-release", "../usr/lib/os-release"), reg("usr/lib/os-release", debian12), reg("var/lib/dpkg/status", dpkgStatus(1000))}
	for i := range 5000 {
		base = append(base, reg(fmt.Sprintf("usr/share/doc/lib%04d/copyright", i), "Copyright: generated\n"))
	}
	app := []tarFile{reg("srv/web/package-lock.json", fixture(b, "package-lock.json")), exe("srv/web/start.sh", "#!/bin/sh\n")}
	img := imageOf(b, layer(b, base...), layer(b, app...), layer(b, whiteout("usr/share/doc/lib0001")))

	b.ReportAllocs()
	var packages int
	for b.Loop() {
		got, err := Inventory(context.Background(), img, Options{})
		if err != nil {
			b.Fatal(err)
		}
		packages = len(got.Packages)
	}
	if packages != 1002 {
		b.Fatalf("%d packages, want 1,000 from dpkg and 2 from npm", packages)
	}
	b.ReportMetric(float64(packages), "packages")
}
