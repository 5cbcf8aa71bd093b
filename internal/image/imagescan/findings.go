package imagescan

import (
	"fmt"
	"strings"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/rule"
)

// Findings turns the scan's results into findings of the image/* rules, and the images
// that could not be scanned into errors.
func Findings(images []Image, now time.Time) ([]finding.Finding, []string) {
	var fs []finding.Finding
	var errs []string
	for _, im := range images {
		if im.Err != nil {
			errs = append(errs, im.Err.Error())
			continue
		}
		where := describe(im)
		for _, m := range im.Matches {
			msg := fmt.Sprintf("%s %s (%s, %s) is affected by %s", m.Package.Name, m.Package.Version, m.Package.Ecosystem, m.Package.Location, m.ID)
			if len(m.Aliases) > 0 {
				msg += " (" + strings.Join(m.Aliases, ", ") + ")"
			}
			if m.Summary != "" {
				msg += ": " + m.Summary
			}
			if m.Fixed != "" {
				msg += "; fixed in " + m.Fixed
			} else {
				msg += "; no fixed version yet"
			}
			f := newFinding(image.VulnerabilityRule, im, msg+"; "+where, "packages["+m.Package.Name+"]")
			f.Severity = severity(m.Severity)
			fs = append(fs, f)
		}
		if c := im.Contents; c != nil {
			if ended, date, known := image.EndOfLife(c.OS, now); known && ended {
				msg := fmt.Sprintf("the image is built on %s, whose security support ended on %s; %s", osName(c.OS), date, where)
				fs = append(fs, newFinding(image.EndOfLifeOSRule, im, msg, "os"))
			}
		}
		if s := im.Signature; s != nil && !s.Verified {
			msg := fmt.Sprintf("no signature of %s verifies under the signing policy: %s; %s", im.Digest, s.Reason, where)
			fs = append(fs, newFinding(image.SignatureMissingRule, im, msg, "signature"))
		}
	}
	finding.Sort(fs)
	return fs, errs
}

func newFinding(m rule.Meta, im Image, msg, path string) finding.Finding {
	f := finding.Finding{
		RuleID: m.ID, Severity: m.Severity, Title: m.Title, Message: msg,
		Resource: image.Resource(im.Use.Image), Path: path,
		Frameworks: m.Frameworks, Remediation: m.Remediation,
	}
	if len(im.Use.Workloads) > 0 {
		f.Source = im.Use.Workloads[0].Source
	}
	return f
}

// describe says which image the finding is about and who runs it.
func describe(im Image) string {
	s := "image " + im.Digest
	if im.Contents != nil && im.Contents.Platform != "" {
		s += " (" + im.Contents.Platform + ")"
	}
	if ws := sortedWorkloads(im.Use); len(ws) > 0 {
		s += ", run by " + strings.Join(ws, ", ")
	}
	return s
}

func osName(os *image.OSRelease) string {
	if os.PrettyName != "" {
		return os.PrettyName
	}
	return os.ID + " " + os.VersionID
}

// severity maps an advisory's severity word to Moat's; an advisory without one counts
// as high, the rule's own severity.
func severity(s string) finding.Severity {
	switch strings.ToLower(s) {
	case "critical":
		return finding.Critical
	case "high":
		return finding.High
	case "medium", "moderate":
		return finding.Medium
	case "low":
		return finding.Low
	}
	return image.VulnerabilityRule.Severity
}
