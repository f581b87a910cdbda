#!/usr/bin/env node
// `pnpm test:faults [--long] [--minutes N] [--rounds N] [--seed N] [--only a,b]`: runs the fault suite through vitest (which
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
  } else if (arg === '--rounds' || arg === '--seed' || arg === '--minutes') {
    const value = args[++i];
    if (value === undefined || !/^\d+$/.test(value) || (arg === '--minutes' && Number(value) < 1)) {
      console.error(`${arg} needs a number${arg === '--minutes' ? ' of at least 1' : ''}`);
      process.exit(2);
    }
    const names = {
      '--rounds': 'STAR_FAULTS_ROUNDS',
      '--seed': 'STAR_FAULTS_SEED',
      '--minutes': 'STAR_FAULTS_MINUTES',
    };
    env[names[arg]] = value;
  } else if (arg !== '--') {
    console.error(`unknown option ${arg}; use --long, --minutes N, --rounds N, --seed N, --only a,b`);
    process.exit(2);
  }
}
if (env.STAR_FAULTS_MINUTES !== undefined && env.STAR_FAULTS_SCHEDULE !== 'long') {
  console.error('--minutes is for the long schedule: add --long');
  process.exit(2);
}
const e2e = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'faults/fault-suite.test.ts'], {
  cwd: e2e,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
