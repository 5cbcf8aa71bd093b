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
	"pod/dangerous-capabilities": {Pod: true,
		Expression: "variables.containers.all(c, !(" + dangerousCapAdded + "))",
		Message:    containersWhere(dangerousCapAdded) + " + ' add a dangerous capability (" + strings.ReplaceAll(dangerousCaps, "'", "") + ")'",
	},
	"pod/default-service-account": {Pod: true,
		Expression: "(variables.spec.?serviceAccountName.orValue('') != '' ? variables.spec.serviceAccountName : variables.spec.?serviceAccount.orValue('') != '' ? variables.spec.serviceAccount : 'default') != 'default'",
		Message:    "'pod runs as the namespace\\'s \"default\" service account'",
	},
	"pod/liveness-probe-missing": {Pod: true,
		Expression: probePresent("livenessProbe"),
		Message:    "'containers ' + " + probeMissingNames("livenessProbe") + " + ' have no livenessProbe'",
	},
	"pod/readiness-probe-missing": {Pod: true,
		Expression: probePresent("readinessProbe"),
		Message:    "'containers ' + " + probeMissingNames("readinessProbe") + " + ' have no readinessProbe'",
	},
	"pod/root-group": {Pod: true,
		Expression: "variables.windows || !(" + rootGroup + ")",
		Message:    "'pod or containers run with group 0, the root group (runAsGroup, fsGroup or supplementalGroups)'",
	},
	"pod/ssh-port-exposed": {Pod: true,
		Expression: "variables.containers.all(c, !(" + sshPort + "))",
		Message:    containersWhere(sshPort) + " + ' expose the SSH port (22/TCP or a port named ssh)'",
	},
	"pod/writable-host-path": {Pod: true,
		Expression: "variables.containers.all(c, !(" + writableHostMount + "))",
		Message:    containersWhere(writableHostMount) + " + ' mount a hostPath volume without readOnly: true'",
	},
	"image/latest-tag": {Pod: true,
		Expression: "variables.containers.all(c, !(" + imageLatest("c.?image.orValue('')") + "))",
		Message:    containersWhere(imageLatest("c.?image.orValue('')")) + " + ' use the latest tag, written or implied'",
	},
	"image/not-pinned-by-digest": {Pod: true,
		Expression: "variables.containers.all(c, !(" + imageMutable("c.?image.orValue('')") + "))",
		Message:    containersWhere(imageMutable("c.?image.orValue('')")) + " + ' use images not pinned by a digest'",
	},
	"image/pull-policy-not-always": {Pod: true,
		Expression: "variables.containers.all(c, !(" + pullNotAlways + "))",
		Message:    containersWhere(pullNotAlways) + " + ' may run a stale copy of a mutable image: imagePullPolicy is not Always'",
	},
	"secret/env-from-secret": {Pod: true,
		Expression: "variables.containers.all(c, !(" + secretEnv + "))",
		Message:    containersWhere(secretEnv) + " + ' read a Secret into the environment (env[].valueFrom.secretKeyRef or envFrom[].secretRef); mount it as a file instead'",
	},
	"svc/load-balancer-open": {
		Resources:  services(),
		Expression: "object.spec.?type.orValue('') != 'LoadBalancer' || " + internalLB + " || (" + lbRanges + ".size() > 0 && !" + lbRanges + ".exists(r, r.trim() in ['0.0.0.0/0', '::/0']))",
		Message:    "'LoadBalancer Service exposes its ports to any address: no loadBalancerSourceRanges, or they allow 0.0.0.0/0 or ::/0, and no internal load balancer annotation'",
	},
	"namespace/pod-security-labels-missing": {
		Resources:  namespaces(),
		Expression: "'pod-security.kubernetes.io/enforce' in object.metadata.?labels.orValue({})",
		Message:    "'namespace \"' + object.metadata.?name.orValue('') + '\" has no pod-security.kubernetes.io/enforce label: pods get the cluster\\'s default Pod Security level, privileged unless configured'",
	},
	"namespace/pod-security-privileged": {
		Resources:  namespaces(),
		Expression: "object.metadata.?name.orValue('') == 'kube-system' || object.metadata.?labels[?'pod-security.kubernetes.io/enforce'].orValue('') != 'privileged'",
		Message:    "'namespace \"' + object.metadata.?name.orValue('') + '\" enforces Pod Security level privileged: any pod is admitted, privileged containers and host access included'",
	},
	"ingress/tls-missing": {
		Resources:  []admissionregistrationv1.NamedRuleWithOperations{resources("networking.k8s.io", "v1", "ingresses")},
		Expression: ingressTLS,
		Message:    "'Ingress serves hosts over plain HTTP: ' + (object.spec.?tls.orValue([]).size() == 0 ? 'it has no spec.tls' : 'hosts ' + object.spec.?rules.orValue([]).filter(r, r.?host.orValue('') != '' && !object.spec.tls.exists(t, t.?hosts.orValue([]).exists(x, " + hostCovered + "))).map(r, r.host).join(', ') + ' are not in spec.tls hosts')",
	},
	"sa/token-automount": {
		Resources:  []admissionregistrationv1.NamedRuleWithOperations{resources("", "v1", "serviceaccounts")},
		Expression: "object.?automountServiceAccountToken.orValue(true) == false",
		Message:    "'service account \"' + object.metadata.?name.orValue('') + '\" does not set automountServiceAccountToken: false, so pods that use it get its token unless they opt out'",
	},
	"pod/sensitive-host-path": {Pod: true,
		Expression: "variables.spec.?volumes.orValue([]).all(v, !has(v.hostPath) || !(" + sensitiveHostPath("v.hostPath.?path.orValue('')") + "))",
		Message:    "'hostPath volumes ' + variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath) && (" + sensitiveHostPath("v.hostPath.?path.orValue('')") + ")).map(v, '\"' + v.name + '\" (' + v.hostPath.?path.orValue('') + ')').join(', ') + ' mount sensitive host locations (runtime sockets, the root filesystem, /etc, /var/lib/kubelet, /proc, /sys, /dev and the like)'",
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

// capName normalizes a capability as the rule does: trimmed, upper-cased (the two
// non-ASCII letters whose upper case is ASCII included), without a CAP_ prefix.
func capName(x string) string {
	u := fmt.Sprintf("%s.trim().replace('\u0131', 'I').replace('\u017f', 'S').upperAscii()", x)
	return fmt.Sprintf("(%[1]s.startsWith('CAP_') ? %[1]s.substring(4) : %[1]s)", u)
}

const dangerousCaps = "['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'NET_ADMIN', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'BPF', 'SYS_BOOT', 'MAC_ADMIN', 'MAC_OVERRIDE', 'NET_RAW', 'DAC_OVERRIDE', 'PERFMON', 'MKNOD', 'SYS_TIME', 'SYSLOG']"

// dangerousCapAdded: container c adds a dangerous capability it does not also drop
// (ALL counts even when dropped).
var dangerousCapAdded = "c.?securityContext.?capabilities.?add.orValue([]).exists(a, " + capName("a") + " in " + dangerousCaps +
	" && (" + capName("a") + " == 'ALL' || !c.securityContext.capabilities.?drop.orValue([]).exists(d, " + capName("d") + " == " + capName("a") + ")))"

// probePresent: Jobs, CronJobs and pods that do not restart their containers pass;
// otherwise every regular container has the probe.
func probePresent(field string) string {
	return "object.kind in ['Job', 'CronJob'] || !(variables.spec.?restartPolicy.orValue('') in ['', 'Always']) || variables.spec.?containers.orValue([]).all(c, has(c." + field + "))"
}

func probeMissingNames(field string) string {
	return "variables.spec.?containers.orValue([]).filter(c, !has(c." + field + ")).map(c, '\"' + c.name + '\"').join(', ')"
}

// rootGroup: the pod runs a container with group 0, as pod/root-group reports.
const rootGroup = "(variables.spec.?securityContext.?runAsGroup.orValue(1) == 0 && variables.containers.exists(c, !c.?securityContext.?runAsGroup.hasValue())) || " +
	"variables.spec.?securityContext.?fsGroup.orValue(1) == 0 || " +
	"variables.spec.?securityContext.?supplementalGroups.orValue([]).exists(g, g == 0) || " +
	"variables.containers.exists(c, c.?securityContext.?runAsGroup.orValue(1) == 0)"

// sshPort: container c exposes 22/TCP or a port named ssh (case-folded).
const sshPort = "c.?ports.orValue([]).exists(p, (p.?containerPort.orValue(0) == 22 && p.?protocol.orValue('TCP') in ['', 'TCP']) || p.?name.orValue('').replace('\u017f', 's').lowerAscii() == 'ssh')"

// writableHostMount: container c mounts a hostPath volume without readOnly.
const writableHostMount = "c.?volumeMounts.orValue([]).exists(m, !m.?readOnly.orValue(false) && variables.spec.?volumes.orValue([]).exists(v, v.name == m.name && has(v.hostPath)))"

// The grammar of workload.parseImageRef, in RE2 (CEL's matches).
const (
	imageHost     = `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`
	imageRegistry = `(?:\[[0-9a-fA-F:.%]+\]|` + imageHost + `(?:\.` + imageHost + `)*)(?::[0-9]+)?`
	imageComp     = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	imageRef      = `^(?:` + imageRegistry + `/)?` + imageComp + `(?:/` + imageComp + `)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)?$`
)

// imageValid: the reference x parses. Besides the grammar: a first component with a
// dot is a registry and must be a host name, and sha256 and sha512 digests have their
// length in lower-case hex.
func imageValid(x string) string {
	return fmt.Sprintf("(%[1]s.matches(r'%[2]s') && "+
		"(!%[1]s.split('@')[0].contains('/') || !%[1]s.split('@')[0].split('/')[0].contains('.') || %[1]s.split('@')[0].split('/')[0].matches(r'^%[3]s$')) && "+
		"(!%[1]s.contains('@sha256:') || %[1]s.matches(r'@sha256:[a-f0-9]{64}$')) && (!%[1]s.contains('@sha512:') || %[1]s.matches(r'@sha512:[a-f0-9]{128}$')))",
		x, imageRef, imageRegistry)
}

// imageMutable: x is a valid reference with no digest.
func imageMutable(x string) string {
	return fmt.Sprintf("(%s && !%s.contains('@'))", imageValid(x), x)
}

// imageLatest: x is mutable and its tag is latest or absent.
func imageLatest(x string) string {
	return fmt.Sprintf("(%[2]s && (!%[1]s.matches(r':[\\w.-]+$') || %[1]s.endsWith(':latest')))", x, imageMutable(x))
}

// pullNotAlways: container c's mutable image is not always pulled: imagePullPolicy is
// set to something other than Always, or unset with a tag other than latest (the API
// then defaults it to IfNotPresent).
var pullNotAlways = "(" + imageMutable("c.?image.orValue('')") + " && c.?imagePullPolicy.orValue('') != 'Always' && " +
	"(c.?imagePullPolicy.orValue('') != '' || !" + imageLatest("c.?image.orValue('')") + "))"

func namespaces() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{resources("", "v1", "namespaces")}
}

