package fieldprobe

import (
	"slices"
	"testing"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// sampleConfig has the shapes of field the kubelet's and kube-proxy's configurations
// have.
type sampleConfig struct {
	metav1.TypeMeta `json:",inline"`
	Port            int32             `json:"port,omitempty"`
	Timeout         metav1.Duration   `json:"timeout"`
	Auth            sampleAuth        `json:"authentication"`
	Tracing         *sampleTracing    `json:"tracing,omitempty"`
	Enabled         *bool             `json:"enabled,omitempty"`
	Reserved        map[string]string `json:"reserved,omitempty"`
	Names           []string          `json:"names"`
	Untagged        string
	Skipped         string `json:"-"`
	hidden          string
}

type sampleAuth struct {
	Anonymous struct {
		Enabled *bool `json:"enabled"`
	} `json:"anonymous"`
}

type sampleTracing struct {
	Endpoint string `json:"endpoint"`
}

func TestChangedFields(t *testing.T) {
	yes := true
	tests := []struct {
		name   string
		change func(c *sampleConfig)
		want   []string
	}{
		{"nothing", func(*sampleConfig) {}, nil},
		{"a number", func(c *sampleConfig) { c.Port = 1 }, []string{"port"}},
		{"a nested pointer", func(c *sampleConfig) { c.Auth.Anonymous.Enabled = &yes }, []string{"authentication.anonymous.enabled"}},
		{"a value that marshals itself is one field", func(c *sampleConfig) { c.Timeout.Duration = time.Hour }, []string{"timeout"}},
		{"a struct pointer set", func(c *sampleConfig) { c.Tracing = &sampleTracing{} }, []string{"tracing"}},
		{"a map entry is the map", func(c *sampleConfig) { c.Reserved = map[string]string{"cpu": "1"} }, []string{"reserved"}},
		{"an empty map is none", func(c *sampleConfig) { c.Reserved = map[string]string{} }, nil},
		{"an empty list is none", func(c *sampleConfig) { c.Names = []string{} }, nil},
		{"inline fields have no prefix", func(c *sampleConfig) { c.Kind = "X" }, []string{"kind"}},
		{"a field without a tag goes by its name", func(c *sampleConfig) { c.Untagged = "x" }, []string{"Untagged"}},
		{"json:\"-\" and unexported fields are not fields", func(c *sampleConfig) { c.Skipped, c.hidden = "x", "y" }, nil},
		{"two fields", func(c *sampleConfig) { c.Port, c.Names = 1, []string{"a"} }, []string{"port", "names"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &sampleConfig{Tracing: nil}
			changed := &sampleConfig{}
			tt.change(changed)
			got := Changed(base, changed)
			if !slices.Equal(got, tt.want) {
				t.Errorf("changedFields = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Bool("off", false, "")
	fs.Bool("on", true, "")
	fs.Int32("port", 10250, "")
	fs.Duration("period", time.Minute, "")
	fs.String("name", "moat-sample", "")
	fs.Var(cliflagMapStringBool{}, "feature-gates", "")
	tests := []struct {
		flag      string
		wantFirst []string
	}{
		{"off", []string{"true"}},
		{"on", []string{"false"}},
		{"port", []string{"12345", "7"}},
		{"period", []string{"1h2m3s", "2h3m4s"}},
		// never the flag's own default
		{"name", []string{"moat-a,moat-b"}},
		// an unknown gate, then the one the component accepts
		{"feature-gates", []string{"MoatSample=true", "Locked=true"}},
	}
	for _, tt := range tests {
		got := candidates(fs.Lookup(tt.flag), "Locked=true")
		if len(got) < len(tt.wantFirst) || !slices.Equal(got[:len(tt.wantFirst)], tt.wantFirst) {
			t.Errorf("candidates(--%s) = %q, want it to start with %q", tt.flag, got, tt.wantFirst)
		}
		if slices.Contains(got, fs.Lookup(tt.flag).DefValue) {
			t.Errorf("candidates(--%s) holds its default %q", tt.flag, fs.Lookup(tt.flag).DefValue)
		}
	}
}

// cliflagMapStringBool is a flag value of the type name --feature-gates has.
type cliflagMapStringBool struct{}

func (cliflagMapStringBool) String() string   { return "" }
func (cliflagMapStringBool) Set(string) error { return nil }
func (cliflagMapStringBool) Type() string     { return "mapStringBool" }
