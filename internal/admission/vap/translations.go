package vap

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// Translations are the rules written in CEL, by rule ID. Pod rules read the variables
// of PodVariables; each expression is true when the object passes. The Pod Security
// ones follow the checks of k8s.io/pod-security-admission at its latest version.
var Translations = map[string]Translation{
	// Baseline.
	"pod/privileged-container": {Pod: true,
		Expression: "variables.containers.all(c, !c.?securityContext.?privileged.orValue(false))",
		Message:    containersWhere("c.?securityContext.?privileged.orValue(false)") + " + ' must not set securityContext.privileged=true'",
	},
	"pod/host-namespaces": {Pod: true,
		Expression: "!variables.spec.?hostNetwork.orValue(false) && !variables.spec.?hostPID.orValue(false) && !variables.spec.?hostIPC.orValue(false)",
		Message:    "'pod must not set ' + ['hostNetwork', 'hostPID', 'hostIPC'].filter(f, variables.spec[?f].orValue(false) == true).map(f, f + '=true').join(', ')",
	},
	"pod/added-capabilities": {Pod: true,
		Expression: "variables.containers.all(c, c.?securityContext.?capabilities.?add.orValue([]).all(x, x in " + baselineCapabilities + "))",
		Message:    containersWhere("!c.?securityContext.?capabilities.?add.orValue([]).all(x, x in "+baselineCapabilities+")") + " + ' must not add capabilities beyond the default set " + strings.ReplaceAll(baselineCapabilities, "'", "") + "'",
	},
	"pod/host-path-volumes": {Pod: true,
		Expression: "variables.spec.?volumes.orValue([]).all(v, !has(v.hostPath))",
		Message:    "'volumes ' + variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v, '\"' + v.name + '\"').join(', ') + ' must not use hostPath'",
	},
	"pod/host-ports": {Pod: true,
		Expression: "variables.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))",
		Message:    containersWhere("!c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0)") + " + ' must not set ports[].hostPort'",
	},
	"pod/apparmor-profile-unconfined": {Pod: true,
		Expression: "variables.spec.?securityContext.?appArmorProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'] && " +
			"variables.containers.all(c, c.?securityContext.?appArmorProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']) && " +
			"variables.meta.?annotations.orValue({}).all(k, !k.startsWith('container.apparmor.security.beta.kubernetes.io/') || variables.meta.annotations[k] == '' || variables.meta.annotations[k] == 'runtime/default' || variables.meta.annotations[k].startsWith('localhost/'))",
		Message: "'pod or containers must not set the AppArmor profile type to anything but RuntimeDefault or Localhost'",
	},
	"pod/forbidden-selinux-options": {Pod: true,
		Expression: selinuxOK("variables.spec.?securityContext.?seLinuxOptions.orValue({})") + " && variables.containers.all(c, " + selinuxOK("c.?securityContext.?seLinuxOptions.orValue({})") + ")",
		Message:    "'pod or containers set forbidden securityContext.seLinuxOptions: type must be one of container_t, container_init_t, container_kvm_t, container_engine_t; user and role may not be set'",
	},
	"pod/unmasked-proc-mount": {Pod: true,
		Expression: "variables.userNamespace || variables.containers.all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')",
		Message:    containersWhere("c.?securityContext.?procMount.orValue('Default') != 'Default'") + " + ' must not set securityContext.procMount to Unmasked outside a user namespace'",
	},
	"pod/seccomp-profile-unconfined": {Pod: true,
		Expression: "variables.spec.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'] && " +
			"variables.containers.all(c, c.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'])",
		Message: "'pod or containers must not set securityContext.seccompProfile.type to Unconfined'",
	},
	"pod/unsafe-sysctls": {Pod: true,
		Expression: "variables.spec.?securityContext.?sysctls.orValue([]).all(s, s.name in " + safeSysctls + ")",
		Message:    "'forbidden sysctls ' + variables.spec.?securityContext.?sysctls.orValue([]).filter(s, !(s.name in " + safeSysctls + ")).map(s, s.name).join(', ')",
	},
	"pod/windows-host-process": {Pod: true,
		Expression: "!variables.spec.?securityContext.?windowsOptions.?hostProcess.orValue(false) && variables.containers.all(c, !c.?securityContext.?windowsOptions.?hostProcess.orValue(false))",
		Message:    "'pod or containers must not set securityContext.windowsOptions.hostProcess=true'",
	},
	"pod/probe-or-lifecycle-host": {Pod: true,
		Expression: "variables.containers.all(c, " + noHosts + ")",
		Message:    containersWhere("!("+noHosts+")") + " + ' must not set a host in probes or lifecycle handlers'",
	},
	// Restricted.
	"pod/restricted-volume-types": {Pod: true,
		Expression: "variables.spec.?volumes.orValue([]).all(v, " + allowedVolume + ")",
		Message:    "'volumes ' + variables.spec.?volumes.orValue([]).filter(v, !(" + allowedVolume + ")).map(v, '\"' + v.name + '\"').join(', ') + ' use restricted volume types (allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)'",
	},
	"pod/privilege-escalation-allowed": {Pod: true,
		Expression: "variables.windows || variables.containers.all(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false)",
		Message:    containersWhere("c.?securityContext.?allowPrivilegeEscalation.orValue(true) != false") + " + ' must set securityContext.allowPrivilegeEscalation=false'",
	},
	"pod/run-as-non-root": {Pod: true,
		Expression: "variables.userNamespace || (variables.spec.?securityContext.?runAsNonRoot.orValue(true) == true && " +
			"variables.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false)) == true))",
		Message: "'pod or containers ' + " + containerNames("c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false)) != true") + " + ' must set securityContext.runAsNonRoot=true, and none may set it to false'",
	},
	"pod/run-as-root-user": {Pod: true,
		Expression: "variables.userNamespace || (variables.spec.?securityContext.?runAsUser.orValue(1) != 0 && variables.containers.all(c, c.?securityContext.?runAsUser.orValue(1) != 0))",
		Message:    "'pod or containers must not set runAsUser=0'",
	},
	"pod/seccomp-profile-missing": {Pod: true,
		Expression: "variables.windows || " + seccompExplicitlyBad + " || variables.containers.all(c, " + seccompSet + ")",
		Message:    "'pod or containers ' + " + containerNames("!("+seccompSet+")") + " + ' must set securityContext.seccompProfile.type to RuntimeDefault or Localhost'",
	},
	"pod/unrestricted-capabilities": {Pod: true,
		Expression: "variables.windows || variables.containers.all(c, " + restrictedCaps + ")",
		Message:    containersWhere("!("+restrictedCaps+")") + " + ' must set securityContext.capabilities.drop=[\"ALL\"] and may add only NET_BIND_SERVICE'",
	},
	"pod/unmasked-proc-mount-user-namespace": {Pod: true,
		Expression: "!variables.userNamespace || variables.containers.all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')",
		Message:    containersWhere("c.?securityContext.?procMount.orValue('Default') != 'Default'") + " + ' must not set securityContext.procMount to Unmasked'",
	},
	// Hardening.
	"pod/readonly-root-filesystem-missing": {Pod: true,
		Expression: "variables.windows || variables.containers.all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false) == true)",
		Message:    containersWhere("c.?securityContext.?readOnlyRootFilesystem.orValue(false) != true") + " + ' must set securityContext.readOnlyRootFilesystem: true'",
	},
	"pod/share-process-namespace": {Pod: true,
		Expression: "!variables.spec.?shareProcessNamespace.orValue(false)",
		Message:    "'pod sets shareProcessNamespace: true, so its containers see and signal each other\\'s processes'",
	},
	"svc/external-ips": {
		Resources:  services(),
		Expression: "object.spec.?externalIPs.orValue([]).size() == 0",
		Message:    "'Service claims externalIPs ' + object.spec.externalIPs.join(', ') + ' (CVE-2020-8554)'",
	},
	"svc/node-port": {
		Resources:  services(),
		Expression: "object.spec.?type.orValue('ClusterIP') != 'NodePort'",
		Message:    "'NodePort Service exposes its ports on every node'",
	},
}

