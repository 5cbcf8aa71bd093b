package pss

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// libCheck is one check of policy.DefaultChecks() with its versions resolved for every
// policy minor version, once, when the package is initialised.
type libCheck struct {
	id    policy.CheckID
	level api.Level
	// byMinor[m] is what applies at policy version v1.m. The last entry also applies to
	// every later minor and to "latest": no check changes after newestMinor.
	byMinor []resolved
}

// resolved is the versioned check that applies at one policy version.
type resolved struct {
	// check is the VersionedCheck's CheckPod; nil when the check does not apply yet.
	check policy.CheckPodFn
	// overridden are the baseline checks, at the same version, that this restricted
	// check replaces at the restricted level (VersionedCheck.OverrideCheckIDs).
	overridden []policy.CheckPodFn
}

// library maps a check ID to the check; newestMinor is the newest minor version at
// which any check changes. Both are computed here and never written after.
var library, newestMinor = loadLibrary()

func loadLibrary() (map[policy.CheckID]*libCheck, int) {
	checks := policy.DefaultChecks()
	newestMinor := 0
	for _, c := range checks {
		for _, v := range c.Versions {
			if v.MinimumVersion.Major() == 1 && v.MinimumVersion.Minor() > newestMinor {
				newestMinor = v.MinimumVersion.Minor()
			}
		}
	}
	// pick returns the VersionedCheck with the greatest MinimumVersion <= v1.minor.
	pick := func(c policy.Check, minor int) *policy.VersionedCheck {
		var best *policy.VersionedCheck
		for i := range c.Versions {
			mv := c.Versions[i].MinimumVersion
			if mv.Major() != 1 || mv.Latest() || mv.Minor() > minor {
				continue
			}
			if best == nil || best.MinimumVersion.Minor() < mv.Minor() {
				best = &c.Versions[i]
			}
		}
		return best
	}
	byID := make(map[policy.CheckID]policy.Check, len(checks))
	for _, c := range checks {
		byID[c.ID] = c
	}
	out := make(map[policy.CheckID]*libCheck, len(checks))
	for _, c := range checks {
		lc := &libCheck{id: c.ID, level: c.Level, byMinor: make([]resolved, newestMinor+1)}
		for m := 0; m <= newestMinor; m++ {
			vc := pick(c, m)
			if vc == nil {
				continue
			}
			r := resolved{check: vc.CheckPod}
			for _, id := range vc.OverrideCheckIDs {
				if base, ok := byID[id]; ok {
					if bv := pick(base, m); bv != nil {
						r.overridden = append(r.overridden, bv.CheckPod)
					}
				}
			}
			lc.byMinor[m] = r
		}
		out[c.ID] = lc
	}
	return out, newestMinor
}

// at returns what applies at the policy version v ("latest", "v1.N", or "" for latest).
// A version that does not parse evaluates as latest, as the library does for a
// namespace label it cannot parse; the command line rejects it first (ParseVersion).
func (c *libCheck) at(v string) resolved {
	m, _ := minorOf(v)
	return c.byMinor[m]
}

// ParseVersion checks a Pod Security Standards version as the --pss-version flag takes
// it: "latest" or "v1.N". Versions newer than the newest policy change evaluate as that
// change.
func ParseVersion(s string) error {
	if _, err := api.ParseVersion(s); err != nil {
		return fmt.Errorf("invalid Pod Security Standards version %q: must be \"latest\" or \"v1.N\" (e.g. \"v1.%d\")", s, newestMinor)
	}
	return nil
}

// minorOf turns a version string into an index of libCheck.byMinor without a regular
// expression, since it runs for every object and rule. It accepts exactly what
// api.ParseVersion accepts, and "" as latest; anything else gives newestMinor and an error.
func minorOf(v string) (int, error) {
	if v == "" || v == "latest" {
		return newestMinor, nil
	}
	rest, ok := strings.CutPrefix(v, "v1.")
	if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return newestMinor, ParseVersion(v)
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return newestMinor, ParseVersion(v)
		}
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return newestMinor, ParseVersion(v)
	}
	return min(n, newestMinor), nil
}
