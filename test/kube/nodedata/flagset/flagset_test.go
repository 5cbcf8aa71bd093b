package flagset

import (
	"slices"
	"testing"
)

func TestUsageFlags(t *testing.T) {
	usage := `Usage:
  kubelet [flags]

Flags:
      --address ip                  The IP address (set to 0.0.0.0 for all IPv4 interfaces
                                    and --foo is mentioned in a description)
  -h, --help                        help for kubelet
      --v Level                     number for the log level verbosity
      --vmodule pattern=N,...       comma-separated list
`
	want := []string{"address", "help", "v", "vmodule"}
	if got := UsageNames(usage); !slices.Equal(got, want) {
		t.Errorf("UsageNames = %q, want %q", got, want)
	}
	if err := SameNames(want, []string{"address", "help", "v"}); err == nil {
		t.Error("SameNames found no difference")
	}
}
