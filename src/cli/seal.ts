#!/usr/bin/env node
/** `seal`: the developer CLI that encrypts secrets before `git commit`. Registers commands only. */
import { Command } from "commander";
import { VERSION } from "../version.js";
import { runProgram, underContract } from "./exit.js";
import { registerCheck } from "./seal/check.js";
import { registerDecrypt } from "./seal/decrypt.js";
import { registerDiff } from "./seal/diff.js";
import { registerEncrypt } from "./seal/encrypt.js";
import { registerKeygen } from "./seal/keygen.js";
import { registerRecipients } from "./seal/recipients-from.js";
import { registerReencrypt } from "./seal/reencrypt.js";
import { registerRotate } from "./seal/rotate.js";
import { registerSecret } from "./seal/secret.js";
import { registerTrust } from "./seal/trust.js";
import { registerSet } from "./seal/set.js";
import { registerUpdateKeys } from "./seal/updatekeys.js";

const program = underContract(new Command())
  .name("seal")
  .description("Encrypt Kubernetes secrets for sealsync before they are committed (SOPS+age or SealedSecrets).")
  .version(VERSION, "-V, --version", "print the version and exit")
  .addHelpText(
    "after",
    `
Data goes to stdout, messages to stderr. Exit status: 0 success, 1 failure, 2 usage error.

Example — encrypt a Secret before committing it:
  $ seal keygen                                   # prints your age1… recipient
  $ seal encrypt -i --age age1… k8s/secret.yaml
  $ seal check --install-hook                     # refuse plaintext Secrets at commit time

Example — seal it for the cluster as a SealedSecret, with only the public certificate:
  $ seal recipients --from http://127.0.0.1:9090 -o cluster.crt
  $ seal encrypt --format sealed --cert cluster.crt -i k8s/secret.yaml`,
  );

registerKeygen(program);
registerEncrypt(program);
registerDecrypt(program);
registerSecret(program);
registerRotate(program);
registerUpdateKeys(program);
registerReencrypt(program);
registerRecipients(program);
registerCheck(program);
registerTrust(program);
registerDiff(program);
registerSet(program);

await runProgram(program);
