#!/usr/bin/env node
/** `sealsync`: the GitOps sidecar daemon and its operator commands. Parsing and output only. */
import { Command } from "commander";
import { VERSION } from "../version.js";
import { runProgram, underContract } from "./exit.js";
import { registerAuditCommands } from "./sealsync/audit.js";
import { registerRunCommand } from "./sealsync/run.js";
import { registerSyncCommands } from "./sealsync/sync.js";

const program = underContract(new Command())
  .name("sealsync")
  .description("Secrets-aware GitOps sidecar: pulls manifests from Git, decrypts SOPS and SealedSecrets in memory, and reconciles its namespace with server-side apply.")
  .version(VERSION, "-V, --version", "print the version and exit");

registerRunCommand(program);
registerSyncCommands(program);
registerAuditCommands(program);

await runProgram(program);
