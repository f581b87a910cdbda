import { run, runQuietly } from './commands.js';
import { HOST_INTERFACE, type Host } from './host.js';

/** How a host's outgoing packets are shaped (tc netem). */
export interface Shape {
  delayMs: number;
  /** Each packet's delay varies by up to this much (normal distribution; reorders packets too). */
  jitterMs?: number;
  /** Percent of packets lost, 0-100. */
  lossPercent?: number;
}

/** `netem` arguments for a shape. */
export function netemArgs(shape: Shape): string[] {
  const args = ['delay', `${shape.delayMs}ms`];
  if (shape.jitterMs !== undefined && shape.jitterMs > 0)
    args.push(`${shape.jitterMs}ms`, 'distribution', 'normal');
  if (shape.lossPercent !== undefined && shape.lossPercent > 0) args.push('loss', `${shape.lossPercent}%`);
  return args;
}

/**
 * Slow and lossy links with `tc netem` on each host's egress (as Jepsen's `net/shape!`): a shape on
 * one host slows everything it sends; a shape towards some hosts (a prio qdisc whose fourth band
 * holds the netem, chosen by destination address) slows only what it sends them. Shaping both
 * ends of a pair slows the pair's round trips by twice the delay, and nothing else.
 */
export class Netem {
  readonly #shaped = new Set<Host>();

  /** Shapes every packet `host` sends, or only those to `towards`. Replaces an earlier shape. */
  async shape(host: Host, shape: Shape, towards?: Host[]): Promise<void> {
    await this.clear(host);
    this.#shaped.add(host);
    const dev = ['dev', HOST_INTERFACE];
    if (towards === undefined) {
      await host.exec('tc', ['qdisc', 'add', ...dev, 'root', 'netem', ...netemArgs(shape)]);
      return;
    }
    // Bands 1-3 keep the default priomap for everything else; band 4 only gets what the filters pick.
    await host.exec('tc', ['qdisc', 'add', ...dev, 'root', 'handle', '1:', 'prio', 'bands', '4']);
    await host.exec('tc', [
      'qdisc',
      'add',
      ...dev,
      'parent',
      '1:4',
      'handle',
      '40:',
      'netem',
      ...netemArgs(shape),
    ]);
    for (const target of towards) {
      await host.exec('tc', [
        ...['filter', 'add', ...dev, 'parent', '1:0', 'protocol', 'ip', 'prio', '1'],
        ...['u32', 'match', 'ip', 'dst', `${target.address}/32`, 'flowid', '1:4'],
      ]);
    }
  }

  /** Removes `host`'s shape (if any). */
  async clear(host: Host): Promise<void> {
    if (!this.#shaped.delete(host)) return;
    await host.exec('tc', ['qdisc', 'del', 'dev', HOST_INTERFACE, 'root']).catch(() => {});
  }

  async clearAll(): Promise<void> {
    await Promise.all([...this.#shaped].map((host) => this.clear(host)));
  }

  get healed(): boolean {
    return this.#shaped.size === 0;
  }
}

let netemProbe: Promise<string | undefined> | undefined;

/**
 * Why `tc netem` cannot run here (a kernel built without CONFIG_NET_SCH_NETEM, as some VM kernels
 * are), or undefined when it can. Probed once on a veth in a throwaway namespace.
 */
export function netemUnavailableReason(): Promise<string | undefined> {
  netemProbe ??= (async () => {
    const name = `st-netem-${process.pid}`;
    try {
      await run('ip', ['netns', 'add', name]);
      await run('ip', ['-n', name, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      await run('ip', [
        'netns',
        'exec',
        name,
        'tc',
        'qdisc',
        'add',
        'dev',
        'p0',
        'root',
        'netem',
        'delay',
        '1ms',
      ]);
      return undefined;
    } catch (error) {
      return `tc netem is unavailable on this kernel (${(error as Error).message.split('\n')[0]})`;
    } finally {
      await runQuietly('ip', ['netns', 'del', name]);
    }
  })();
  return netemProbe;
}
