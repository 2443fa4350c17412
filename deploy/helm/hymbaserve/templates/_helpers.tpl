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
{{- include "hymbaserve.clientTLSArgs" . }}
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

{{/*
Security (values.yaml, security; docs/security.md). The secrets are mounted read-only at fixed
paths under /etc/hymbaserve and the flags below point the binaries at them.
*/}}
{{- define "hymbaserve.serverTLS" -}}
{{- if and .Values.security.tls.enabled .Values.security.tls.serverSecret }}true{{ end }}
{{- end }}

{{/* Client TLS to etcd / NATS: the client secret, for the external servers only. */}}
{{- define "hymbaserve.etcdTLS" -}}
{{- if and .Values.security.tls.enabled .Values.security.tls.clientSecret (not .Values.etcd.enabled) }}true{{ end }}
{{- end }}

{{- define "hymbaserve.natsTLS" -}}
{{- if and .Values.security.tls.enabled .Values.security.tls.clientSecret (not .Values.nats.enabled) }}true{{ end }}
{{- end }}

{{/* --etcd-* and --nats-* client TLS flags of the coordinator and the workers. */}}
{{- define "hymbaserve.clientTLSArgs" -}}
{{- range $svc := list "etcd" "nats" }}
{{- if include (printf "hymbaserve.%sTLS" $svc) $ }}
- --{{ $svc }}-ca=/etc/hymbaserve/tls/client/ca.crt
- --{{ $svc }}-cert=/etc/hymbaserve/tls/client/tls.crt
- --{{ $svc }}-key=/etc/hymbaserve/tls/client/tls.key
{{- end }}
{{- end }}
{{- end }}

{{/* The coordinator's API key and server TLS flags. */}}
{{- define "hymbaserve.coordinatorSecurityArgs" -}}
{{- with .Values.security.apiKeys.existingSecret }}
- --api-keys-file=/etc/hymbaserve/api-keys/{{ $.Values.security.apiKeys.key }}
{{- end }}
{{- if include "hymbaserve.serverTLS" . }}
- --tls-cert=/etc/hymbaserve/tls/server/tls.crt
- --tls-key=/etc/hymbaserve/tls/server/tls.key
- --leader-tls-ca=/etc/hymbaserve/tls/server/ca.crt
{{- end }}
{{- end }}

{{/* hymbactl flags of the worker hooks (drain, uncordon): the API key and the server CA. */}}
{{- define "hymbaserve.hymbactlArgs" -}}
{{- with .Values.security.apiKeys.existingSecret }} --api-key-file /etc/hymbaserve/api-keys/{{ $.Values.security.apiKeys.opsKey | default $.Values.security.apiKeys.key }}{{ end }}
{{- if include "hymbaserve.serverTLS" . }} --tls-ca /etc/hymbaserve/tls/server-ca/ca.crt{{ end }}
{{- end }}

{{/* HTTP probe scheme of the coordinator (kubelet does not verify the certificate). */}}
{{- define "hymbaserve.probeScheme" -}}
{{- if include "hymbaserve.serverTLS" . }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
Mounts of the security secrets: include "hymbaserve.securityMounts" (list . ROLE) with ROLE
"coordinator", "worker" (the worker container: client TLS, and what its preStop drain hook
needs) or "hooks" (the uncordon init container).
*/}}
{{- define "hymbaserve.securityMounts" -}}
{{- $top := index . 0 }}
{{- $role := index . 1 }}
{{- range $v := include "hymbaserve.securityVolumeNames" (list $top $role) | splitList " " | compact }}
- name: {{ $v }}
  mountPath: {{ get (dict "api-keys" "/etc/hymbaserve/api-keys" "tls-server" "/etc/hymbaserve/tls/server" "tls-server-ca" "/etc/hymbaserve/tls/server-ca" "tls-client" "/etc/hymbaserve/tls/client") $v }}
  readOnly: true
{{- end }}
{{- end }}

