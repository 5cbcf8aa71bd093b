package pss

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestClearingAFieldLeavesTheOriginalPodAlone(t *testing.T) {
	orig := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"a": "b"}},
		Spec: corev1.PodSpec{
			HostPID: true,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(false),
				WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(true)},
			},
		},
	}
	for _, tc := range []struct {
		path    string
		set     bool
		cleared func(p *corev1.Pod) bool
	}{
		{"spec.hostPID", true, func(p *corev1.Pod) bool { return !p.Spec.HostPID }},
		{"spec.hostIPC", false, func(p *corev1.Pod) bool { return !p.Spec.HostIPC }},
		{"spec.securityContext.runAsNonRoot", true, func(p *corev1.Pod) bool { return p.Spec.SecurityContext.RunAsNonRoot == nil }},
		{"spec.securityContext.windowsOptions.hostProcess", true, func(p *corev1.Pod) bool {
			return p.Spec.SecurityContext.WindowsOptions.HostProcess == nil
		}},
		{"spec.securityContext.seccompProfile", false, func(p *corev1.Pod) bool { return p.Spec.SecurityContext.SeccompProfile == nil }},
		{"metadata.annotations", true, func(p *corev1.Pod) bool { return p.Annotations == nil }},
		{"spec.noSuchField", false, func(p *corev1.Pod) bool { return true }},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := orig.DeepCopy()
			if got := fieldSet(reflect.ValueOf(&orig).Elem(), tc.path); got != tc.set {
				t.Errorf("fieldSet = %v, want %v", got, tc.set)
			}
			c := orig
			clearField(reflect.ValueOf(&c).Elem(), tc.path)
			if !tc.cleared(&c) {
				t.Errorf("%s is still set on the copy", tc.path)
			}
			if fieldSet(reflect.ValueOf(&c).Elem(), tc.path) {
				t.Errorf("fieldSet still true after clearing %s", tc.path)
			}
			if !reflect.DeepEqual(&orig, before) {
				t.Errorf("clearing %s on a copy changed the original", tc.path)
			}
		})
	}
}
