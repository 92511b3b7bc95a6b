/** The vocabulary: what callers may pass (checked by tsc here, and at run time by the guard). */
import { describe, expect, it } from "@jest/globals";
import { ACTIONS, CALLER_ACTIONS, fieldsOf, type AuditEvent } from "../../src/audit/index.js";
import { ALL_FIELDS } from "../../src/audit/entry.js";
import { normalizeEvent } from "../../src/audit/schema.js";
import { SAMPLE_EVENTS } from "./helpers.js";

describe("the entry schema", () => {
  it("types events from the table: required fields, enums and no extra fields", () => {
    const ok: AuditEvent[] = [
      { action: "sync-started", revision: "abc", trigger: "webhook", signature: "unsigned" },
      { action: "decrypted", file: "a.yaml", document: 0, format: "sealed", keyId: "sha256:1" },
    ];
    // @ts-expect-error an unknown trigger
    const badEnum: AuditEvent = { action: "sync-started", revision: "abc", trigger: "cron" };
    // @ts-expect-error revision is required
    const missing: AuditEvent = { action: "object-created", group: "", kind: "Secret", namespace: "a", name: "b" };
    // @ts-expect-error no field can carry a value
    const extra: AuditEvent = { action: "decrypted", file: "a.yaml", document: 0, format: "sops", keyId: "k", value: "s3cret" };
    // @ts-expect-error the writer's own actions are not for callers
    const internal: AuditEvent = { action: "log-rotated", previousFile: "x" };
    expect([ok, badEnum, missing, extra, internal]).toHaveLength(5);
  });

  it("the samples cover every caller action, and each passes the guard unchanged", () => {
    expect(new Set(SAMPLE_EVENTS.map((e) => e.action))).toEqual(new Set(CALLER_ACTIONS));
    for (const event of SAMPLE_EVENTS) expect(normalizeEvent(event)).toEqual({ action: event.action, fields: { ...event, action: undefined }, stripped: [] });
  });

  it("keeps one type per field name, so CSV columns and filters mean one thing", () => {
    for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
      for (const field of fieldsOf(action)) {
        const column = ALL_FIELDS.find((f) => f.name === field.name);
        expect(column?.type === "int").toBe(field.type === "int");
      }
    }
  });
});
