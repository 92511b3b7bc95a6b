/**
 * How `seal diff` prints its findings: text for a terminal, Markdown for a PR comment, JSON for machines.
 * Only file names, key paths, item names and recipients appear: never a value, never a ciphertext.
 */
import type { EncryptedFileDiff } from "../../manifests/encrypted-diff.js";
import type { SealedObjectDiff } from "../../crypto/sealed/diff.js";

export type DiffOutput = "text" | "markdown" | "json";

export const REENCRYPTED = "re-encrypted: every value's ciphertext changed, values not comparable without a key";

interface Row {
  what: string;
  change: string;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** One line of summary and the rows (key paths or items) of a file. */
function describe(d: EncryptedFileDiff): { summary: string; rows: Row[] } {
  switch (d.kind) {
    case "error":
      return { summary: `cannot compare: ${d.message}`, rows: [] };
    case "sealed":
      return describeSealed(d.status, d.objects);
    case "sops": {
      if (d.status !== "modified") {
        return { summary: `SOPS file ${d.status} (${plural(d.keys.length, "key")}, ${plural(d.recipients.length, "recipient")})`, rows: d.keys.map((k) => ({ what: k, change: d.status })) };
      }
      const x = d.diff;
      const parts: string[] = [];
      if (x.reencrypted) parts.push(x.decrypted ? "re-encrypted with a new data key" : REENCRYPTED);
      const count = (c: string) => x.keys.filter((k) => k.change === c).length;
      for (const c of ["changed", "added", "removed"]) if (count(c) > 0) parts.push(`${count(c)} ${c}`);
      if (x.unchanged > 0) parts.push(`${x.unchanged} unchanged`);
      if (x.notComparable > 0) parts.push(`${x.notComparable} not comparable`);
      if (x.decrypted) parts.push("values compared with a key");
      const rows: Row[] = x.keys.map((k) => ({ what: k.path, change: k.change }));
      for (const r of x.recipientsAdded) rows.push({ what: `recipient ${r}`, change: "added" });
      for (const r of x.recipientsRemoved) rows.push({ what: `recipient ${r}`, change: "removed" });
      return { summary: `SOPS: ${parts.length > 0 ? parts.join(", ") : "no change"}`, rows };
    }
  }
}

function describeSealed(status: string, objects: SealedObjectDiff[]): { summary: string; rows: Row[] } {
  const rows: Row[] = [];
  const parts: string[] = [];
  for (const o of objects) {
    if (o.change !== "changed") {
      parts.push(`SealedSecret ${o.name} ${o.change}`);
      for (const i of [...o.itemsAdded, ...o.itemsRemoved]) rows.push({ what: `${o.name} ${i}`, change: o.change });
      continue;
    }
    const bits: string[] = [];
    if (o.itemsChanged.length) bits.push(`${o.itemsChanged.length} changed`);
    if (o.itemsAdded.length) bits.push(`${o.itemsAdded.length} added`);
    if (o.itemsRemoved.length) bits.push(`${o.itemsRemoved.length} removed`);
    if (o.itemsResealed.length) bits.push(`${o.itemsResealed.length} re-sealed with the same value`);
    if (o.itemsUnchanged) bits.push(`${o.itemsUnchanged} unchanged`);
    parts.push(`SealedSecret ${o.name}: ${bits.length ? `items ${bits.join(", ")}` : "items unchanged"}${o.otherFieldsChanged ? "; metadata/template changed" : ""}`);
    for (const i of o.itemsChanged) rows.push({ what: `${o.name} ${i}`, change: o.decrypted ? "changed" : "changed (re-sealed)" });
    for (const i of o.itemsAdded) rows.push({ what: `${o.name} ${i}`, change: "added" });
    for (const i of o.itemsRemoved) rows.push({ what: `${o.name} ${i}`, change: "removed" });
    for (const i of o.itemsResealed) rows.push({ what: `${o.name} ${i}`, change: "re-sealed, same value" });
  }
  return { summary: status === "modified" ? parts.join("; ") : `file ${status}; ${parts.join("; ")}`, rows };
}

export function renderDiff(diffs: readonly EncryptedFileDiff[], output: DiffOutput, header?: string): string {
  if (output === "json") return `${JSON.stringify({ files: diffs }, null, 2)}\n`;
  if (output === "markdown") return markdown(diffs, header);
  if (diffs.length === 0) return "no encrypted files changed\n";
  const lines: string[] = [];
  for (const d of diffs) {
    const { summary, rows } = describe(d);
    lines.push(`${d.file}: ${summary}`);
    const width = Math.max(0, ...rows.map((r) => r.change.length));
    for (const r of rows) lines.push(`  ${r.change.padEnd(width)}  ${r.what}`);
  }
  return `${lines.join("\n")}\n`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/`/g, "'");

function markdown(diffs: readonly EncryptedFileDiff[], header = "Encrypted files"): string {
  const out = [`### ${header}`, ""];
  if (diffs.length === 0) return `${out.join("\n")}No encrypted file changed.\n`;
  out.push("| File | Key | Change |", "| --- | --- | --- |");
  const notes: string[] = [];
  for (const d of diffs) {
    const { summary, rows } = describe(d);
    for (const r of rows) out.push(`| \`${cell(d.file)}\` | \`${cell(r.what)}\` | ${cell(r.change)} |`);
    notes.push(`- \`${cell(d.file)}\`: ${cell(summary)}`);
  }
  const table = out.length > 4 ? [...out, ""] : [out[0]!, ""];
  return `${[...table, ...notes].join("\n")}\n\n<sub>Values are never shown; produced by \`seal diff\`.</sub>\n`;
}
