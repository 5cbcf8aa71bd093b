package workload

// pod/ssh-port-exposed: a container should not declare an SSH port: containerPort 22
// over TCP, or a port named "ssh". An SSH server in a container is a second way in that
// bypasses kubectl exec, its RBAC and its audit log, and usually comes with long-lived
// keys or passwords.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/ssh-port-exposed",
			Title:    "Container exposes an SSH port",
			Severity: finding.Medium,
			Description: "A container that listens on port 22 or declares a port named \"ssh\" runs an SSH server: " +
				"a remote entry point with its own credentials, outside Kubernetes authentication, RBAC and audit " +
				"logging, and a sign of a container used as a virtual machine. kube-linter (ssh-port) and Kubescape " +
				"(C-0042) flag it; the NSA/CISA Kubernetes Hardening Guide (Kubernetes Pod security) asks for minimal " +
				"images that run one service.",
			Remediation: "Remove the SSH server and the port from the container, and use kubectl exec or kubectl debug, " +
				"which RBAC governs and the audit log records.",
			Frameworks: finding.Frameworks{NSA: nsaPodSecurity, MITRE: "T1021.004"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, sshPort),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + sshPortCEL + "))",
			Message:    celexpr.ContainersWhere(sshPortCEL) + " + ' expose the SSH port (22/TCP or a port named ssh)'",
		},
	})
}

func sshPort(_ podspec.Pod, ct podspec.Container) []rule.Result {
	var out []rule.Result
	for j, port := range ct.Ports {
		proto := port.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		var msg string
		switch {
		case port.ContainerPort == 22 && proto == corev1.ProtocolTCP:
			msg = fmt.Sprintf("%s exposes port 22/TCP, the SSH port", ct.Describe())
		case strings.EqualFold(port.Name, "ssh"):
			msg = fmt.Sprintf("%s exposes port %d/%s named %q", ct.Describe(), port.ContainerPort, proto, port.Name)
		default:
			continue
		}
		out = append(out, rule.Result{Message: msg, Path: fmt.Sprintf("%s.ports[%d].containerPort", ct.Path, j)})
	}
	return out
}

// sshPortCEL: container c exposes 22/TCP or a port named ssh (case-folded).
const sshPortCEL = "c.?ports.orValue([]).exists(p, (p.?containerPort.orValue(0) == 22 && p.?protocol.orValue('TCP') in ['', 'TCP']) || p.?name.orValue('').replace('\u017f', 's').lowerAscii() == 'ssh')"
