{{/* Chart name, release-qualified name (63 characters at most, as Kubernetes names allow). */}}
{{- define "streamtune.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "streamtune.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "streamtune.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "streamtune.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (trainer, serving or joiner): call with (dict "ctx" $ "component" "serving"). */}}
{{- define "streamtune.selectorLabels" -}}
app.kubernetes.io/name: {{ include "streamtune.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "streamtune.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "streamtune.adminSecretName" -}}
{{- .Values.adminToken.existingSecret | default (printf "%s-admin" (include "streamtune.fullname" .)) -}}
{{- end -}}

{{- define "streamtune.kafkaSecretName" -}}
{{- .Values.kafka.sasl.existingSecret | default (printf "%s-kafka" (include "streamtune.fullname" .)) -}}
{{- end -}}

{{/* Where the pods keep their files: the registry mirror, the config, the Kafka credentials. */}}
{{- define "streamtune.registryDir" -}}/var/lib/streamtune/registry{{- end -}}
{{- define "streamtune.saslDir" -}}/etc/streamtune/kafka-sasl{{- end -}}
{{- define "streamtune.tlsDir" -}}/etc/streamtune/kafka-tls{{- end -}}

{{/*
The configuration file: .Values.config with registryDir set to the pods' volume and
kafka.sasl / kafka.ssl pointing at the mounted Secrets. JSON, as `--config` reads it.
*/}}
{{- define "streamtune.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $_ := set $cfg "registryDir" (include "streamtune.registryDir" .) -}}
{{- $kafka := deepCopy (default (dict) $cfg.kafka) -}}
{{- with .Values.kafka.sasl -}}
{{- if .enabled -}}
{{- $_ := set $kafka "sasl" (dict "mechanism" .mechanism "username" .username "passwordFile" (printf "%s/password" (include "streamtune.saslDir" $))) -}}
{{- end -}}
{{- end -}}
{{- with .Values.kafka.tls -}}
{{- if .enabled -}}
{{- $ssl := dict -}}
{{- if and .existingSecret .caKey -}}{{- $_ := set $ssl "caFile" (printf "%s/ca.pem" (include "streamtune.tlsDir" $)) -}}{{- end -}}
{{- if and .existingSecret .certKey .keyKey -}}
{{- $_ := set $ssl "certFile" (printf "%s/client.pem" (include "streamtune.tlsDir" $)) -}}
{{- $_ := set $ssl "keyFile" (printf "%s/client.key" (include "streamtune.tlsDir" $)) -}}
{{- end -}}
{{- $_ := set $kafka "ssl" $ssl -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "kafka" $kafka -}}
{{- toPrettyJson $cfg -}}
{{- end -}}

{{/* Ports from the configuration, so the containers, probes and Service follow it. */}}
{{- define "streamtune.grpcPort" -}}{{ dig "serving" "port" 50051 .Values.config | int }}{{- end -}}
{{- define "streamtune.httpPort" -}}{{ dig "serving" "http" "port" 8000 .Values.config | int }}{{- end -}}
{{- define "streamtune.httpEnabled" -}}{{ if dig "serving" "http" "enabled" true .Values.config }}true{{ end }}{{- end -}}
{{- define "streamtune.metricsPort" -}}{{ dig "metrics" "port" 9464 .Values.config | int }}{{- end -}}
{{- define "streamtune.feedbackMetricsPort" -}}{{ dig "feedback" "metricsPort" 9466 .Values.config | int }}{{- end -}}

{{/* Pod-level settings the Deployments share. */}}
{{- define "streamtune.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "streamtune.volumes" -}}
- name: config
  configMap:
    name: {{ include "streamtune.fullname" . }}-config
- name: registry
  emptyDir:
    {{- with .Values.registryVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
- name: tmp
  emptyDir: {}
{{- if .Values.kafka.sasl.enabled }}
- name: kafka-sasl
  secret:
    secretName: {{ include "streamtune.kafkaSecretName" . }}
    defaultMode: 0400
    items:
      - key: {{ .Values.kafka.sasl.passwordKey }}
        path: password
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    defaultMode: 0400
    items:
      {{- with .Values.kafka.tls.caKey }}
      - key: {{ . }}
        path: ca.pem
      {{- end }}
      {{- if and .Values.kafka.tls.certKey .Values.kafka.tls.keyKey }}
      - key: {{ .Values.kafka.tls.certKey }}
        path: client.pem
      - key: {{ .Values.kafka.tls.keyKey }}
        path: client.key
      {{- end }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "streamtune.volumeMounts" -}}
- name: config
  mountPath: /etc/streamtune/config.json
  subPath: config.json
  readOnly: true
- name: registry
  mountPath: /var/lib/streamtune
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.sasl.enabled }}
- name: kafka-sasl
  mountPath: {{ include "streamtune.saslDir" . }}
  readOnly: true
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "streamtune.tlsDir" . }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "streamtune.env" -}}
- name: STREAMTUNE_LOG_FORMAT
  value: json
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
