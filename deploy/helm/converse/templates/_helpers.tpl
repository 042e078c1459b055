{{/* The chart's name, for labels. */}}
{{- define "converse.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource names: the release name, with the chart's name unless it already holds it. */}}
{{- define "converse.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "converse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "converse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "converse.labels" -}}
{{ include "converse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The configuration file: values.config, plus the Redis URL from its Secret. */}}
{{- define "converse.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- if .Values.redis.enabled }}
{{- $_ := set $cfg "redis" (dict "url" "${REDIS_URL}" "prefix" .Values.redis.prefix) }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/* The port the probes use. */}}
{{- define "converse.probePort" -}}
{{- if .Values.metrics.enabled }}metrics{{ else }}http{{ end }}
{{- end }}
