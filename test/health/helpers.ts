/** Manifests for the health tests: a one-replica Deployment whose pods can be made to misbehave. */
import { BEHAVIOUR_LABEL } from "../env/workloads.js";

export const workload = (name: string, opts: { behaviour?: string; nodeSelector?: Record<string, string>; annotations?: Record<string, string>; podSpec?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${opts.annotations ? `  annotations: ${JSON.stringify(opts.annotations)}\n` : ""}spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}${opts.behaviour ? `, ${BEHAVIOUR_LABEL}: ${opts.behaviour}` : ""}}
    spec:
${opts.nodeSelector ? `      nodeSelector: ${JSON.stringify(opts.nodeSelector)}\n` : ""}      containers:
        - name: app
          image: registry.example/${name}:1
${opts.podSpec ?? ""}`;

