import { randomUUID } from 'node:crypto';

/**
 * This node process's incarnation (DESIGN §3.14): fresh on every start, never reused — unlike the
 * node id or the instance id, which a restart keeps (in a container even the pid repeats). The
 * registration and every lease renewal carry it, so the manager can tell a restart from a pause.
 */
export const nodeIncarnation: string = randomUUID();
