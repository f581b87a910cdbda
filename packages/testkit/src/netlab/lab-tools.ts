import which from 'which';
import { findOrInstall } from '../databases/apt-install.js';
import { run, runQuietly } from './commands.js';

export const NETLAB_HINT =
  'The network lab (hosts in network namespaces) needs root and Debian iproute2 (`ip`, `tc`), ' +
  'nftables (`nft`) and util-linux (`nsenter`): `sudo apt-get install -y iproute2 nftables`, then run ' +
  'the tests as root (CI runs them as root). As root on Debian the harness installs missing packages itself.';

/** Why the lab cannot run here, or undefined when it can. Cached: the answer does not change. */
let availability: Promise<string | undefined> | undefined;

export function netlabUnavailableReason(): Promise<string | undefined> {
  availability ??= probe();
  return availability;
}

/** Throws (with the hint) unless this process can build namespaced hosts. */
export async function requireNetlab(): Promise<void> {
  const reason = await netlabUnavailableReason();
  if (reason !== undefined) throw new Error(`network lab unavailable: ${reason}. ${NETLAB_HINT}`);
}

async function probe(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces are Linux-only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    await findOrInstall({ find: () => found('ip', 'tc'), aptPackage: 'iproute2', hint: NETLAB_HINT });
    await findOrInstall({ find: () => found('nft'), aptPackage: 'nftables', hint: NETLAB_HINT });
    if ((await found('nsenter')) === undefined) return 'nsenter (util-linux) is missing';
  } catch (error) {
    return (error as Error).message;
  }
  // Root is not enough in every container: try making (and removing) one namespace.
  const name = `st-probe-${process.pid}`;
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await run('ip', ['netns', 'exec', name, 'nft', 'list', 'ruleset']);
  } catch (error) {
    return `cannot create a network namespace with nftables: ${(error as Error).message}`;
  } finally {
    await runQuietly('ip', ['netns', 'del', name]);
  }
  return undefined;
}

async function found(...commands: string[]): Promise<true | undefined> {
  for (const command of commands) {
    if ((await which(command, { nothrow: true })) === null) return undefined;
  }
  return true;
}
