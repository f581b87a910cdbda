import { randomBytes } from 'node:crypto';
import { onExit } from 'signal-exit';
import { run } from './commands.js';
import { HOST_INTERFACE, Host } from './host.js';
import {
  claimRecord,
  type LabRecord,
  liveSubnets,
  removeLeftovers,
  saveRecord,
  undo,
  undoSync,
} from './lab-record.js';
import { requireNetlab } from './lab-tools.js';
import { Netem } from './netem.js';
import { PartitionRules } from './partition-rules.js';
import { LAB_PREFIX, usedSubnets } from './subnet.js';

export interface NetworkLabOptions {
  /** Host names: 1-9 lowercase letters or digits (they end up in 15-character interface names). */
  hosts: string[];
}

/** Labs of this process not yet stopped; undone at exit if the test forgot or crashed. */
const openLabs = new Set<LabRecord>();
onExit(() => {
  for (const record of openLabs) undoSync(record);
});

/** Host addresses start here in the run's /24 (.1 is the root namespace on the bridge). */
const FIRST_HOST_OCTET = 10;

/**
 * A private network of hosts (network namespaces) on one Linux bridge, for fault tests: each host
 * has its own address in a /24 of 10.213.0.0/16 that this machine does not use, loopback up, and a
 * veth pair to the bridge; the root namespace holds `.1` on the bridge, so the test process reaches
 * every host directly. Partitions (`rules`, nftables in each host) and slow links (`netem`, tc) act
 * on hosts only. Every name carries the run id; what a run makes is recorded (see lab-record.ts)
 * before it is made, so a later run removes a crashed run's leftovers, and only those.
 */
export class NetworkLab {
  readonly hosts = new Map<string, Host>();
  readonly rules: PartitionRules;
  readonly netem: Netem;
  readonly #record: LabRecord;
  readonly #octets = new Map<Host, number>();

  private constructor(record: LabRecord) {
    this.#record = record;
    this.rules = new PartitionRules(this.hosts);
    this.netem = new Netem({
      bridge: record.bridge,
      hosts: () => [...this.hosts.values()],
      rootLinkOf: (host) => `st${this.runId}${host.name}`,
      relayLinksOf: (host) => {
        const octet = this.#octets.get(host)!;
        const links = { relayLink: `st${this.runId}r${octet}`, bridgePort: `st${this.runId}q${octet}` };
        if (!this.#record.links.includes(links.relayLink)) {
          this.#record.links.push(links.relayLink);
          saveRecord(this.#record);
        }
        return links;
      },
    });
  }

  get runId(): string {
    return this.#record.runId;
  }

  /** The root namespace's address on the bridge (where the harness's packets come from). */
  get rootAddress(): string {
    return `${LAB_PREFIX}.${this.#record.subnet}.1`;
  }

  get subnet(): string {
    return `${LAB_PREFIX}.${this.#record.subnet}.0/24`;
  }

  get bridge(): string {
    return this.#record.bridge;
  }

  /** Namespaces and root-side links this run made (for clean-up checks). */
  get made(): { namespaces: string[]; links: string[] } {
    return { namespaces: [...this.#record.namespaces], links: [...this.#record.links, this.#record.bridge] };
  }

  static async start(options: NetworkLabOptions): Promise<NetworkLab> {
    for (const name of options.hosts) {
      if (!/^[a-z0-9]{1,9}$/.test(name))
        throw new Error(`host name ${name}: 1-9 lowercase letters or digits`);
    }
    if (new Set(options.hosts).size !== options.hosts.length) throw new Error('host names must differ');
    if (options.hosts.length > 240) throw new Error('at most 240 hosts fit in one /24');
    await requireNetlab();
    await removeLeftovers();
    const lab = new NetworkLab(await claimSubnet());
    openLabs.add(lab.#record);
    try {
      await lab.#makeBridge();
      await Promise.all(options.hosts.map((name, index) => lab.#makeHost(name, FIRST_HOST_OCTET + index)));
      return lab;
    } catch (error) {
      await lab.stop();
      throw error;
    }
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} in the lab`);
    return host;
  }

  /** Removes every partition rule and every shape. */
  async heal(): Promise<void> {
    await this.rules.heal();
    await this.netem.clearAll();
  }

  get healed(): boolean {
    return this.rules.healed && this.netem.healed;
  }

  /** Removes every namespace, link and the bridge this run made (killing what still runs inside). */
  async stop(): Promise<void> {
    if (!openLabs.delete(this.#record)) return;
    await this.netem.clearAll().catch(() => {});
    await undo(this.#record);
  }

  async #makeBridge(): Promise<void> {
    const bridge = this.#record.bridge;
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${this.rootAddress}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
  }

  async #makeHost(name: string, octet: number): Promise<void> {
    const namespace = `st-${this.runId}-${name}`;
    const link = `st${this.runId}${name}`;
    const address = `${LAB_PREFIX}.${this.#record.subnet}.${octet}`;
    this.#record.namespaces.push(namespace);
    this.#record.links.push(link);
    saveRecord(this.#record);
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', [
      'link',
      'add',
      link,
      'type',
      'veth',
      'peer',
      'name',
      HOST_INTERFACE,
      'netns',
      namespace,
    ]);
    await run('ip', ['link', 'set', link, 'master', this.#record.bridge, 'up']);
    await run('ip', ['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', HOST_INTERFACE]);
    await run('ip', ['-n', namespace, 'link', 'set', HOST_INTERFACE, 'up']);
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const host = new Host(name, namespace, address);
    this.#octets.set(host, octet);
    this.hosts.set(name, host);
  }
}

/** Claims a free /24 (not routed here, not held by a live run) with a record naming this run. */
async function claimSubnet(): Promise<LabRecord> {
  const runId = randomBytes(3)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 4);
  const taken = new Set([...(await usedSubnets()), ...liveSubnets()]);
  const offset = Math.floor(Math.random() * 254);
  for (let i = 0; i < 254; i++) {
    const subnet = 1 + ((offset + i) % 254);
    if (taken.has(subnet)) continue;
    const record: LabRecord = {
      runId,
      pid: process.pid,
      subnet,
      bridge: `st${runId}br`,
      namespaces: [],
      links: [],
    };
    if (claimRecord(record)) return record;
  }
  throw new Error(`no free /24 left in ${LAB_PREFIX}.0.0/16 for a network lab`);
}