{{/* The volumes of a pod: include "hymbaserve.securityVolumes" (list . "coordinator"|"worker"). */}}
{{- define "hymbaserve.securityVolumes" -}}
{{- $top := index . 0 }}
{{- $s := $top.Values.security }}
{{- $names := include "hymbaserve.securityVolumeNames" (list $top (index . 1)) | splitList " " }}
{{- if has "api-keys" $names }}
{{- $item := $s.apiKeys.key }}
{{- if ne (index . 1) "coordinator" }}{{ $item = $s.apiKeys.opsKey | default $s.apiKeys.key }}{{ end }}
- name: api-keys
  secret:
    secretName: {{ $s.apiKeys.existingSecret }}
    items:
      - key: {{ $item }}
        path: {{ $item }}
{{- end }}
{{- if has "tls-server" $names }}
- name: tls-server
  secret:
    secretName: {{ $s.tls.serverSecret }}
{{- end }}
{{- if has "tls-server-ca" $names }}
- name: tls-server-ca
  secret:
    secretName: {{ $s.tls.serverSecret }}
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- if has "tls-client" $names }}
- name: tls-client
  secret:
    secretName: {{ $s.tls.clientSecret }}
{{- end }}
{{- end }}

{{/* Space-separated names of the security volumes a role mounts. */}}
{{- define "hymbaserve.securityVolumeNames" -}}
{{- $top := index . 0 }}
{{- $role := index . 1 }}
{{- $s := $top.Values.security }}
{{- $w := $top.Values.worker }}
{{- $hooks := or (eq $role "hooks") (and (eq $role "worker") (or $w.drain.enabled $w.drain.uncordonOnStart)) }}
{{- $names := list }}
{{- if and $s.apiKeys.existingSecret (or (eq $role "coordinator") $hooks) }}
{{- $names = append $names "api-keys" }}
{{- end }}
{{- if and (include "hymbaserve.serverTLS" $top) (eq $role "coordinator") }}
{{- $names = append $names "tls-server" }}
{{- end }}
{{- if and (include "hymbaserve.serverTLS" $top) (ne $role "coordinator") $hooks }}
{{- $names = append $names "tls-server-ca" }}
{{- end }}
{{- if and (or (include "hymbaserve.etcdTLS" $top) (include "hymbaserve.natsTLS" $top)) (ne $role "hooks") }}
{{- $names = append $names "tls-client" }}
{{- end }}
{{- join " " $names }}
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
{{- $cp := $v.coordinator.pdb }}
{{- if and $cp.enabled (not (kindIs "string" $cp.minAvailable)) (ge (int $cp.minAvailable) (int $v.coordinator.replicas)) }}
{{- fail (printf "coordinator.pdb.minAvailable: %d of %d coordinators would allow no eviction and block every node drain; run more coordinators or set coordinator.pdb.enabled=false" (int $cp.minAvailable) (int $v.coordinator.replicas)) }}
{{- end }}
{{- $a := $v.worker.autoscaling }}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "worker.autoscaling: minReplicas %d is above maxReplicas %d" (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- end }}
{{- $tls := $v.security.tls }}
{{- if and $tls.enabled (empty $tls.serverSecret) (empty $tls.clientSecret) }}
{{- fail "security.tls: enabled, but neither serverSecret nor clientSecret is set" }}
{{- end }}
{{- if and $tls.enabled $tls.clientSecret $v.etcd.enabled $v.nats.enabled }}
{{- fail "security.tls.clientSecret: the chart's own etcd and NATS (etcd.enabled, nats.enabled) serve plain TCP inside the namespace; client TLS is for external servers (etcd.enabled=false with https:// etcd.endpoints, and/or nats.enabled=false)" }}
{{- end }}
{{- if and $tls.enabled $tls.clientSecret (not $v.etcd.enabled) }}
{{- range $v.etcd.endpoints }}
{{- if not (hasPrefix "https://" .) }}
{{- fail (printf "etcd.endpoints: %q is not https://, but security.tls.clientSecret makes the binaries speak TLS to the external etcd" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
