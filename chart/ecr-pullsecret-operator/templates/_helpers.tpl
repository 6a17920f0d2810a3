{{/* Chart name, overridable. */}}
{{- define "ecr-pullsecret-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name used as the prefix of every object: the release name, plus the chart name when the release name does
not already contain it. Truncated to leave room for suffixes such as "-webhook".
*/}}
{{- define "ecr-pullsecret-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ecr-pullsecret-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "ecr-pullsecret-operator.labels" -}}
helm.sh/chart: {{ include "ecr-pullsecret-operator.chart" . }}
{{ include "ecr-pullsecret-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecr-pullsecret-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the operator's Pods. */}}
{{- define "ecr-pullsecret-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr-pullsecret-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ecr-pullsecret-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecr-pullsecret-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ecr-pullsecret-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "ecr-pullsecret-operator.webhookServiceName" -}}
{{- printf "%s-webhook" (include "ecr-pullsecret-operator.fullname" .) }}
{{- end }}

{{- define "ecr-pullsecret-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "ecr-pullsecret-operator.fullname" .) }}
{{- end }}

{{/* The serving certificate (cert-manager Certificate and the Secret it writes). */}}
{{- define "ecr-pullsecret-operator.servingCertName" -}}
{{- printf "%s-serving-cert" (include "ecr-pullsecret-operator.fullname" .) }}
{{- end }}

{{- define "ecr-pullsecret-operator.webhookSecretName" -}}
{{- if .Values.webhook.certManager.enabled }}
{{- printf "%s-webhook-tls" (include "ecr-pullsecret-operator.fullname" .) }}
{{- else }}
{{- required "webhook.tls.secretName is required when webhook.certManager.enabled is false" .Values.webhook.tls.secretName }}
{{- end }}
{{- end }}

{{/* Where the operator reads tls.crt and tls.key (its --webhook-cert-dir default). */}}
{{- define "ecr-pullsecret-operator.webhookCertDir" -}}
/tmp/k8s-webhook-server/serving-certs
{{- end }}

{{/* True ("true") when the operator watches a single namespace. */}}
{{- define "ecr-pullsecret-operator.namespaced" -}}
{{- if .Values.operator.watchNamespace }}true{{ end }}
{{- end }}

{{/* Labels of the `helm test` Pod: not the selector labels, so no Service sends it traffic. */}}
{{- define "ecr-pullsecret-operator.selftestLabels" -}}
app.kubernetes.io/name: {{ include "ecr-pullsecret-operator.name" . }}-selftest
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: selftest
{{- end }}