// secretEnv: container c reads a Secret into its environment.
const secretEnv = "c.?env.orValue([]).exists(e, e.?valueFrom.?secretKeyRef.hasValue()) || c.?envFrom.orValue([]).exists(f, f.?secretRef.hasValue())"

// internalLB: the Service asks its cloud for an internal load balancer (the
// annotations of exposure.internalLB; values trimmed and lower-cased).
var internalLB = func() string {
	anyValue := []string{"service.beta.kubernetes.io/aws-load-balancer-internal"}
	want := [][2]string{
		{"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
		{"networking.gke.io/load-balancer-type", "internal"},
		{"cloud.google.com/load-balancer-type", "internal"},
		{"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
		{"service.beta.kubernetes.io/oci-load-balancer-internal", "true"},
		{"oci.oraclecloud.com/load-balancer-internal", "true"},
		{"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", "private"},
		{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", "intranet"},
		{"service.beta.kubernetes.io/openstack-internal-load-balancer", "true"},
	}
	var terms []string
	for _, k := range anyValue {
		terms = append(terms, fmt.Sprintf("!(object.metadata.?annotations[?'%s'].orValue('').trim().lowerAscii() in ['', 'false'])", k))
	}
	for _, kv := range want {
		terms = append(terms, fmt.Sprintf("object.metadata.?annotations[?'%s'].orValue('').trim().lowerAscii() == '%s'", kv[0], kv[1]))
	}
	return "(" + strings.Join(terms, " || ") + ")"
}()

// lbRanges: spec.loadBalancerSourceRanges, else the legacy annotation split at commas.
const lbRanges = "(object.spec.?loadBalancerSourceRanges.orValue([]).size() > 0 ? object.spec.loadBalancerSourceRanges : " +
	"object.metadata.?annotations[?'service.beta.kubernetes.io/load-balancer-source-ranges'].orValue('').trim() != '' ? " +
	"object.metadata.annotations['service.beta.kubernetes.io/load-balancer-source-ranges'].trim().split(',') : [])"

// hostCovered: TLS host x names rule r's host exactly or by a wildcard for its first
// label, case-insensitively. API validation has made r.host a lower-case DNS name by
// admission, so lowerAscii, with the Kelvin sign Go lower-cases to k, lowers x as Go does.
const hostCovered = "x.replace('\u212a', 'k').lowerAscii() == r.host.replace('\u212a', 'k').lowerAscii() || " +
	"(x.replace('\u212a', 'k').lowerAscii().startsWith('*.') && r.host.indexOf('.') > 0 && " +
	"r.host.replace('\u212a', 'k').lowerAscii().substring(r.host.indexOf('.') + 1) == x.replace('\u212a', 'k').lowerAscii().substring(2) && !r.host.startsWith('*.'))"

// ingressTLS: exposure.checkIngressTLS. A cloud certificate annotation or a TLS entry
// without hosts covers everything; with no spec.tls, any rule or default backend is
// served in clear; otherwise every rule host must be covered by a TLS host.
var ingressTLS = "['alb.ingress.kubernetes.io/certificate-arn', 'ingress.gcp.kubernetes.io/pre-shared-cert', 'networking.gke.io/managed-certificates', 'appgw.ingress.kubernetes.io/appgw-ssl-certificate']" +
	".exists(a, object.metadata.?annotations[?a].orValue('').trim() != '') || " +
	"(object.spec.?tls.orValue([]).size() == 0 ? " +
	"(object.spec.?rules.orValue([]).size() == 0 && !has(object.spec.defaultBackend)) : " + // spec.backend is v1beta1 only: the policy sees the v1 object
	"(object.spec.tls.exists(t, t.?hosts.orValue([]).size() == 0) || " +
	"object.spec.?rules.orValue([]).all(r, r.?host.orValue('') == '' || object.spec.tls.exists(t, t.hosts.exists(x, " + hostCovered + ")))))"

// The sensitive host locations of workload.sensitiveHostPaths: exact ones, and trees
// whose every descendant is sensitive too; /var/run spells every /run location again.
var (
	sensitiveHostExact = []string{"/", "/run/docker.sock", "/run/dockershim.sock", "/run/cri-dockerd.sock", "/run/containerd/containerd.sock",
		"/run/crio/crio.sock", "/run/podman/podman.sock", "/run/k3s/containerd/containerd.sock"}
	sensitiveHostTrees = []string{"/run/containerd", "/run/crio", "/run/podman", "/run/docker", "/run/k3s/containerd",
		"/etc/kubernetes", "/var/lib/kubelet", "/var/lib/etcd", "/var/lib/docker", "/var/lib/containerd", "/var/lib/containers",
		"/var/log", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home"}
)

func withVarRun(ps []string) []string {
	out := append([]string(nil), ps...)
	for _, p := range ps {
		if strings.HasPrefix(p, "/run/") {
			out = append(out, "/var"+p)
		}
	}
	return out
}

// cleanPathCEL is path.Clean of the hostPath x taken from "/", as workload.cleanHostPath
// does: the elements other than "" and "." are kept unless a later ".." pops them, that
// is unless some stretch after one holds more ".." than other elements.
func cleanPathCEL(x string) string {
	elems := fmt.Sprintf("(%[1]s.startsWith('/') ? %[1]s : '/' + %[1]s).split('/').filter(e, e != '' && e != '.')", x)
	kept := fmt.Sprintf("%[1]s[i] != '..' && !lists.range(%[1]s.size()).exists(j, j > i && %[1]s.slice(i + 1, j + 1).filter(e, e == '..').size() > %[1]s.slice(i + 1, j + 1).filter(e, e != '..').size())", elems)
	return fmt.Sprintf("('/' + lists.range(%[1]s.size()).filter(i, %[2]s).map(i, %[1]s[i]).join('/'))", elems, kept)
}

// sensitiveHostPath: workload.classifyHostPath finds the hostPath x sensitive. A known
// Windows runtime pipe is; another pipe is not; a path is when, cleaned, it is a
// location, lies below a sensitive tree or holds a location, unless it is benign.
func sensitiveHostPath(x string) string {
	pipe := x + ".replace('/', '\\\\').replace('\\u212a', 'k').lowerAscii()"
	c := cleanPathCEL(x)
	all := celList(append(withVarRun(sensitiveHostExact), withVarRun(sensitiveHostTrees)...))
	return fmt.Sprintf("(%[1]s.startsWith('\\\\\\\\.\\\\pipe\\\\') ? %[1]s in %[2]s : "+
		"!(%[3]s in ['/etc/localtime', '/etc/timezone']) && (%[3]s in %[4]s || %[5]s.exists(d, %[3]s.startsWith(d + '/')) || %[4]s.exists(l, l.startsWith(%[3]s + '/'))))",
		pipe, celList([]string{`\\.\pipe\docker_engine`, `\\.\pipe\containerd-containerd`, `\\.\pipe\cri-dockerd`, `\\.\pipe\dockershim`}),
		c, all, celList(withVarRun(sensitiveHostTrees)))
}
