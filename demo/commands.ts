/**
 * The programs the demo runs as a user would, as child processes: the built `seal` and `sealsync` CLIs
 * and the provisioned kubectl. All asynchronous: the Git server lives in this process.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot, testAssets } from "../test/env/assets.js";

const execFileAsync = promisify(execFile);

export const SEALSYNC_CLI = path.join(repoRoot, "dist/cli/sealsync.js");
export const SEAL_CLI = path.join(repoRoot, "dist/cli/seal.js");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `seal encrypt --filename FILE -` in the clone (recipients from its .sops.yaml); plaintext on stdin only. */
export async function sealEncrypt(cwd: string, filename: string, plain: string): Promise<string> {
  const res = await runNode([SEAL_CLI, "encrypt", "--filename", filename, "-"], { cwd, input: plain });
  if (res.code !== 0) throw new Error(`seal encrypt failed (exit ${res.code}): ${res.stderr.trim()}`);
  return res.stdout;
}

/** The built sealsync CLI; resolves with its exit code and output (a non-zero exit is a result, not an error). */
export function sealsync(args: string[]): Promise<Result> {
  return runNode([SEALSYNC_CLI, ...args]);
}

function runNode(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { cwd: opts.cwd, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      if (err && code === -1) reject(err);
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? "");
  });
}

/** The real kubectl as the admin, its discovery cache in the work folder. */
export async function kubectl(workDir: string, kubeconfig: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(testAssets().kubectl, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${path.join(workDir, "kube-cache")}`, ...args],
      { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
    return `${stdout}${stderr}`.trim();
  } catch (err) {
    throw new Error(`kubectl ${args.join(" ")} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
}
