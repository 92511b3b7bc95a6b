/**
 * The benchmarks' 1,000-object repository: per app a config and a flags ConfigMap, a Deployment scaled to
 * 0 and a Service, plus a Secret of 5 keys (SOPS-encrypted in Git). 200 apps = 1,000 objects.
 */
export const APPS = 200;

export function appManifests(i: number): string {
  return [
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app${i}-config\ndata:\n  mode: blue\n  replicas: "${i}"\n`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app${i}-flags\ndata:\n  feature-x: "on"\n`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app${i}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {app: app${i}}\n  template:\n    metadata:\n      labels: {app: app${i}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n          envFrom: [{configMapRef: {name: app${i}-config}}]\n`,
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: app${i}\nspec:\n  selector: {app: app${i}}\n  ports: [{port: 80, targetPort: 8080}]\n`,
  ].join("---\n");
}

export function secretManifest(i: number): string {
  const values = Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`key${k}`, `value-${i}-${k}-${"x".repeat(24)}`]));
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app${i}-secret\ntype: Opaque\nstringData:\n${Object.entries(values).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`;
}
