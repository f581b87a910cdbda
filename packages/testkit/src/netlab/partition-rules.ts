import type { Host } from './host.js';

/** `drop`: packets vanish (a dead link, timeouts); `reject`: TCP resets (a refused connection). */
export type CutMode = 'drop' | 'reject';

/**
 * Jepsen's grudge: for each host, the hosts whose packets it no longer receives. A symmetric
 * partition lists each side in the other's entry; a one-way cut lists only the receiver.
 */
export type Grudge = Map<string, Set<string>>;

/** nftables table (family inet) the lab owns inside each host; nothing else in the host has rules. */
const TABLE = 'star_netlab';

/**
 * The firewall of every host, as Jepsen's `net/drop!` builds it: a cut from A to B is a rule on B's
 * input hook dropping packets whose source is A. Only the receiver filters, so a one-way cut
 * A -/-> B lets B's packets still reach A (A "hears" B: datagrams, and B's TCP segments arrive and
 * are read), while nothing of A's reaches B. TCP needs both directions, so in Jepsen's sense it
 * breaks for both: connections A dials never open (SYN lost), connections B dials never open
 * (the SYN-ACK is lost), and open ones stall: A's data is lost, B's is read by A but never
 * acknowledged, so B retransmits until it gives up. Heal removes every rule (Jepsen's `heal!`).
 * The root namespace (the harness and its clients) is never cut, except by a port cut, which cuts
 * everyone dialing that port.
 */
export class PartitionRules {
  readonly #hosts: ReadonlyMap<string, Host>;
  #grudge: Grudge = new Map();
  #mode: CutMode = 'drop';
  readonly #portCuts = new Map<string, { port: number; mode: CutMode }[]>();

  constructor(hosts: ReadonlyMap<string, Host>) {
    this.#hosts = hosts;
  }

  /** Replaces every host-to-host cut with `grudge` and applies it (port cuts stay). */
  async partition(grudge: Grudge, mode: CutMode = 'drop'): Promise<void> {
    for (const [to, froms] of grudge) {
      this.#host(to);
      for (const from of froms) this.#host(from);
    }
    this.#grudge = new Map([...grudge].map(([to, froms]) => [to, new Set(froms)]));
    this.#mode = mode;
    await this.apply();
  }

  /** Cuts every connection dialed to `host`'s `port`, from anyone (clients and the harness too). */
  async cutInbound(host: string, port: number, mode: CutMode = 'drop'): Promise<void> {
    this.#host(host);
    this.#portCuts.set(host, [...(this.#portCuts.get(host) ?? []), { port, mode }]);
    await this.apply();
  }

  /** Removes every rule on every host. */
  async heal(): Promise<void> {
    this.#grudge = new Map();
    this.#portCuts.clear();
    await this.apply();
  }

  /** True when no rule is in force. */
  get healed(): boolean {
    return this.#portCuts.size === 0 && [...this.#grudge.values()].every((froms) => froms.size === 0);
  }

  /** The grudge in force, as `to <- from,from` lines (for timelines and errors). */
  describe(): string {
    const lines = [...this.#grudge]
      .filter(([, froms]) => froms.size > 0)
      .map(([to, froms]) => `${to} <-/- ${[...froms].join(',')}`);
    for (const [host, cuts] of this.#portCuts) {
      for (const cut of cuts) lines.push(`${host}:${cut.port} <-/- * (${cut.mode})`);
    }
    return lines.join('; ') || 'no cuts';
  }

  /** Writes each host's table afresh (one atomic `nft -f` per host). */
  async apply(): Promise<void> {
    await Promise.all(
      [...this.#hosts.values()].map((host) => host.exec('nft', ['-f', '-'], this.#ruleset(host))),
    );
  }

  #ruleset(host: Host): string {
    const rules: string[] = [];
    const froms = [...(this.#grudge.get(host.name) ?? [])].map((name) => this.#host(name).address);
    if (froms.length > 0) {
      const sources = `ip saddr { ${froms.join(', ')} }`;
      if (this.#mode === 'reject') {
        // Let the peer's resets in (its own rule sends them), and reset everything else TCP.
        rules.push(`${sources} tcp flags rst accept`, `meta l4proto tcp ${sources} reject with tcp reset`);
      }
      rules.push(`${sources} drop`);
    }
    for (const cut of this.#portCuts.get(host.name) ?? []) {
      rules.push(`tcp dport ${cut.port} ${cut.mode === 'reject' ? 'reject with tcp reset' : 'drop'}`);
    }
    // Declaring the table first makes the delete valid when it does not exist yet.
    const reset = `table inet ${TABLE}\ndelete table inet ${TABLE}\n`;
    if (rules.length === 0) return reset;
    return `${reset}table inet ${TABLE} {\n  chain input {\n    type filter hook input priority filter; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`;
  }

  #host(name: string): Host {
    const host = this.#hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} in the lab`);
    return host;
  }
}
