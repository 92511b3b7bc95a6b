/** The sealsync_ metrics as Prometheus scrapes them: the text parses, holds the expected series, and no unbounded label. */
import { describe, expect, it } from "@jest/globals";
import { createMetrics, kindLabel, revisionLabel } from "../../src/metrics.js";

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Exposition { types: Map<string, string>; samples: Sample[] }

/** A strict reader of the text format (0.0.4): every line is a HELP, a TYPE, or a sample of a declared family. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  // Values are Go floats: digits, or NaN/±Inf in any case (prom-client writes "Nan" before the first event-loop sample).
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? ([-+]?(?:[0-9.e+-]+|inf|nan))$`, "i");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const help = new RegExp(`^# HELP (${NAME}) .+$`).exec(line);
    if (help) continue;
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = m[2] ?? "";
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let lm = labelRe.exec(labelText); lm; lm = labelRe.exec(labelText)) {
      labels[lm[1]!] = lm[2]!;
      consumed = labelRe.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels in: ${line}`);
    const name = m[1]!;
    const family = [...types.keys()].find((f) => name === f || (/_(bucket|sum|count|total|created)$/.test(name) && name.startsWith(`${f}_`)));
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    samples.push({ name, labels, value: Number(m[3]!.replace(/inf$/i, "Infinity").replace(/^nan$/i, "NaN")) });
  }
  return { types, samples };
}

const find = (e: Exposition, name: string, labels: Record<string, string> = {}) =>
  e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe("sealsync metrics", () => {
  it("exposes every series, zero-valued before anything happens", async () => {
    const e = parseExposition(await createMetrics().text());
    expect(Object.fromEntries([...e.types].filter(([n]) => n.startsWith("sealsync_")))).toEqual({
      sealsync_build_info: "gauge",
      sealsync_reconcile_duration_seconds: "histogram",
      sealsync_reconciles_total: "counter",
      sealsync_last_applied_revision_info: "gauge",
      sealsync_managed_objects: "gauge",
      sealsync_drift_corrections_total: "counter",
      sealsync_decrypt_failures_total: "counter",
      sealsync_git_fetch_duration_seconds: "histogram",
      sealsync_git_fetch_errors_total: "counter",
      sealsync_leader: "gauge",
      sealsync_stale: "gauge",
    });
    expect(find(e, "sealsync_reconciles_total").map((s) => [s.labels.result, s.value])).toEqual([["success", 0], ["failure", 0]]);
    expect(find(e, "sealsync_leader")[0]?.value).toBe(0);
    expect(find(e, "sealsync_git_fetch_errors_total")[0]?.value).toBe(0);
    // Default process metrics are there too.
    expect(e.types.get("process_cpu_user_seconds_total")).toBe("counter");
    expect(e.types.get("nodejs_heap_size_total_bytes")).toBe("gauge");
  });

  it("records what the daemon reports", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.reconciled("success", 0.3);
    m.reconciled("success", 2);
    m.reconciled("failure", 0.01);
    m.managedObjects(42);
    m.driftCorrected("Deployment");
    m.driftCorrected("Deployment");
    m.driftCorrected("ConfigMap");
    m.decryptFailed("sealed");
    m.gitFetched(0.2, true);
    m.gitFetched(12, false);
    m.leader(true);
    const e = parseExposition(await m.text());
    expect(find(e, "sealsync_reconciles_total", { result: "success" })[0]?.value).toBe(2);
    expect(find(e, "sealsync_reconciles_total", { result: "failure" })[0]?.value).toBe(1);
    expect(find(e, "sealsync_reconcile_duration_seconds_count")[0]?.value).toBe(3);
    expect(find(e, "sealsync_reconcile_duration_seconds_bucket", { le: "0.5" })[0]?.value).toBe(2);
    expect(find(e, "sealsync_reconcile_duration_seconds_bucket", { le: "+Inf" })[0]?.value).toBe(3);
    expect(find(e, "sealsync_managed_objects")[0]?.value).toBe(42);
    expect(find(e, "sealsync_drift_corrections_total").map((s) => [s.labels.kind, s.value])).toEqual([["Deployment", 2], ["ConfigMap", 1]]);
    expect(find(e, "sealsync_decrypt_failures_total").map((s) => [s.labels.format, s.value])).toEqual([["sops", 0], ["sealed", 1]]);
    expect(find(e, "sealsync_git_fetch_duration_seconds_count")[0]?.value).toBe(2);
    expect(find(e, "sealsync_git_fetch_errors_total")[0]?.value).toBe(1);
    expect(find(e, "sealsync_leader")[0]?.value).toBe(1);
    m.leader(false);
    expect(find(parseExposition(await m.text()), "sealsync_leader")[0]?.value).toBe(0);
  });

  it("keeps one revision series, labelled with the short SHA only", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.appliedRevision("3f2c9a1b7e6d5c4b3a29180716f5e4d3c2b1a098");
    m.appliedRevision("main@sha1:9c0ffee1234567890abcdef1234567890abcdef1");
    const series = find(parseExposition(await m.text()), "sealsync_last_applied_revision_info");
    expect(series).toEqual([{ name: "sealsync_last_applied_revision_info", labels: { revision: "9c0ffee" }, value: 1 }]);
  });

  it("never turns arbitrary text into a label value", async () => {
    expect(revisionLabel("not a sha; password=hunter2")).toBe("unknown");
    expect(revisionLabel("abc")).toBe("unknown");
    expect(kindLabel("Secret/db password=hunter2")).toBe("Other");
    expect(kindLabel("x".repeat(64))).toBe("Other");
    const m = createMetrics({ defaultMetrics: false });
    m.driftCorrected("Secret/db password=hunter2");
    m.appliedRevision("hunter2");
    m.reconciled("success", Number.NaN);
    m.managedObjects(Number.POSITIVE_INFINITY);
    const text = await m.text();
    expect(text).not.toContain("hunter2");
    const e = parseExposition(text);
    const allowed = new Set(["result", "revision", "kind", "format", "version", "le"]);
    for (const s of e.samples.filter((x) => x.name.startsWith("sealsync_"))) {
      for (const [k, v] of Object.entries(s.labels)) {
        expect(allowed.has(k)).toBe(true);
        expect(v).toMatch(/^[A-Za-z0-9.+_-]{1,63}$/);
      }
    }
  });

  it("registries are independent (no global state)", async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.managedObjects(5);
    expect(find(parseExposition(await b.text()), "sealsync_managed_objects")[0]?.value).toBe(0);
  });
});