func services() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{resources("", "v1", "services")}
}

// containersWhere is a CEL string naming the containers for which cond (over c) holds.
func containersWhere(cond string) string {
	return "'containers ' + " + containerNames(cond)
}

func containerNames(cond string) string {
	return fmt.Sprintf("variables.containers.filter(c, %s).map(c, '\"' + c.name + '\"').join(', ')", cond)
}

func selinuxOK(opts string) string {
	return fmt.Sprintf("(%[1]s.?type.orValue('') in ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'] && %[1]s.?user.orValue('') == '' && %[1]s.?role.orValue('') == '')", opts)
}

const baselineCapabilities = "['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']"

const safeSysctls = "['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat']"

const allowedVolume = "has(v.configMap) || has(v.csi) || has(v.downwardAPI) || has(v.emptyDir) || has(v.ephemeral) || has(v.image) || has(v.persistentVolumeClaim) || has(v.projected) || has(v.secret)"

const restrictedCaps = "'ALL' in c.?securityContext.?capabilities.?drop.orValue([]) && c.?securityContext.?capabilities.?add.orValue([]).all(x, x == 'NET_BIND_SERVICE')"

// noHosts: no probe or lifecycle handler of container c names a host.
var noHosts = func() string {
	var terms []string
	for _, h := range []string{"livenessProbe", "readinessProbe", "startupProbe", "lifecycle.?postStart", "lifecycle.?preStop"} {
		for _, a := range []string{"httpGet", "tcpSocket"} {
			terms = append(terms, fmt.Sprintf("c.?%s.?%s.?host.orValue('') == ''", h, a))
		}
	}
	return strings.Join(terms, " && ")
}()

// seccompSet: container c has a seccomp profile of its own (an Unconfined one is
// pod/seccomp-profile-unconfined's), or the pod sets a confining one.
const seccompSet = "c.?securityContext.?seccompProfile.hasValue() || variables.spec.?securityContext.?seccompProfile.?type.orValue('') in ['RuntimeDefault', 'Localhost']"

// seccompExplicitlyBad: the pod or a container sets a profile that does not confine.
// The library then reports that alone, in pod/seccomp-profile-unconfined's words.
const seccompExplicitlyBad = "!(variables.spec.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']) || variables.containers.exists(c, !(c.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']))"
