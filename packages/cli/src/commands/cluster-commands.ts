import type { Command } from 'commander';
import { logsCommandLine } from './logs.js';
import { restartCommandLine } from './restart.js';
import { scaleCommandLine } from './scale.js';
import { statusCommandLine } from './status.js';
import { stopCommandLine } from './stop.js';
import { upCommandLine } from './up.js';

/** The local-cluster commands: up, status, stop, restart, logs, scale (all take --data-dir). */
export function clusterCommands(): Command[] {
  return [
    upCommandLine(),
    statusCommandLine(),
    stopCommandLine(),
    restartCommandLine(),
    logsCommandLine(),
    scaleCommandLine(),
  ];
}
