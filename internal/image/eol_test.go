package image

import (
	"testing"
	"time"
)

func TestEndOfLife(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		id, version  string
		ended, known bool
		date         string
	}{
		{"debian", "10", true, true, "2024-06-30"},
		{"debian", "12", false, true, "2028-06-30"},
		{"alpine", "3.20.3", true, true, "2026-04-01"},
		{"alpine", "3.22.1", false, true, "2027-05-01"},
		{"ubuntu", "22.04", false, true, "2027-06-01"},
		{"ubuntu", "20.04", true, true, "2025-05-29"},
		{"rhel", "8.10", false, true, "2029-05-31"},
		{"centos", "7.9.2009", true, true, "2024-06-30"},
		{"amzn", "2", true, true, "2026-06-30"},
		{"alpine", "3.99", false, false, ""},
		{"gentoo", "2.15", false, false, ""},
	} {
		ended, date, known := EndOfLife(&OSRelease{ID: c.id, VersionID: c.version}, now)
		if ended != c.ended || date != c.date || known != c.known {
			t.Errorf("%s %s: ended %v date %q known %v, want %v %q %v", c.id, c.version, ended, date, known, c.ended, c.date, c.known)
		}
	}
	// The last day of support is still supported.
	if ended, _, _ := EndOfLife(&OSRelease{ID: "debian", VersionID: "11"}, time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC)); ended {
		t.Error("Debian 11 counted as ended on its last day of support")
	}
}
