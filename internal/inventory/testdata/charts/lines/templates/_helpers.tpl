{{- define "lines.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* A sidecar whose fields come from an include: no line of deployment.yaml wrote them. */}}
{{- define "lines.sidecar" -}}
- name: sidecar
  image: busybox
  securityContext:
    privileged: true
{{- end }}
