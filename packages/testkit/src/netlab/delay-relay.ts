import { spawn } from 'node:child_process';
import which from 'which';
import { reapOnExit } from '../child-reaper.js';
import { findOrInstall } from '../databases/apt-install.js';
import { run, runQuietly } from './commands.js';
import type { Shape } from './netem.js';

/**
 * The frame relay that stands in for `tc netem` on kernels built without it: a python3 loop on two
 * raw AF_PACKET sockets (the standard library, no packages) that passes a host's frames between
 * its veth and the bridge, holding each one it shapes for `delay +- jitter` (normal, so frames
 * reorder as under netem) and dropping `loss` of them; frames the other way pass at once.
 */
const RELAY_SCRIPT = String.raw`
import heapq, random, select, socket, sys, time
host_side, bridge_side = sys.argv[1], sys.argv[2]
delay, jitter, loss = float(sys.argv[3]) / 1000, float(sys.argv[4]) / 1000, float(sys.argv[5]) / 100
targets = {socket.inet_aton(t) for t in sys.argv[6].split(',') if t}
def raw(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((name, 0))
    s.setblocking(False)
    return s
from_host, to_bridge = raw(host_side), raw(bridge_side)
def shaped(frame):
    if not targets:
        return True
    return len(frame) >= 34 and frame[12:14] == b'\x08\x00' and frame[30:34] in targets
held, seq = [], 0
print('ready', flush=True)
while True:
    wait = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
    ready, _, _ = select.select([from_host, to_bridge], [], [], wait)
    for s in ready:
        while True:
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            if s is to_bridge:
                from_host.send(frame)
            elif not shaped(frame):
                to_bridge.send(frame)
            elif random.random() >= loss:
                due = time.monotonic() + (max(0.0, random.gauss(delay, jitter)) if jitter > 0 else delay)
                heapq.heappush(held, (due, seq, frame))
                seq += 1
    now = time.monotonic()
    while held and held[0][0] <= now:
        to_bridge.send(heapq.heappop(held)[2])
`;

export interface RelayPlumbing {
  /** The host's root-side veth end (taken off the bridge while the relay runs). */
  hostLink: string;
  /** The relay's own veth pair: `relayLink` it writes to, `bridgePort` on the bridge. */
  relayLink: string;
  bridgePort: string;
  bridge: string;
}

export async function ensureRelayTools(): Promise<void> {
  const hint = 'the netem stand-in needs python3 and ethtool: sudo apt-get install -y python3 ethtool';
  const found = (command: string) => async () =>
    (await which(command, { nothrow: true })) === null ? undefined : true;
  await findOrInstall({ find: found('python3'), aptPackage: 'python3-minimal', hint });
  await findOrInstall({ find: found('ethtool'), aptPackage: 'ethtool', hint });
}

/** A running relay in front of one host; `stop` puts the host back on the bridge. */
export class DelayRelay {
  private constructor(
    private readonly plumbing: RelayPlumbing,
    private readonly child: ReturnType<typeof spawn>,
  ) {}

  static async start(plumbing: RelayPlumbing, shape: Shape, targets: string[]): Promise<DelayRelay> {
    const { hostLink, relayLink, bridgePort, bridge } = plumbing;
    await run('ip', ['link', 'add', relayLink, 'type', 'veth', 'peer', 'name', bridgePort]);
    // The host's end leaves the bridge and carries no IP: the root stack must not answer ARP on it.
    await run('sysctl', ['-q', '-w', `net.ipv4.conf.${hostLink}.arp_ignore=8`]);
    await run('sysctl', ['-q', '-w', `net.ipv6.conf.${hostLink}.disable_ipv6=1`]);
    await run('sysctl', ['-q', '-w', `net.ipv6.conf.${relayLink}.disable_ipv6=1`]);
    await run('ip', ['link', 'set', relayLink, 'up']);
    await run('ip', ['link', 'set', bridgePort, 'master', bridge, 'up']);
    const args = [
      ...['-c', RELAY_SCRIPT, hostLink, relayLink],
      ...[
        String(shape.delayMs),
        String(shape.jitterMs ?? 0),
        String(shape.lossPercent ?? 0),
        targets.join(','),
      ],
    ];
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    reapOnExit(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`the delay relay exited (code ${code}) before it was ready`)),
      );
      child.stdout?.once('data', () => resolve());
    });
    // Only now is the host taken off the bridge: frames flow through the relay from here on.
    await run('ip', ['link', 'set', hostLink, 'nomaster']);
    return new DelayRelay(plumbing, child);
  }

  async stop(): Promise<void> {
    const { hostLink, relayLink, bridge } = this.plumbing;
    await runQuietly('ip', ['link', 'set', hostLink, 'master', bridge]);
    this.child.kill('SIGKILL');
    await runQuietly('ip', ['link', 'del', relayLink]);
  }
}
