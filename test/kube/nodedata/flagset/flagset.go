// Package flagset describes a component's command-line flags. It imports nothing a
// component does not link already, so that nodedata/kubeproxyflags, which links
// exactly what kube-proxy's main links, sees the process-wide flag sets kube-proxy sees.
package flagset

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
)

// Flag is one flag: its pflag value type, its default as the flag prints it, and
// whether the component warns that it is deprecated.
type Flag struct {
	Type       string `json:"type"`
	Default    string `json:"default"`
	Deprecated bool   `json:"deprecated,omitempty"`
}

// Cobra is the flag set a component's cobra command parses, built the way the
// component's main builds it: component-base's cli.Run sets the word-separator
// normalisation and adds the logging flags, then cobra merges the persistent flags
// and pflag.CommandLine into the command's own (ParseFlags with no arguments does
// that merge and nothing else).
func Cobra(cmd *cobra.Command) (*pflag.FlagSet, error) {
	cmd.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	logs.AddFlags(cmd.PersistentFlags())
	if err := cmd.ParseFlags(nil); err != nil {
		return nil, err
	}
	return cmd.Flags(), nil
}

// Describe is a flag set's flags by name, without --help (every command has it and
// it configures nothing).
func Describe(fs *pflag.FlagSet) map[string]Flag {
	out := map[string]Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		name := string(cliflag.WordSepNormalizeFunc(fs, f.Name))
		if name == "help" {
			return
		}
		out[name] = Flag{Type: f.Value.Type(), Default: f.DefValue, Deprecated: f.Deprecated != ""}
	})
	return out
}

// usageFlagLine matches a flag in pflag's usage text: "  -h, --help" or "      --v Level".
var usageFlagLine = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([\w.-]+)`)

// UsageNames are the names of the flags a usage text lists, sorted.
func UsageNames(usage string) []string {
	var names []string
	for _, m := range usageFlagLine.FindAllStringSubmatch(usage, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// VisibleNames are the flags a usage text shows (pflag hides hidden and deprecated
// ones), sorted.
func VisibleNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	slices.Sort(names)
	return names
}

// SameNames reports the names in one list and not in the other.
func SameNames(usage, built []string) error {
	var onlyUsage, onlyBuilt []string
	for _, n := range usage {
		if _, found := slices.BinarySearch(built, n); !found {
			onlyUsage = append(onlyUsage, n)
		}
	}
	for _, n := range built {
		if _, found := slices.BinarySearch(usage, n); !found {
			onlyBuilt = append(onlyBuilt, n)
		}
	}
	if len(onlyUsage)+len(onlyBuilt) > 0 {
		return fmt.Errorf("only in the usage text: %v; only in the flag set: %v", onlyUsage, onlyBuilt)
	}
	return nil
}
