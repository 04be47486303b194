{{/*
wss-operator.name is the chart name, or nameOverride.
*/}}
{{- define "wss-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wss-operator.fullname prefixes every object of the release. Truncated at 63
characters (DNS label); the release name alone when it already contains the
chart name.
*/}}
{{- define "wss-operator.fullname" -}}
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

{{/*
wss-operator.chart is "name-version" for the helm.sh/chart label.
*/}}
{{- define "wss-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wss-operator.selectorLabels select the manager pods; they never change
between upgrades (a Deployment's selector is immutable).
*/}}
{{- define "wss-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wss-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
wss-operator.labels are on every object of the release.
*/}}
{{- define "wss-operator.labels" -}}
helm.sh/chart: {{ include "wss-operator.chart" . }}
{{ include "wss-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wss-operator
{{- end }}

{{/*
wss-operator.serviceAccountName is the manager's ServiceAccount.
*/}}
{{- define "wss-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wss-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
wss-operator.image is the operator image: repository@digest when a digest is
set, else repository:tag with the tag defaulting to the chart's appVersion.
*/}}
{{- define "wss-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
wss-operator.sidecarImage is the image injected as the TLS sidecar: the
operator image itself unless sidecar.image overrides it.
*/}}
{{- define "wss-operator.sidecarImage" -}}
{{- default (include "wss-operator.image" .) .Values.sidecar.image }}
{{- end }}

{{/*
wss-operator.monitoringNamespace is the namespace of a Prometheus Operator
object: its own namespace value, else the release namespace. Call with
(list $ .Values.prometheus.X).
*/}}
{{- define "wss-operator.monitoringNamespace" -}}
{{- $root := index . 0 }}
{{- default $root.Release.Namespace (index . 1).namespace }}
{{- end }}

{{/*
wss-operator.goMemLimit is the manager's GOMEMLIMIT: goMemLimit when set,
else goMemLimitPercent of resources.limits.memory in bytes, else empty (no
memory limit, or goMemLimitPercent 0). The chart parses integer quantities
with an SI or binary suffix (128Mi, 1G); anything else needs goMemLimit.
*/}}
{{- define "wss-operator.goMemLimit" -}}
{{- $limit := "" }}
{{- with .Values.resources }}{{ with .limits }}{{ $limit = .memory }}{{ end }}{{ end }}
{{- if .Values.goMemLimit }}
{{- .Values.goMemLimit }}
{{- else if and $limit .Values.goMemLimitPercent }}
{{- $bytes := 0 }}
{{- if kindIs "string" $limit }}
{{- $num := regexFind "^[0-9]+" $limit }}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $unit := trimPrefix $num $limit }}
{{- if or (not $num) (not (hasKey $units $unit)) }}
{{- fail (printf "resources.limits.memory %q: the chart cannot derive GOMEMLIMIT from it; set goMemLimit (e.g. \"200MiB\") or goMemLimitPercent: 0" $limit) }}
{{- end }}
{{- $bytes = mul (int64 $num) (get $units $unit) }}
{{- else }}
{{- $bytes = int64 $limit }}
{{- end }}
{{- div (mul $bytes (int64 .Values.goMemLimitPercent)) 100 }}
{{- end }}
{{- end }}
