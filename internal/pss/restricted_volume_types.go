// Rule pod/restricted-volume-types: at the restricted level a pod may use only the
// volume types configMap, csi, downwardAPI, emptyDir, ephemeral, image,
// persistentVolumeClaim, projected and secret. The verdict is the library's restricted
// check "restrictedVolumes"; each volume is reported at its own field.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "restrictedVolumes",
		meta: rule.Meta{
			ID:       "pod/restricted-volume-types",
			Title:    "Pod uses a volume type outside the restricted set",
			Severity: finding.Medium,
			Description: "At the restricted level a pod may only use configMap, csi, downwardAPI, emptyDir, ephemeral, " +
				"image, persistentVolumeClaim, projected and secret volumes. Inline types such as hostPath, nfs, iscsi, " +
				"rbd, cephfs or gitRepo reach the node or a storage backend directly, outside the control of " +
				"PersistentVolumes and StorageClasses (gitRepo even runs git on the node, CVE-2024-10220). Pod Security " +
				"Standards, restricted level, control Volume Types (check restrictedVolumes of " +
				"k8s.io/pod-security-admission); NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Replace the inline volume with a persistentVolumeClaim bound to a PersistentVolume, or with a configMap, secret, projected, emptyDir, ephemeral or csi volume.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{volumes: true},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.spec.?volumes.orValue([]).all(v, " + allowedVolumeCEL + ")",
			Message:    "'volumes ' + variables.spec.?volumes.orValue([]).filter(v, !(" + allowedVolumeCEL + ")).map(v, '\"' + v.name + '\"').join(', ') + ' use restricted volume types (allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)'",
		},
	})
}

// allowedVolumeCEL: volume v is of a type the restricted level allows.
const allowedVolumeCEL = "has(v.configMap) || has(v.csi) || has(v.downwardAPI) || has(v.emptyDir) || has(v.ephemeral) || has(v.image) || has(v.persistentVolumeClaim) || has(v.projected) || has(v.secret)"
