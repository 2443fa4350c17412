{{/*
Names. Every object is named "<fullname>-<component>"; fullname follows the usual Helm rule
(release name, plus the chart name unless the release name already contains it).
*/}}
{{- define "hymbaserve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hymbaserve.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Object name of a component: include "hymbaserve.component" (list . "worker"). */}}
{{- define "hymbaserve.component" -}}
{{- printf "%s-%s" (include "hymbaserve.fullname" (index . 0)) (index . 1) }}
{{- end }}

{{/* Labels of a component's objects: include "hymbaserve.labels" (list . "worker"). */}}
{{- define "hymbaserve.labels" -}}
{{- $top := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $top.Chart.Name $top.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hymbaserve.selectorLabels" . }}
app.kubernetes.io/version: {{ $top.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $top.Release.Service }}
app.kubernetes.io/part-of: hymbaserve
{{- end }}

{{/* Selector labels of a component: include "hymbaserve.selectorLabels" (list . "worker"). */}}
{{- define "hymbaserve.selectorLabels" -}}
{{- $top := index . 0 -}}
app.kubernetes.io/name: {{ include "hymbaserve.name" $top }}
app.kubernetes.io/instance: {{ $top.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "hymbaserve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hymbaserve.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Fully qualified DNS suffix of a Service in the release namespace. */}}
{{- define "hymbaserve.svcSuffix" -}}
{{- printf "%s.svc.%s" .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* The hymbaserve image: include "hymbaserve.image" (list .Values.image .Values.worker.image .Chart.AppVersion). */}}
{{- define "hymbaserve.image" -}}
{{- $base := index . 0 }}
{{- $over := index . 1 }}
{{- $repo := default $base.repository $over.repository }}
{{- $tag := default (default (index . 2) $base.tag) $over.tag }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* etcd endpoints for --etcd: every member of the chart's etcd, or the external ones. */}}
{{- define "hymbaserve.etcdEndpoints" -}}
{{- if .Values.etcd.enabled }}
{{- $name := include "hymbaserve.component" (list . "etcd") }}
{{- $suffix := include "hymbaserve.svcSuffix" . }}
{{- $eps := list }}
{{- range $i := until (int .Values.etcd.replicas) }}
{{- $eps = append $eps (printf "http://%s-%d.%s.%s:2379" $name $i $name $suffix) }}
{{- end }}
{{- join "," $eps }}
{{- else }}
{{- join "," .Values.etcd.endpoints }}
{{- end }}
{{- end }}

{{/* etcd --initial-cluster: name=peerURL for every member. */}}
{{- define "hymbaserve.etcdInitialCluster" -}}
{{- $name := include "hymbaserve.component" (list . "etcd") }}
{{- $suffix := include "hymbaserve.svcSuffix" . }}
{{- $peers := list }}
{{- range $i := until (int .Values.etcd.replicas) }}
{{- $peers = append $peers (printf "%s-%d=http://%s-%d.%s.%s:2380" $name $i $name $i $name $suffix) }}
{{- end }}
{{- join "," $peers }}
{{- end }}

{{/* NATS URL for --nats: the chart's NATS client Service, or the external URL. */}}
{{- define "hymbaserve.natsURL" -}}
{{- if .Values.nats.enabled }}
{{- printf "nats://%s.%s:4222" (include "hymbaserve.component" (list . "nats")) (include "hymbaserve.svcSuffix" .) }}
{{- else }}
{{- .Values.nats.url }}
{{- end }}
{{- end }}

{{/* The coordinator Service's gRPC address, which hymbactl (drain, uncordon) dials. */}}
{{- define "hymbaserve.coordinatorAddr" -}}
{{- printf "%s.%s:%d" (include "hymbaserve.component" (list . "coordinator")) (include "hymbaserve.svcSuffix" .) (int .Values.coordinator.grpcPort) }}
{{- end }}

{{/* --model flag value: the checkpoint directory inside the model volume. */}}
{{- define "hymbaserve.modelDir" -}}
{{- if .Values.model.dir }}
{{- printf "/models/%s" (trimPrefix "/" .Values.model.dir) }}
{{- else }}
{{- "/models" }}
{{- end }}
{{- end }}

{{/* Flags the coordinator and the workers share. */}}
{{- define "hymbaserve.commonArgs" -}}
- --id=$(POD_NAME)
- --cluster={{ .Values.clusterName }}
- --etcd={{ include "hymbaserve.etcdEndpoints" . }}
- --nats={{ include "hymbaserve.natsURL" . }}
- --log-level={{ .Values.logLevel }}
- --gossip=0.0.0.0:{{ .Values.gossipPort }}
- --gossip-advertise=$(POD_IP):{{ .Values.gossipPort }}
{{- end }}

{{/* The gossip container ports of coordinators and workers (memberlist uses TCP and UDP). */}}
{{- define "hymbaserve.gossipPorts" -}}
- name: gossip
  containerPort: {{ .Values.gossipPort }}
  protocol: TCP
- name: gossip-udp
  containerPort: {{ .Values.gossipPort }}
  protocol: UDP
{{- end }}

{{/* POD_NAME, POD_NAMESPACE and POD_IP from the downward API. */}}
{{- define "hymbaserve.podEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end }}

{{/* The model volume (source pvc, hostPath or download); nothing for the demo. */}}
{{- define "hymbaserve.modelVolume" -}}
{{- $m := .Values.model }}
{{- if eq $m.source "pvc" }}
- name: model
  persistentVolumeClaim:
    claimName: {{ $m.pvc.claimName }}
    readOnly: true
{{- else if eq $m.source "hostPath" }}
- name: model
  hostPath:
    path: {{ $m.hostPath.path }}
    type: Directory
{{- else if eq $m.source "download" }}
- name: model
  emptyDir:
    sizeLimit: {{ $m.download.sizeLimit }}
{{- end }}
{{- end }}

{{/* Default affinity: prefer spreading a component's pods over nodes. */}}
{{- define "hymbaserve.affinity" -}}
{{- $top := index . 0 }}
{{- $aff := index . 2 }}
{{- if $aff }}
{{- toYaml $aff }}
{{- else }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "hymbaserve.selectorLabels" (list $top (index . 1)) | nindent 12 }}
{{- end }}
{{- end }}

{{/* Mounts of the security secrets (see values.yaml, security). */}}
{{- define "hymbaserve.securityMounts" -}}
{{- $s := (index . 0).Values.security }}
{{- $server := index . 1 }}
{{- if and $server $s.apiKeys.existingSecret }}
- name: api-keys
  mountPath: /etc/hymbaserve/api-keys
  readOnly: true
{{- end }}
{{- if and $s.tls.enabled $server $s.tls.serverSecret }}
- name: tls-server
  mountPath: /etc/hymbaserve/tls/server
  readOnly: true
{{- end }}
{{- if and $s.tls.enabled $s.tls.clientSecret }}
- name: tls-client
  mountPath: /etc/hymbaserve/tls/client
  readOnly: true
{{- end }}
{{- end }}

{{- define "hymbaserve.securityVolumes" -}}
{{- $s := (index . 0).Values.security }}
{{- $server := index . 1 }}
{{- if and $server $s.apiKeys.existingSecret }}
- name: api-keys
  secret:
    secretName: {{ $s.apiKeys.existingSecret }}
    items:
      - key: {{ $s.apiKeys.key }}
        path: {{ $s.apiKeys.key }}
{{- end }}
{{- if and $s.tls.enabled $server $s.tls.serverSecret }}
- name: tls-server
  secret:
    secretName: {{ $s.tls.serverSecret }}
{{- end }}
{{- if and $s.tls.enabled $s.tls.clientSecret }}
- name: tls-client
  secret:
    secretName: {{ $s.tls.clientSecret }}
{{- end }}
{{- end }}

{{/*
Checks that span several values, with messages naming the values at fault. Single values
are checked by values.schema.json.
*/}}
{{- define "hymbaserve.validate" -}}
{{- $v := .Values }}
{{- if and (not $v.etcd.enabled) (empty $v.etcd.endpoints) }}
{{- fail "etcd.endpoints: give the external etcd endpoints when etcd.enabled is false" }}
{{- end }}
{{- if and (not $v.nats.enabled) (empty $v.nats.url) }}
{{- fail "nats.url: give the external NATS URL when nats.enabled is false" }}
{{- end }}
{{- if and (eq $v.model.source "pvc") (empty $v.model.pvc.claimName) }}
{{- fail "model.pvc.claimName: name the PersistentVolumeClaim holding the checkpoint (model.source is \"pvc\")" }}
{{- end }}
{{- if and (eq $v.model.source "hostPath") (empty $v.model.hostPath.path) }}
{{- fail "model.hostPath.path: give the checkpoint directory on the nodes (model.source is \"hostPath\")" }}
{{- end }}
{{- if and $v.model.mountOnWorkers (has $v.model.source (list "demo" "download")) }}
{{- fail (printf "model.mountOnWorkers: workers can mount only a shared volume (model.source \"pvc\" or \"hostPath\"), not %q; workers fetch their layers from the Object Store" $v.model.source) }}
{{- end }}
{{- if and (not $v.coordinator.publishWeights) (not $v.model.mountOnWorkers) }}
{{- fail "coordinator.publishWeights: workers without the model (model.mountOnWorkers false) fetch their layers from the Object Store, so the coordinator must publish them" }}
{{- end }}
{{- $a := $v.worker.autoscaling }}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "worker.autoscaling: minReplicas %d is above maxReplicas %d" (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- end }}
{{- if and $v.security.tls.enabled (empty $v.security.tls.serverSecret) (empty $v.security.tls.clientSecret) }}
{{- fail "security.tls: enabled, but neither serverSecret nor clientSecret is set" }}
{{- end }}
{{- end }}
