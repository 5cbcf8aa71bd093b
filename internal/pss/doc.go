// Package pss turns every Pod Security Standards check of the official
// k8s.io/pod-security-admission policy package into a Moat rule, evaluated at a
// selectable policy version. It must not re-implement a check the library has.
//
// One file per rule names the library check it stands for (check ID), the rule's
// metadata, and where the check reads (container field, volume field, pod-level
// fields). Everything else is shared:
//
//   - library.go resolves policy.DefaultChecks() once, when the package is
//     initialised: for every check and every policy minor version, the VersionedCheck
//     with the greatest MinimumVersion at or below it ("latest" is the newest), and
//     the baseline checks it overrides. ParseVersion validates --pss-version.
//   - locate.go runs the chosen CheckPod on the pod template (podspec.Of) for the
//     verdict, then again on copies that hold one container, one volume or one
//     pod-level field at a time, to give each failing part its own result and field
//     path. Messages are the library's own reason and detail.
//
// The pod is evaluated as written, with one API-server default applied because it
// changes a verdict: a volume with no source is an emptyDir.
package pss
