{{/*
Helpers. Every name, port, probe and securityContext was computed by `l2kit values SPEC`; the
helpers only scope the computed stacks to the release and merge the knobs over them, by the
same generic rules as l2kit/render/assemble.py and l2kit/render/knobs.py (the parity test
renders both). No protocol logic lives here.
*/}}

{{/* Chart name (used by NOTES and the helm test hook). */}}
{{- define "l2kit.name" -}}
{{- .Chart.Name -}}
{{- end -}}

{{/* Values computed by another l2kit version would silently mismatch this chart. */}}
{{- define "l2kit.checkVersion" -}}
{{- if ne (toString .Values.l2kitVersion) .Chart.AppVersion -}}
{{- fail (printf "l2kitVersion: these values were computed by l2kit %v, this chart is l2kit %s; regenerate them with `l2kit values SPEC`" .Values.l2kitVersion .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Prefix of every stack name: none when the release is named like the chart or like its
only stack (then names are exactly `l2kit render`'s), else "<release>-". */}}
{{- define "l2kit.prefix" -}}
{{- $only := and (eq (len .Values.stacks) 1) (eq .Release.Name (index .Values.stacks 0).name) -}}
{{- if not (or (eq .Release.Name .Chart.Name) $only) -}}{{ .Release.Name }}-{{- end -}}
{{- end -}}

{{/* A stack of the values for this release, as JSON: ${stack} and ${namespace} filled in
(names, labels, DNS names in config files), the namespace defaulted to the release's, and
the user's top-level knobs merged over the stack's, key by key (empty knobs change nothing).
Args: dict "s" <values stack> "root" $. */}}
{{- define "l2kit.stack" -}}
{{- $root := .root -}}
{{- $full := printf "%s%s" (include "l2kit.prefix" $root) .s.name -}}
{{- if gt (len $full) 30 -}}
{{- fail (printf "release name + stack name %q is longer than 30 characters; name the release like the stack, or shorter" $full) -}}
{{- end -}}
{{- $ns := .s.namespace | default $root.Release.Namespace -}}
{{- $s := toJson .s | replace "${stack}" $full | replace "${namespace}" $ns | fromJson -}}
{{- $_ := set $s "namespace" $ns -}}
{{- $knobs := $s.knobs | default dict -}}
{{- range $key := list "global" "bitcoind" "miner" "electrs" "babylond" "covenant" "finalityProvider" "vigilante" "rollup" -}}
{{- range $name, $value := (index $root.Values $key | default dict) -}}
{{- if $value -}}
{{- if not (hasKey $knobs $key) }}{{ $_ := set $knobs $key dict }}{{ end -}}
{{- $_ := set (index $knobs $key) $name $value -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $s "knobs" $knobs -}}
{{- toJson $s -}}
{{- end -}}

{{/* A workload entry with its knobs applied, as JSON (mirror of knobs.apply and
assemble._workload): replicas, image registry/tag, main container resources and env, pod
scheduling fields, pod labels/annotations, claim size/class, and checksum/config over the
data of the stack's ConfigMaps the pod mounts. Args: dict "o" <entry> "s" <stack> "root" $. */}}
{{- define "l2kit.workload" -}}
{{- $o := deepCopy .o -}}
{{- $k := deepCopy (index .s.knobs $o.knobs | default dict) -}}
{{- $g := index .s.knobs "global" | default dict -}}
{{- with $k.replicas }}{{ $_ := set $o "replicas" . }}{{ end -}}
{{- $pod := $o.podSpec -}}
{{- range $c := concat ($pod.initContainers | default list) $pod.containers -}}
{{- $i := index $o.images $c.name -}}
{{- $tag := $i.tag -}}
{{- if $i.own }}{{ with dig "image" "tag" "" $k }}{{ $tag = . }}{{ end }}{{ end -}}
{{- $reg := $g.imageRegistry | default $i.registry -}}
{{- $_ := set $c "image" (printf "%s%s:%s" (ternary (printf "%s/" $reg) "" (ne $reg "")) $i.repository $tag) -}}
{{- end -}}
{{- $main := index $pod.containers 0 -}}
{{- with $k.resources }}{{ $_ := set $main "resources" (mergeOverwrite ($main.resources | default dict) .) }}{{ end -}}
{{- with $k.extraEnv }}{{ $_ := set $main "env" (concat ($main.env | default list) .) }}{{ end -}}
{{- range $f := list "nodeSelector" "tolerations" "priorityClassName" -}}
{{- with index $k $f }}{{ $_ := set $pod $f . }}{{ end -}}
{{- end -}}
{{- with $k.affinity }}{{ $_ := set $pod "affinity" (mergeOverwrite ($pod.affinity | default dict) .) }}{{ end -}}
{{- with $g.imagePullSecrets -}}
{{- $secrets := list -}}
{{- range . }}{{ $secrets = append $secrets (dict "name" .) }}{{ end -}}
{{- $_ := set $pod "imagePullSecrets" $secrets -}}
{{- end -}}
{{- $labels := mergeOverwrite $o.podLabels ($k.podLabels | default dict) -}}
{{- $_ := set $labels "app.kubernetes.io/managed-by" .root.Release.Service -}}
{{- $annotations := dict -}}
{{- $acc := "" -}}{{- $mounted := false -}}
{{- range $v := $pod.volumes | default list -}}
{{- if $v.configMap -}}
{{- range $cm := $.s.configMaps -}}
{{- if eq $cm.name $v.configMap.name -}}
{{- $mounted = true -}}
{{- range $key, $val := $cm.data }}{{ $acc = print $acc $key "\x00" $val "\x00" }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $mounted }}{{ $_ := set $annotations "checksum/config" (sha256sum $acc) }}{{ end -}}
{{- $_ := set $o "podAnnotations" (mergeOverwrite $annotations $o.podAnnotations ($k.podAnnotations | default dict)) -}}
{{- $storage := $k.storage | default dict -}}
{{- range $claim := $o.volumeClaimTemplates | default list -}}
{{- with $storage.size }}{{ $_ := set $claim.spec.resources.requests "storage" . }}{{ end -}}
{{- with $storage.storageClass }}{{ $_ := set $claim.spec "storageClassName" . }}{{ end -}}
{{- end -}}
{{- toJson $o -}}
{{- end -}}

{{/* Object labels: the computed ones plus Helm's helm.sh/chart and managed-by.
Args: dict "labels" <labels> "root" $. */}}
{{- define "l2kit.labels" -}}
{{- $helm := dict "helm.sh/chart" (printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_") "app.kubernetes.io/managed-by" .root.Release.Service -}}
{{- toYaml (merge $helm .labels) -}}
{{- end -}}

{{/* Annotations that Helm adds to the helm test hook objects only. */}}
{{- define "l2kit.testHook" -}}
helm.sh/hook: test
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
