import type { ChildProcess } from 'node:child_process';
import { onExit } from 'signal-exit';

/** Children still alive; SIGKILLed when this process ends so no test leaves servers behind. */
const liveChildren = new Set<ChildProcess>();
let hookInstalled = false;

export function reapOnExit(child: ChildProcess): void {
  if (!hookInstalled) {
    hookInstalled = true;
    // SIGKILL, not SIGTERM: a paused (SIGSTOPped) or SIGTERM-ignoring child would otherwise survive.
    onExit(() => {
      for (const running of liveChildren) running.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}
