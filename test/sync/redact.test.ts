/**
 * The second line of defence of finding 1 (issue 11): value-based redaction of a message, for the forms
 * in which the API server (Go) and JSON quote values. The first line — never passing on the API
 * server's text about a decrypted object — is tested end to end in safety-leak.test.ts.
 */
import { describe, expect, it } from "@jest/globals";
import { goQuoted, redactSecrets, secretValuesOf } from "../../src/reconcile/diff.js";
import { REDACTED } from "../../src/util/redact.js";

describe("redactSecrets", () => {
  it("removes a value as written, JSON-escaped, Go-%q-escaped and base64-encoded", () => {
    const v = 'Hunter2 "pass"\tword\\';
    const msg = [
      `raw: ${v}`,
      `json: ${JSON.stringify({ v })}`,
      `go: Invalid value: "${goQuoted(v)}"`,
      `b64: ${Buffer.from(v).toString("base64")}`,
    ].join("\n");
    const out = redactSecrets(msg, [v]);
    expect(out).not.toContain("Hunter2");
    expect(out).not.toContain(Buffer.from(v).toString("base64"));
    expect(out.split("\n")).toEqual([`raw: ${REDACTED}`, `json: {"v":"${REDACTED}"}`, `go: Invalid value: "${REDACTED}"`, `b64: ${REDACTED}`]);
  });

  it("removes numbers, booleans and short values where they stand alone, not inside other words", () => {
    const msg = "expected string, got &value.valueUnstructured{Value:424242}; flag true; pin 42 in pod-42x and v1.42.0; code 7";
    expect(redactSecrets(msg, [424242, true, 42, "7"]).split(REDACTED).join("***")).toBe(
      "expected string, got &value.valueUnstructured{Value:***}; flag ***; pin *** in pod-42x and v1.42.0; code ***");
  });

  it("Go's quoting matches strconv.Quote for control characters and keeps printable Unicode", () => {
    expect(goQuoted("a\"b\\c\n\u0001é")).toBe("a\\\"b\\\\c\\n\\x01é");
  });

  it("takes every scalar of a decrypted document, and only data values of a plain Secret", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "n", labels: { tier: "x" } }, data: { port: 8080, debug: false } };
    expect(secretValuesOf(cm, true)).toEqual(["x", 8080, false]);
    expect(secretValuesOf({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { pin: 424242 } })).toEqual([424242]);
  });
});
