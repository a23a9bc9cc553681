{{/* Names and labels. */}}
{{- define "untxt.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "untxt.fullname" -}}
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

{{- define "untxt.selectorLabels" -}}
app.kubernetes.io/name: {{ include "untxt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "untxt.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "untxt.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Secret the pods read: the user's, or the one the chart makes. */}}
{{- define "untxt.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- printf "%s-secrets" (include "untxt.fullname" .) }}
{{- end }}
{{- end }}

{{- define "untxt.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The workers' image: the API's, or its own; tagSuffix picks a variant (-cuda). */}}
{{- define "untxt.workerImage" -}}
{{- $repository := default .Values.image.repository .Values.worker.image.repository }}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.worker.image.tag }}
{{- printf "%s:%s%s" $repository $tag .Values.worker.image.tagSuffix }}
{{- end }}

{{/* A setting read from the Secret; optional ones are left unset when absent. */}}
{{- define "untxt.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "untxt.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* The environment every untxt container shares. */}}
{{- define "untxt.env" -}}
{{ include "untxt.secretEnv" (dict "root" . "env" "UNTXT_DATABASE_URL" "key" .Values.secretKeys.databaseUrl "optional" false) }}
{{ include "untxt.secretEnv" (dict "root" . "env" "UNTXT_SECRET_KEY" "key" .Values.secretKeys.secretKey "optional" true) }}
{{ include "untxt.secretEnv" (dict "root" . "env" "AWS_ACCESS_KEY_ID" "key" .Values.secretKeys.s3AccessKeyId "optional" true) }}
{{ include "untxt.secretEnv" (dict "root" . "env" "AWS_SECRET_ACCESS_KEY" "key" .Values.secretKeys.s3SecretAccessKey "optional" true) }}
{{ include "untxt.secretEnv" (dict "root" . "env" "UNTXT_REDIS_URL" "key" .Values.secretKeys.redisUrl "optional" true) }}
{{ include "untxt.secretEnv" (dict "root" . "env" "UNTXT_METRICS_TOKEN" "key" .Values.secretKeys.metricsToken "optional" true) }}
- name: UNTXT_STORAGE_URL
  value: {{ required "storage.url is required (s3://bucket/prefix)" .Values.storage.url | quote }}
{{- with .Values.storage.s3EndpointUrl }}
- name: UNTXT_S3_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.storage.s3Region }}
- name: UNTXT_S3_REGION
  value: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Pod-level settings every untxt pod shares. */}}
{{- define "untxt.podSpec" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* A pod's annotations: its own, and a checksum of the chart's Secret, which
restarts the pods when it changes. Empty when there are none. */}}
{{- define "untxt.podAnnotations" -}}
{{- $annotations := deepCopy (default (dict) .extra) }}
{{- if not .root.Values.existingSecret }}
{{- $_ := set $annotations "checksum/secrets" (toJson .root.Values.secrets | sha256sum) }}
{{- end }}
{{- with $annotations }}
{{- toYaml . }}
{{- end }}
{{- end }}
