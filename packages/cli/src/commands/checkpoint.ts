export interface CheckpointOptions {
  /** A manager's base URL; a follower redirects to the leader (421 + `x-star-leader`). */
  manager: string;
  /** API key with the `admin` scope (when the managers enforce keys). */
  key?: string;
  shard?: number;
  /** Wait for the job to finish, printing its progress. */
  wait?: boolean;
}

interface Enqueued {
  job: { queue: string; id: string; state: string };
}

/**
 * `star checkpoint image|snapshot`: asks the manager leader for a manager image or a shard
 * snapshot (POST /v1/checkpoints/...), prints the job, and with `--wait` follows it to the end.
 * Exit code 0 when enqueued (or completed), 1 on any failure, with the manager's message.
 */
export async function checkpointCommand(
  kind: 'image' | 'snapshot',
  options: CheckpointOptions,
): Promise<number> {
  if (kind === 'snapshot' && options.shard === undefined) {
    process.stderr.write('star checkpoint snapshot needs --shard <id>\n');
    return 1;
  }
  try {
    const path = kind === 'image' ? '/v1/checkpoints/images' : '/v1/checkpoints/snapshots';
    const body = kind === 'image' ? undefined : { shard: options.shard };
    const auth: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
    let { status, json, leader } = await post(`${options.manager}${path}`, body, auth);
    if (status === 421 && leader !== null)
      ({ status, json, leader } = await post(`${leader}${path}`, body, auth));
    if (status !== 202) {
      process.stderr.write(`manager answered ${status}: ${(json as { message?: string }).message ?? ''}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(json)}\n`);
    if (!options.wait) return 0;
    const { queue, id } = (json as Enqueued).job;
    for (;;) {
      const response = await fetch(
        `${leader ?? options.manager}/v1/checkpoints/jobs/${queue}/${encodeURIComponent(id)}`,
        { headers: auth },
      );
      const view = (await response.json()) as { state: string; progress: unknown; failedReason?: string };
      process.stdout.write(`${JSON.stringify({ id, state: view.state, progress: view.progress })}\n`);
      if (view.state === 'completed') return 0;
      if (view.state === 'failed') {
        process.stderr.write(`job ${id} failed: ${view.failedReason}\n`);
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    process.stderr.write(`cannot reach the manager at ${options.manager}: ${(error as Error).message}\n`);
    return 1;
  }
}

async function post(
  url: string,
  body: unknown,
  auth: Record<string, string>,
): Promise<{ status: number; json: unknown; leader: string | null }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? JSON.parse(text) : {},
    leader: response.headers.get('x-star-leader'),
  };
}
