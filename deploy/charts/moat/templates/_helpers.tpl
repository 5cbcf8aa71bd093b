{{/*
Names. The prefix of every object is the release name when it contains the chart's
name, else RELEASE-moat; Kubernetes names are at most 63 characters.
*/}}
{{- define "moat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "moat.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of a component's objects: (dict "ctx" $ "component" "operator"). */}}
{{- define "moat.componentName" -}}
{{- printf "%s-%s" (include "moat.fullname" .ctx | trunc 50 | trimSuffix "-") .component }}
{{- end }}

{{/* The webhook's serving certificate Secret, and the operator's metrics one. */}}
{{- define "moat.admissionSecret" -}}
{{- printf "%s-tls" (include "moat.componentName" (dict "ctx" . "component" "admission")) }}
{{- end }}
{{- define "moat.auditSecret" -}}
{{- if .Values.certManager.enabled }}
{{- printf "%s-tls" (include "moat.componentName" (dict "ctx" . "component" "audit")) }}
{{- else }}
{{- .Values.audit.tls.secretName }}
{{- end }}
{{- end }}
{{- define "moat.metricsSecret" -}}
{{- if .Values.certManager.enabled }}
{{- printf "%s-metrics-tls" (include "moat.componentName" (dict "ctx" . "component" "operator")) }}
{{- else }}
{{- .Values.operator.metrics.tls.secretName }}
{{- end }}
{{- end }}

{{/* The operator issues the webhook's certificate when cert-manager does not. */}}
{{- define "moat.operatorIssuesCerts" -}}
{{- if and .Values.admission.enabled .Values.operator.enabled (not .Values.certManager.enabled) }}true{{ end }}
{{- end }}

{{/* Labels: (dict "ctx" $ "component" "operator"). */}}
{{- define "moat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moat.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "moat.labels" -}}
{{ include "moat.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* metadata of a namespaced object of a component: (dict "ctx" $ "component" "x" "name" "n"). */}}
{{- define "moat.metadata" -}}
name: {{ .name | default (include "moat.componentName" .) }}
namespace: {{ .ctx.Release.Namespace }}
labels:
  {{- include "moat.labels" . | nindent 2 }}
{{- end }}

{{/* The image, by digest when one is given. */}}
{{- define "moat.image" -}}
{{- $img := .Values.image }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) }}
{{- end }}
{{- end }}

{{/* The pod's securityContext: fixed, but for the user and group. */}}
{{- define "moat.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "moat.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
{{- end }}

{{/*
What every component's pod spec shares: (dict "ctx" $ "component" "x" "values" .Values.x).
*/}}
{{- define "moat.podCommon" -}}
{{- $v := .values }}
enableServiceLinks: false
securityContext:
  {{- include "moat.podSecurityContext" .ctx | nindent 2 }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and $v.topologySpread.enabled (gt (int $v.replicas) 1) }}
# Replicas on different nodes (and zones where there are some): one node's loss keeps
# the component up.
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "moat.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "moat.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget for a component of more than one replica. */}}
{{- define "moat.pdb" -}}
{{- $v := .values }}
{{- if and $v.podDisruptionBudget.enabled (gt (int $v.replicas) 1) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "moat.metadata" . | nindent 2 }}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      {{- include "moat.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* The components' configuration file, when there is one. */}}
{{- define "moat.configName" -}}
{{- printf "%s-config" (include "moat.fullname" .) }}
{{- end }}

{{/*
Checks of what the schema cannot say: which settings need which others. Each failure
names the values to set.
*/}}
{{- define "moat.validate" -}}
{{- $v := .Values }}
{{- if and $v.admission.enabled (not $v.certManager.enabled) (not $v.operator.enabled) }}
{{- fail "admission.enabled needs a certificate: keep operator.enabled (the operator issues and rotates it) or set certManager.enabled" }}
{{- end }}
{{- if and $v.audit.enabled (not $v.certManager.enabled) (not $v.audit.tls.secretName) }}
{{- fail "audit.enabled needs a serving certificate: set audit.tls.secretName to a kubernetes.io/tls Secret, or certManager.enabled" }}
{{- end }}
{{- if and $v.audit.enabled (not $v.audit.auth.clientCA.secretName) (not $v.audit.auth.tokenSecret.secretName) }}
{{- fail "audit.enabled needs to authenticate the API server: set audit.auth.clientCA.secretName or audit.auth.tokenSecret.secretName" }}
{{- end }}
{{- if and $v.audit.auth.clientNames (not $v.audit.auth.clientCA.secretName) }}
{{- fail "audit.auth.clientNames needs audit.auth.clientCA.secretName" }}
{{- end }}
{{- if and $v.operator.enabled $v.operator.metrics.enabled (not $v.certManager.enabled) (not $v.operator.metrics.tls.secretName) }}
{{- fail "operator.metrics.enabled needs a serving certificate: set operator.metrics.tls.secretName to a kubernetes.io/tls Secret, or certManager.enabled" }}
{{- end }}
{{- if and $v.operator.enabled (not $v.operator.leaderElection.enabled) (gt (int $v.operator.replicas) 1) }}
{{- fail "operator.replicas above 1 needs operator.leaderElection.enabled: replicas without a leader would all write the reports" }}
{{- end }}
{{- if and $v.audit.enabled (ne $v.audit.service.type "NodePort") $v.audit.service.nodePort }}
{{- fail "audit.service.nodePort needs audit.service.type NodePort" }}
{{- end }}
{{- end }}

{{/* The operator's leader election Lease. */}}
{{- define "moat.leaseName" -}}
{{- include "moat.componentName" (dict "ctx" . "component" "operator") }}
{{- end }}
