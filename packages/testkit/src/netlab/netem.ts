import { run, runQuietly } from './commands.js';
import { DelayRelay, ensureRelayTools } from './delay-relay.js';
import { HOST_INTERFACE, type Host } from './host.js';

/** How a host's outgoing packets are shaped. */
export interface Shape {
  delayMs: number;
  /** Each packet's delay varies by up to this much (normal distribution; reorders packets too). */
  jitterMs?: number;
  /** Percent of packets lost, 0-100. */
  lossPercent?: number;
}

/** What the lab tells Netem about its plumbing (for the relay stand-in). */
export interface NetemWiring {
  bridge: string;
  hosts: () => Host[];
  /** The root-side veth end of a host. */
  rootLinkOf: (host: Host) => string;
  /** Names for a relay pair in front of a host; recorded for clean-up before they are made. */
  relayLinksOf: (host: Host) => { relayLink: string; bridgePort: string };
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
 * Slow and lossy links, as Jepsen's `net/shape!`: a shape on one host slows everything it sends; a
 * shape towards some hosts slows only what it sends them. Shaping both ends of a pair slows the
 * pair's round trips by twice the delay, and nothing else. With `tc netem` (a prio qdisc whose
 * fourth band holds the netem, picked by destination address); on a kernel built without netem
 * (CONFIG_NET_SCH_NETEM unset, as on some VM kernels) with a userspace frame relay in front of the
 * host instead (see delay-relay.ts), said in `mechanism`.
 */
export class Netem {
  readonly #wiring: NetemWiring;
  readonly #netem = new Set<Host>();
  readonly #relays = new Map<Host, DelayRelay>();
  #offloadsOff = false;

  constructor(wiring: NetemWiring) {
    this.#wiring = wiring;
  }

  /** Shapes every packet `host` sends, or only those to `towards`. Replaces an earlier shape. */
  async shape(host: Host, shape: Shape, towards?: Host[]): Promise<void> {
    await this.clear(host);
    if ((await netemUnavailableReason()) !== undefined) {
      await this.#relay(host, shape, towards);
      return;
    }
    this.#netem.add(host);
    const dev = ['dev', HOST_INTERFACE];
    if (towards === undefined) {
      await host.exec('tc', ['qdisc', 'add', ...dev, 'root', 'netem', ...netemArgs(shape)]);
      return;
    }
    // Bands 1-3 keep the default priomap for everything else; band 4 only gets what the filters pick.
    await host.exec('tc', ['qdisc', 'add', ...dev, 'root', 'handle', '1:', 'prio', 'bands', '4']);
    await host.exec('tc', [
      ...['qdisc', 'add', ...dev, 'parent', '1:4', 'handle', '40:', 'netem', ...netemArgs(shape)],
    ]);
    for (const target of towards) {
      await host.exec('tc', [
        ...['filter', 'add', ...dev, 'parent', '1:0', 'protocol', 'ip', 'prio', '1'],
        ...['u32', 'match', 'ip', 'dst', `${target.address}/32`, 'flowid', '1:4'],
      ]);
    }
  }

  async #relay(host: Host, shape: Shape, towards: Host[] | undefined): Promise<void> {
    await ensureRelayTools();
    if (!this.#offloadsOff) {
      // A raw socket reads frames as the stack left them: with checksum offload the checksums are
      // still unfilled, and a frame resent raw would be dropped. Every sender fills them itself now.
      for (const each of this.#wiring.hosts())
        await each.exec('ethtool', ['-K', HOST_INTERFACE, 'tx', 'off']);
      await run('ethtool', ['-K', this.#wiring.bridge, 'tx', 'off']);
      this.#offloadsOff = true;
    }
    const relay = await DelayRelay.start(
      {
        hostLink: this.#wiring.rootLinkOf(host),
        bridge: this.#wiring.bridge,
        ...this.#wiring.relayLinksOf(host),
      },
      shape,
      (towards ?? []).map((target) => target.address),
    );
    this.#relays.set(host, relay);
  }

  /** Removes `host`'s shape (if any). */
  async clear(host: Host): Promise<void> {
    const relay = this.#relays.get(host);
    if (relay !== undefined) {
      this.#relays.delete(host);
      await relay.stop();
    }
    if (!this.#netem.delete(host)) return;
    await host.exec('tc', ['qdisc', 'del', 'dev', HOST_INTERFACE, 'root']).catch(() => {});
  }

  async clearAll(): Promise<void> {
    for (const host of [...this.#netem, ...this.#relays.keys()]) await this.clear(host);
  }

  get healed(): boolean {
    return this.#netem.size === 0 && this.#relays.size === 0;
  }

  /** What shapes packets here (for timelines and reports). */
  get mechanism(): string {
    return netemAvailable === false ? 'userspace relay (no tc netem in this kernel)' : 'tc netem';
  }
}

let netemProbe: Promise<string | undefined> | undefined;
let netemAvailable: boolean | undefined;

/**
 * Why `tc netem` cannot run here (a kernel built without CONFIG_NET_SCH_NETEM), or undefined when
 * it can. Probed once on a veth in a throwaway namespace.
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
      netemAvailable = true;
      return undefined;
    } catch (error) {
      netemAvailable = false;
      return `tc netem is unavailable on this kernel (${(error as Error).message.split('\n')[0]})`;
    } finally {
      await runQuietly('ip', ['netns', 'del', name]);
    }
  })();
  return netemProbe;
}
