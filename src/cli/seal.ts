#!/usr/bin/env node
/** `seal`: the developer CLI that encrypts secrets before `git commit`. Parsing and output only. */
import { Command } from "commander";
import { VERSION } from "../version.js";

const program = new Command()
  .name("seal")
  .description("Encrypt Kubernetes secrets for sealsync before they are committed (SOPS+age or SealedSecrets).")
  .version(VERSION, "-V, --version", "print the version and exit")
  .showHelpAfterError();

await program.parseAsync(process.argv);
