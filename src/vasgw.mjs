#!/usr/bin/env node
// The `vasgw` command. Registers tsx so the TypeScript sources run directly: no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
