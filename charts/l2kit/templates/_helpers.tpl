{{/*
Helpers. Parity with `l2kit render` demands that every name and label come from the values
that `l2kit values SPEC` computed, so these helpers only read them; they hold no logic.
*/}}

{{/* Chart name (used by NOTES and the helm test hook). */}}
{{- define "l2kit.name" -}}
{{- .Chart.Name -}}
{{- end -}}

{{/* Object name of a values entry (computed by l2kit: <stack>-<component>). */}}
{{- define "l2kit.fullname" -}}
{{- .name -}}
{{- end -}}

{{/* Labels of a values entry: app.kubernetes.io/{name,instance,component,part-of,managed-by}
and l2kit.io/stack, exactly as `l2kit render` writes them. */}}
{{- define "l2kit.labels" -}}
{{- toYaml .labels -}}
{{- end -}}

{{/* The selector of a workload, Service or PDB entry (app.kubernetes.io/{instance,component}). */}}
{{- define "l2kit.selectorLabels" -}}
{{- toYaml .selector.matchLabels -}}
{{- end -}}

{{/* Annotations that Helm adds to the helm test hook objects only. */}}
{{- define "l2kit.testHook" -}}
helm.sh/hook: test
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
