#!/usr/bin/env node
// `pnpm test:faults [--long] [--rounds N] [--seed N] [--only a,b]`: runs the fault suite through vitest (which
// runs the TypeScript), choosing the schedule by environment, and exits with vitest's code.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const env = { ...process.env, STAR_FAULTS_SCHEDULE: 'short' };
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--long') env.STAR_FAULTS_SCHEDULE = 'long';
  else if (arg === '--short') env.STAR_FAULTS_SCHEDULE = 'short';
  else if (arg === '--only') {
    const value = args[++i];
    if (value === undefined || value === '') {
      console.error('--only needs nemesis names, comma-separated');
      process.exit(2);
    }
    env.STAR_FAULTS_ONLY = value;
  } else if (arg === '--rounds' || arg === '--seed') {
    const value = args[++i];
    if (value === undefined || !/^\d+$/.test(value)) {
      console.error(`${arg} needs a number`);
      process.exit(2);
    }
    env[arg === '--rounds' ? 'STAR_FAULTS_ROUNDS' : 'STAR_FAULTS_SEED'] = value;
  } else if (arg !== '--') {
    console.error(`unknown option ${arg}; use --long, --rounds N, --seed N, --only a,b`);
    process.exit(2);
  }
}
const e2e = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'faults/fault-suite.test.ts'], {
  cwd: e2e,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
