package apiversion

import "k8s.io/apimachinery/pkg/runtime/schema"

// LatestMinor is the Kubernetes minor release Moat knows the API of: the release of the
// k8s.io/api module it is built with (v0.37 → 1.37). "Removed" and "deprecated" are
// judged against it; TestLatestMinorMatchesAPIModule keeps the two in step.
const LatestMinor = 37

// apiLifecycle is the life of one kind at one API version.
type apiLifecycle struct {
	// Deprecated and Removed are minor releases of Kubernetes 1.x: the first release
	// that marks the version deprecated and the first that no longer serves it. Zero
	// means not known (Deprecated) or not planned (Removed).
	Deprecated, Removed int
	// Replacement is the group/version to migrate to, or a sentence when there is none.
	Replacement string
}

type gvk = schema.GroupVersionKind

func k(group, version, kind string) gvk {
	return gvk{Group: group, Version: version, Kind: kind}
}

// apiLifecycles is the table of deprecated and removed API versions. Sources, in this
// order of precedence:
//   - the Kubernetes Deprecated API Migration Guide,
//     https://kubernetes.io/docs/reference/using-api/deprecation-guide/ (removals in
//     1.16, 1.22, 1.25, 1.26, 1.27, 1.29 and 1.32);
//   - the Kubernetes changelogs, for versions the guide leaves out
//     (rbac.authorization.k8s.io/v1alpha1 and scheduling.k8s.io/v1alpha1 removed in 1.23,
//     kubernetes#104248; node.k8s.io/v1alpha1 removed in 1.24, kubernetes#103061);
//   - the +k8s:prerelease-lifecycle-gen tags of k8s.io/api v0.37
//     (APILifecycleDeprecated, APILifecycleRemoved), which kube-apiserver itself uses to
//     stop serving a version, for the removals after 1.32 and the deprecations still
//     served. TestLifecyclesMatchUpstreamTags checks every tagged kind against them.
//
// List kinds and subresource bodies (Scale, DeploymentRollback, Eviction) are left out:
// no manifest holds them.
var apiLifecycles = map[gvk]apiLifecycle{
	// Removed in 1.16.
	k("extensions", "v1beta1", "DaemonSet"):         {8, 16, "apps/v1"},
	k("extensions", "v1beta1", "Deployment"):        {8, 16, "apps/v1"},
	k("extensions", "v1beta1", "ReplicaSet"):        {8, 16, "apps/v1"},
	k("extensions", "v1beta1", "NetworkPolicy"):     {9, 16, "networking.k8s.io/v1"},
	k("extensions", "v1beta1", "PodSecurityPolicy"): {10, 16, "Pod Security Admission (policy/v1beta1 PodSecurityPolicy was removed in 1.25 too)"},
	k("apps", "v1beta1", "Deployment"):              {8, 16, "apps/v1"},
	k("apps", "v1beta1", "StatefulSet"):             {8, 16, "apps/v1"},
	k("apps", "v1beta1", "ReplicaSet"):              {8, 16, "apps/v1"},
	k("apps", "v1beta1", "ControllerRevision"):      {8, 16, "apps/v1"},
	k("apps", "v1beta2", "DaemonSet"):               {9, 16, "apps/v1"},
	k("apps", "v1beta2", "Deployment"):              {9, 16, "apps/v1"},
	k("apps", "v1beta2", "ReplicaSet"):              {9, 16, "apps/v1"},
	k("apps", "v1beta2", "StatefulSet"):             {9, 16, "apps/v1"},
	k("apps", "v1beta2", "ControllerRevision"):      {9, 16, "apps/v1"},

	// Removed in 1.22.
	k("admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration"):   {16, 22, "admissionregistration.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration"): {16, 22, "admissionregistration.k8s.io/v1"},
	k("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition"):               {16, 22, "apiextensions.k8s.io/v1"},
	k("apiregistration.k8s.io", "v1beta1", "APIService"):                           {19, 22, "apiregistration.k8s.io/v1"},
	k("authentication.k8s.io", "v1beta1", "TokenReview"):                           {19, 22, "authentication.k8s.io/v1"},
	k("authorization.k8s.io", "v1beta1", "LocalSubjectAccessReview"):               {19, 22, "authorization.k8s.io/v1"},
	k("authorization.k8s.io", "v1beta1", "SelfSubjectAccessReview"):                {19, 22, "authorization.k8s.io/v1"},
	k("authorization.k8s.io", "v1beta1", "SelfSubjectRulesReview"):                 {19, 22, "authorization.k8s.io/v1"},
	k("authorization.k8s.io", "v1beta1", "SubjectAccessReview"):                    {19, 22, "authorization.k8s.io/v1"},
	k("certificates.k8s.io", "v1beta1", "CertificateSigningRequest"):               {19, 22, "certificates.k8s.io/v1"},
	k("coordination.k8s.io", "v1beta1", "Lease"):                                   {19, 22, "coordination.k8s.io/v1"},
	k("extensions", "v1beta1", "Ingress"):                                          {14, 22, "networking.k8s.io/v1"},
	k("networking.k8s.io", "v1beta1", "Ingress"):                                   {19, 22, "networking.k8s.io/v1"},
	k("networking.k8s.io", "v1beta1", "IngressClass"):                              {19, 22, "networking.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1beta1", "ClusterRole"):                       {17, 22, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding"):                {17, 22, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1beta1", "Role"):                              {17, 22, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1beta1", "RoleBinding"):                       {17, 22, "rbac.authorization.k8s.io/v1"},
	k("scheduling.k8s.io", "v1beta1", "PriorityClass"):                             {14, 22, "scheduling.k8s.io/v1"},
	k("storage.k8s.io", "v1beta1", "CSIDriver"):                                    {19, 22, "storage.k8s.io/v1"},
	k("storage.k8s.io", "v1beta1", "CSINode"):                                      {17, 22, "storage.k8s.io/v1"},
	k("storage.k8s.io", "v1beta1", "StorageClass"):                                 {19, 22, "storage.k8s.io/v1"},
	k("storage.k8s.io", "v1beta1", "VolumeAttachment"):                             {19, 22, "storage.k8s.io/v1"},

	// Removed in 1.23 and 1.24 (changelogs; the guide does not list alpha versions).
	k("rbac.authorization.k8s.io", "v1alpha1", "ClusterRole"):        {17, 23, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1alpha1", "ClusterRoleBinding"): {17, 23, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1alpha1", "Role"):               {17, 23, "rbac.authorization.k8s.io/v1"},
	k("rbac.authorization.k8s.io", "v1alpha1", "RoleBinding"):        {17, 23, "rbac.authorization.k8s.io/v1"},
	k("scheduling.k8s.io", "v1alpha1", "PriorityClass"):              {14, 23, "scheduling.k8s.io/v1"},
	k("node.k8s.io", "v1alpha1", "RuntimeClass"):                     {0, 24, "node.k8s.io/v1"},
	k("storage.k8s.io", "v1alpha1", "VolumeAttachment"):              {21, 24, "storage.k8s.io/v1"},
	k("storage.k8s.io", "v1alpha1", "CSIStorageCapacity"):            {21, 24, "storage.k8s.io/v1"},

	// Removed in 1.25.
	k("batch", "v1beta1", "CronJob"):                       {21, 25, "batch/v1"},
	k("discovery.k8s.io", "v1beta1", "EndpointSlice"):      {21, 25, "discovery.k8s.io/v1"},
	k("events.k8s.io", "v1beta1", "Event"):                 {22, 25, "events.k8s.io/v1"},
	k("autoscaling", "v2beta1", "HorizontalPodAutoscaler"): {22, 25, "autoscaling/v2"},
	k("policy", "v1beta1", "PodDisruptionBudget"):          {21, 25, "policy/v1"},
	k("policy", "v1beta1", "PodSecurityPolicy"):            {21, 25, "Pod Security Admission (namespace labels pod-security.kubernetes.io/*) or a policy engine"},
	k("node.k8s.io", "v1beta1", "RuntimeClass"):            {22, 25, "node.k8s.io/v1"},

	// Removed in 1.26, 1.27 and 1.29.
	k("flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema"):                 {23, 26, "flowcontrol.apiserver.k8s.io/v1"},
	k("flowcontrol.apiserver.k8s.io", "v1beta1", "PriorityLevelConfiguration"): {23, 26, "flowcontrol.apiserver.k8s.io/v1"},
	k("autoscaling", "v2beta2", "HorizontalPodAutoscaler"):                     {23, 26, "autoscaling/v2"},
	k("storage.k8s.io", "v1beta1", "CSIStorageCapacity"):                       {24, 27, "storage.k8s.io/v1"},
	k("flowcontrol.apiserver.k8s.io", "v1beta2", "FlowSchema"):                 {26, 29, "flowcontrol.apiserver.k8s.io/v1"},
	k("flowcontrol.apiserver.k8s.io", "v1beta2", "PriorityLevelConfiguration"): {26, 29, "flowcontrol.apiserver.k8s.io/v1"},

	// Removed in 1.32 to 1.37.
	k("flowcontrol.apiserver.k8s.io", "v1beta3", "FlowSchema"):                        {29, 32, "flowcontrol.apiserver.k8s.io/v1"},
	k("flowcontrol.apiserver.k8s.io", "v1beta3", "PriorityLevelConfiguration"):        {29, 32, "flowcontrol.apiserver.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1alpha1", "ValidatingAdmissionPolicy"):        {29, 32, "admissionregistration.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1alpha1", "ValidatingAdmissionPolicyBinding"): {29, 32, "admissionregistration.k8s.io/v1"},
	k("authentication.k8s.io", "v1alpha1", "SelfSubjectReview"):                       {29, 32, "authentication.k8s.io/v1"},
	k("authentication.k8s.io", "v1beta1", "SelfSubjectReview"):                        {30, 33, "authentication.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1beta1", "ValidatingAdmissionPolicy"):         {31, 34, "admissionregistration.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1beta1", "ValidatingAdmissionPolicyBinding"):  {31, 34, "admissionregistration.k8s.io/v1"},
	k("storage.k8s.io", "v1alpha1", "VolumeAttributesClass"):                          {32, 35, "storage.k8s.io/v1"},
	k("certificates.k8s.io", "v1alpha1", "ClusterTrustBundle"):                        {34, 37, "certificates.k8s.io/v1"},
	k("networking.k8s.io", "v1beta1", "IPAddress"):                                    {34, 37, "networking.k8s.io/v1"},
	k("networking.k8s.io", "v1beta1", "ServiceCIDR"):                                  {34, 37, "networking.k8s.io/v1"},
	k("storage.k8s.io", "v1beta1", "VolumeAttributesClass"):                           {34, 37, "storage.k8s.io/v1"},

	// Deprecated and still served by 1.37.
	k("admissionregistration.k8s.io", "v1alpha1", "MutatingAdmissionPolicy"):        {35, 38, "admissionregistration.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1alpha1", "MutatingAdmissionPolicyBinding"): {35, 38, "admissionregistration.k8s.io/v1"},
	k("coordination.k8s.io", "v1alpha2", "LeaseCandidate"):                          {35, 38, "coordination.k8s.io/v1beta1, itself deprecated: no stable version yet"},
	k("resource.k8s.io", "v1beta1", "DeviceClass"):                                  {35, 38, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta1", "ResourceClaim"):                                {35, 38, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta1", "ResourceClaimTemplate"):                        {35, 38, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta1", "ResourceSlice"):                                {35, 38, "resource.k8s.io/v1"},
	k("coordination.k8s.io", "v1beta1", "LeaseCandidate"):                           {36, 39, "no stable version yet; follow the Kubernetes release notes"},
	k("resource.k8s.io", "v1alpha3", "DeviceTaintRule"):                             {36, 39, "resource.k8s.io/v1beta2"},
	k("resource.k8s.io", "v1beta2", "DeviceClass"):                                  {36, 39, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta2", "ResourceClaim"):                                {36, 39, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta2", "ResourceClaimTemplate"):                        {36, 39, "resource.k8s.io/v1"},
	k("resource.k8s.io", "v1beta2", "ResourceSlice"):                                {36, 39, "resource.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1beta1", "MutatingAdmissionPolicy"):         {37, 40, "admissionregistration.k8s.io/v1"},
	k("admissionregistration.k8s.io", "v1beta1", "MutatingAdmissionPolicyBinding"):  {37, 40, "admissionregistration.k8s.io/v1"},
	k("certificates.k8s.io", "v1beta1", "ClusterTrustBundle"):                       {37, 40, "certificates.k8s.io/v1"},
	k("certificates.k8s.io", "v1beta1", "PodCertificateRequest"):                    {37, 40, "certificates.k8s.io/v1"},
	k("storagemigration.k8s.io", "v1beta1", "StorageVersionMigration"):              {37, 40, "storagemigration.k8s.io/v1"},
}

// lifecycleOf returns the lifecycle of a kind at the version it was written with.
func lifecycleOf(g gvk) (apiLifecycle, bool) {
	l, ok := apiLifecycles[g]
	return l, ok
}

// removed reports a version no longer served by LatestMinor.
func (l apiLifecycle) removed() bool { return l.Removed != 0 && l.Removed <= LatestMinor }

// deprecated reports a version still served by LatestMinor but deprecated.
func (l apiLifecycle) deprecated() bool {
	return !l.removed() && l.Deprecated != 0 && l.Deprecated <= LatestMinor
}

// migrateTo is the replacement in a sentence: "use networking.k8s.io/v1".
func (l apiLifecycle) migrateTo() string {
	if l.Replacement == "" {
		return "no replacement"
	}
	for _, r := range l.Replacement {
		if r == ' ' {
			return "use " + l.Replacement
		}
	}
	return "use apiVersion " + l.Replacement
}
