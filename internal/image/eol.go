package image

import (
	"strings"
	"time"
)

// endOfLife is the date each distribution release's security support ends (for
// releases with extended paid support, the end of the free, public one: Debian LTS,
// Ubuntu standard support, RHEL maintenance support). Keyed by os-release ID and the
// release's major (Debian, RHEL) or major.minor (Alpine, Ubuntu) version.
// A release the table does not hold is not judged.
var endOfLife = map[string]map[string]string{
	"debian": {"7": "2018-05-31", "8": "2020-06-30", "9": "2022-06-30", "10": "2024-06-30", "11": "2026-08-31", "12": "2028-06-30", "13": "2030-06-30"},
	"alpine": {
		"3.12": "2022-05-01", "3.13": "2022-11-01", "3.14": "2023-05-01", "3.15": "2023-11-01", "3.16": "2024-05-23",
		"3.17": "2024-11-22", "3.18": "2025-05-09", "3.19": "2025-11-01", "3.20": "2026-04-01", "3.21": "2026-11-01",
		"3.22": "2027-05-01", "3.23": "2027-11-01",
	},
	"ubuntu": {
		"16.04": "2021-04-30", "18.04": "2023-05-31", "20.04": "2025-05-29", "22.04": "2027-06-01", "24.04": "2029-05-31",
		"23.10": "2024-07-11", "24.10": "2025-07-10", "25.04": "2026-01-15", "25.10": "2026-07-09",
	},
	"rhel":   {"7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31"},
	"centos": {"6": "2020-11-30", "7": "2024-06-30", "8": "2021-12-31"},
	"amzn":   {"1": "2023-12-31", "2": "2026-06-30", "2023": "2029-06-30"},
}

// EndOfLife says whether os's release is past its end of support at now, and the
// date. Unknown distributions and releases are not judged (known is false).
func EndOfLife(os *OSRelease, now time.Time) (ended bool, date string, known bool) {
	if os == nil {
		return false, "", false
	}
	releases := endOfLife[os.ID]
	if releases == nil {
		return false, "", false
	}
	v := os.VersionID
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	for _, key := range []string{major + "." + minor, major} {
		if d, ok := releases[key]; ok {
			t, err := time.Parse(time.DateOnly, d)
			if err != nil {
				return false, "", false
			}
			return !now.Before(t.AddDate(0, 0, 1)), d, true
		}
	}
	return false, "", false
}
