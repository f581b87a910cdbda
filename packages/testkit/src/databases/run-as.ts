import { execFileSync } from 'node:child_process';

/** An OS account a server is run as when this process is root (PostgreSQL refuses to run as root). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

export function osUser(name: string): RunAs {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(
      `running as root needs the OS user "${name}" to run the server (installing the server's Debian package creates it)`,
    );
  }
}

/**
 * setpriv execs the server in place (same pid, unlike runuser or su), so signals the harness sends
 * (SIGINT to stop, SIGKILL when the test process dies) reach the server itself.
 */
export function runAsArgs(runAs: RunAs): string[] {
  return [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups', '--'];
}
