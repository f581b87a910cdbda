import type { ClusterFile } from './cluster-file.js';

/** Single-quotes a value for a POSIX shell. */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `star up` prints when the cluster is ready: where it listens, the admin key, the
 * dashboards and three commands to copy. Scripts read cluster.json instead.
 */
export function clusterSummary(cluster: ClusterFile, clusterFilePath: string): string {
  const key = quote(cluster.adminKey);
  const gateway = cluster.gatewayUrl ?? '(no gateway)';
  const keyUrl = `${gateway}/v1/namespaces/default/keys/greeting`;
  const lines = [
    '',
    `Star is up (data dir ${cluster.dataDir})`,
    '',
    `  gateway     ${gateway}`,
    `  admin key   ${cluster.adminKey}`,
    `  managers    ${cluster.managerUrls.join(' ')}`,
    `  redis       ${cluster.redisUrl}${cluster.ownsRedis ? '' : ' (external)'}`,
  ];
  if (cluster.redisSentinels) {
    lines.push(`  sentinels   ${cluster.redisSentinels} (master star; ./star status shows the primary)`);
  }
  if (cluster.dashboards.api) lines.push(`  API docs    ${cluster.dashboards.api}`);
  if (cluster.dashboards.queues)
    lines.push(`  queues      ${cluster.dashboards.queues}  (any user name; the admin key as password)`);
  lines.push(
    `  details     ${clusterFilePath}`,
    '',
    'Try:',
    `  curl -X PUT -H "Authorization: Bearer ${cluster.adminKey}" --data-binary 'hello, star' ${keyUrl}`,
    `  curl -H "Authorization: Bearer ${cluster.adminKey}" ${keyUrl}`,
    `  ./star keys list --gateway ${gateway} --key ${key}`,
    '',
    `Then: ./star status | ./star logs <service> -f | ./star scale node=5 | ./star stop${dataDirFlag(cluster)}`,
    '',
  );
  return lines.join('\n');
}

function dataDirFlag(cluster: ClusterFile): string {
  return cluster.dataDir.endsWith('/.star') ? '' : `   (each with --data-dir ${quote(cluster.dataDir)})`;
}
