import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Makes the node processes the test harness spawns run with `--cpu-prof`. Node refuses that flag in
 * NODE_OPTIONS and the harness runs plain `node` from PATH, so a `node` wrapper that adds the flags goes
 * first on this process's PATH (which children inherit). Profiles are written when a node exits
 * cleanly, which the harness's SIGTERM shutdown does. Returns the profile directory.
 */
export function enableNodeCpuProfiles(directory: string): string {
  const dir = resolve(directory);
  const bin = join(dir, '.bin');
  mkdirSync(bin, { recursive: true });
  const wrapper = join(bin, 'node');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' --cpu-prof --cpu-prof-dir='${dir}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  return dir;
}
