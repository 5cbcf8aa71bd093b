package certs

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Options)
		wantErr string // "" = valid
	}{
		{"the test options", func(*Options) {}, ""},
		{"zero durations take the defaults", func(o *Options) { o.Validity, o.RenewBefore, o.Grace = 0, 0, 0 }, ""},
		{"IP addresses and DNS names as extra names", func(o *Options) { o.ExtraSANs = []string{"127.0.0.1", "::1", "hook.example.com", "*.example.com"} }, ""},
		{"no Secret", func(o *Options) { o.Secret = types.NamespacedName{Name: "x"} }, "Secret: want NAMESPACE/NAME"},
		{"no Service", func(o *Options) { o.Service = types.NamespacedName{} }, "Service: want NAMESPACE/NAME"},
		{"an empty webhook configuration name", func(o *Options) { o.Webhooks = []string{""} }, "Webhooks: an empty name"},
		{"renewal as long as the validity", func(o *Options) { o.RenewBefore = o.Validity }, "must be shorter than Validity"},
		{"a grace longer than half the renewal window", func(o *Options) { o.Grace = 11 * time.Minute }, "at least twice Grace"},
		{"a negative duration", func(o *Options) { o.Grace = -time.Second }, "must be positive"},
		{"an extra name that is neither", func(o *Options) { o.ExtraSANs = []string{"not a host"} }, `"not a host" is neither`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions()
			tc.mutate(&o)
			err := o.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one with %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseNamespacedName(t *testing.T) {
	tests := []struct {
		in      string
		want    types.NamespacedName
		wantErr bool
	}{
		{"moat-system/moat-admission-tls", types.NamespacedName{Namespace: "moat-system", Name: "moat-admission-tls"}, false},
		{"moat-admission-tls", types.NamespacedName{}, true},
		{"/name", types.NamespacedName{}, true},
		{"ns/", types.NamespacedName{}, true},
		{"a/b/c", types.NamespacedName{}, true},
		{"Upper/name", types.NamespacedName{}, true},
	}
	for _, tc := range tests {
		got, err := ParseNamespacedName(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseNamespacedName(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestNames(t *testing.T) {
	o := testOptions()
	o.ExtraSANs = []string{"Hook.Example.com", "127.0.0.1", "0:0::1", "127.0.0.1"}
	n := o.names()
	want := []string{"hook.example.com", "moat-admission", "moat-admission.moat-system", "moat-admission.moat-system.svc", "moat-admission.moat-system.svc.cluster.local"}
	if strings.Join(n.dns, " ") != strings.Join(want, " ") {
		t.Errorf("DNS names %q, want %q", n.dns, want)
	}
	if strings.Join(n.ips, " ") != "127.0.0.1 ::1" {
		t.Errorf("IP addresses %q, want canonical, sorted, once each", n.ips)
	}
}
