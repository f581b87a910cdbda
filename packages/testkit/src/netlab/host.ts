import { run } from './commands.js';

/** Inside every host, its end of the veth pair to the lab's bridge. */
export const HOST_INTERFACE = 'eth0';

/**
 * One machine of the lab: a network namespace with loopback up and one interface on the lab's
 * bridge, at its own address. Processes started through `wrap` live in its network stack only
 * (same filesystem and process tree as the harness), so they bind to `address` and see exactly
 * what the lab's rules let through.
 */
export class Host {
  constructor(
    /** The lab-wide name (`n1`, `redis`, ...), as rules and nemeses call it. */
    readonly name: string,
    /** The namespace (`ip netns`), carrying the run id. */
    readonly namespace: string,
    readonly address: string,
  ) {}

  /**
   * A command line that runs `command` inside this host. nsenter enters only the network namespace
   * and execs (no fork), so the returned pid is the service's own and signals reach it directly.
   */
  wrap(command: string, args: string[]): { command: string; args: string[] } {
    return { command: 'nsenter', args: [`--net=/run/netns/${this.namespace}`, '--', command, ...args] };
  }

  /** Runs a command to completion inside this host; resolves with its stdout. */
  exec(command: string, args: string[], input?: string): Promise<string> {
    return run('ip', ['netns', 'exec', this.namespace, command, ...args], input);
  }
}
