import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, StarService } from '@star/core';
import { ServiceConfig, type ServiceName, ServiceNames } from '@star/protocol';
import { freePort } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceSchema, serviceVariables } from '../config/configuration-doc.js';
import {
  type ComposeService,
  dockerIgnored,
  interpolate,
  readCompose,
  readDockerfile,
} from './container-files.js';
import { REPO_ROOT } from './star-cli.js';

// No Docker engine runs on these machines: these checks keep the Dockerfile and
// docker-compose.yml consistent with the code they package.
const compose = readCompose();
const dockerfile = readDockerfile();
const lastStage = Math.max(...dockerfile.map((step) => step.stage));
const runtime = dockerfile.filter((step) => step.stage === lastStage);
const SAMPLE_KEY = 'sample-admin-key-0123456789';

const starServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
const serviceOf = (service: ComposeService): ServiceName => service.command?.[0] as ServiceName;
function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(String(value), {}, SAMPLE_KEY),
    ]),
  );
}
/** The image's own ENV of the runtime stage (`ENV A=1 B=2`). */
const imageEnv = Object.fromEntries(
  runtime
    .filter((step) => step.instruction === 'ENV')
    .flatMap((step) => step.args.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
);

/** Runs a healthcheck's `CMD node -e <script>` as the container would, with STAR_PORT set. */
function runHealthcheck(test: string[], port: number): Promise<number> {
  expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  return new Promise((resolve) => {
    execFile(
      'node',
      ['-e', test[3]!],
      { env: { ...process.env, STAR_PORT: String(port) }, timeout: 10_000 },
      (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
    );
  });
}

describe('Dockerfile', () => {
  it('installs from the lockfile, builds every service, and runs as a non-root user with a HEALTHCHECK', () => {
    expect(lastStage).toBeGreaterThanOrEqual(1);
    const build = dockerfile.filter((step) => step.stage < lastStage);
    expect(build.some((step) => step.instruction === 'COPY' && step.args.includes('pnpm-lock.yaml'))).toBe(
      true,
    );
    expect(
      build
        .filter((step) => step.instruction === 'RUN' && /pnpm (fetch|install)/.test(step.args))
        .every((step) => step.args.includes('--frozen-lockfile')),
    ).toBe(true);
    const turbo = build.find((step) => step.instruction === 'RUN' && step.args.includes('turbo run build'))!;
    for (const name of ServiceNames) expect(turbo.args).toContain(`--filter=@star/${name}`);
    expect(build.some((step) => step.instruction === 'RUN' && step.args.includes('--prod'))).toBe(true);
    const user = runtime.filter((step) => step.instruction === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime.some((step) => step.instruction === 'HEALTHCHECK')).toBe(true);
  });

  it('selects the service by command through an entrypoint that runs its built main.js', () => {
    const entrypoint = JSON.parse(
      runtime.find((step) => step.instruction === 'ENTRYPOINT')!.args,
    ) as string[];
    expect(entrypoint).toEqual(['/app/docker/entrypoint.sh']);
    const script = join(REPO_ROOT, 'docker', 'entrypoint.sh');
    accessSync(script, constants.X_OK);
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/manager \| node \| checkpointer \| gateway\)/);
    expect(text).toContain('exec node "/app/apps/$service/dist/main.js"');
    // The build stage's /src becomes /app, so /app/apps/<name>/dist/main.js is the build output.
    expect(
      runtime.some((step) => step.instruction === 'COPY' && /--from=build .*\/src \/app$/.test(step.args)),
    ).toBe(true);
    for (const name of ServiceNames)
      expect(existsSync(join(REPO_ROOT, 'apps', name, 'dist', 'main.js'))).toBe(true);
    const cmd = JSON.parse(runtime.find((step) => step.instruction === 'CMD')!.args) as string[];
    expect(ServiceNames).toContain(cmd[0]);
  });

  it('sets only variables every service knows, and the build context keeps what the build needs', () => {
    for (const name of Object.keys(imageEnv).filter((key) => key.startsWith('STAR_'))) {
      for (const service of ServiceNames)
        expect(serviceVariables(service), `${name} for ${service}`).toContain(name);
    }
    loadConfig(ServiceConfig, imageEnv);
    for (const path of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'turbo.json',
      'tsconfig.base.json',
      'docker/entrypoint.sh',
      'apps/node/src/main.ts',
      'packages/core/src/index.ts',
    ])
      expect(dockerIgnored(path), path).toBe(false);
    for (const path of ['node_modules', 'apps/node/node_modules', 'apps/node/dist', '.star', '.git'])
      expect(dockerIgnored(path), path).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  it('runs Redis with an fsync-always AOF on a volume, 2 managers, 3 nodes, a checkpointer and a gateway', () => {
    const redis = compose.services.redis!;
    expect(redis.command?.join(' ')).toContain('--appendonly yes --appendfsync always');
    expect(redis.volumes).toContain('redis-data:/data');
    const counts = Object.fromEntries(ServiceNames.map((name) => [name, 0]));
    for (const [, service] of starServices) counts[serviceOf(service)]! += service.deploy?.replicas ?? 1;
    expect(counts).toEqual({ manager: 2, node: 3, checkpointer: 1, gateway: 1 });
  });

  it('has an ha profile: two replicas of redis and three sentinels watching it, and services that can use them', () => {
    const ha = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('ha'));
    const replicas = ha.filter(([, service]) =>
      service.command?.join(' ').includes('--replicaof redis 6379'),
    );
    const sentinels = ha.filter(([, service]) => service.command?.join(' ').includes('--sentinel'));
    expect(replicas).toHaveLength(2);
    expect(sentinels).toHaveLength(3);
    for (const [, sentinel] of sentinels)
      expect(sentinel.command?.join(' ')).toContain('sentinel monitor star redis 6379 2');
    for (const [name, service] of starServices) {
      expect(Object.keys(service.environment ?? {}), name).toContain('STAR_REDIS_SENTINELS');
      expect(envOf(service).STAR_REDIS_MASTER, name).toBe('star');
      expect(service.profiles, name).toBeUndefined();
    }
  });

  it('gives each service a command the image runs and only variables its config schema knows, with valid values', () => {
    expect(starServices.length).toBeGreaterThan(0);
    for (const [name, service] of starServices) {
      const kind = serviceOf(service);
      expect(ServiceNames, name).toContain(kind);
      expect(existsSync(join(REPO_ROOT, 'apps', kind, 'dist', 'main.js'))).toBe(true);
      const known = serviceVariables(kind);
      for (const variable of Object.keys(service.environment ?? {}))
        expect(known, `${name}: ${variable}`).toContain(variable);
      // The values load as the service would load them (image ENV underneath).
      loadConfig(serviceSchema(kind), { ...imageEnv, ...envOf(service) });
    }
  });

  it('wires managers by their advertised URLs and publishes the gateway port', () => {
    const managers = starServices.filter(([, service]) => serviceOf(service) === 'manager');
    const urls = managers.map(([name, service]) => {
      const env = envOf(service);
      expect(env.STAR_ADVERTISE_URL).toBe(`http://${name}:${env.STAR_PORT}`);
      return env.STAR_ADVERTISE_URL;
    });
    expect(new Set(managers.map(([, service]) => envOf(service).STAR_MANAGER_ID)).size).toBe(managers.length);
    const [, gateway] = starServices.find(([, service]) => serviceOf(service) === 'gateway')!;
    expect(envOf(gateway).STAR_MANAGERS?.split(',')).toEqual(urls);
    expect(gateway.ports).toContain(`${envOf(gateway).STAR_PORT}:${envOf(gateway).STAR_PORT}`);
  });

  it('lets nodes scale: no fixed name, id, address or host port; data in a per-replica volume', () => {
    const nodes = starServices.filter(([, service]) => serviceOf(service) === 'node');
    expect(nodes).toHaveLength(1);
    const [, node] = nodes[0]!;
    expect(node.container_name).toBeUndefined();
    expect(node.hostname).toBeUndefined();
    expect(node.ports).toBeUndefined();
    for (const fixed of ['STAR_NODE_ID', 'STAR_INSTANCE_ID', 'STAR_ADVERTISE_ADDRESS'])
      expect(node.environment).not.toHaveProperty(fixed);
    // An anonymous volume (no `name:` before the path): each replica gets its own.
    expect(node.volumes).toContain(envOf(node).STAR_DATA_DIR);
  });

  it('covers every data dir with a volume, the image store shared by managers, nodes and checkpointers', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const imageVolumes = new Set<string>();
    for (const [name, service] of starServices) {
      const env = envOf(service);
      const mounts = (service.volumes ?? []).map((volume) => {
        const parts = volume.split(':');
        return parts.length === 1
          ? { source: undefined, target: parts[0]! }
          : { source: parts[0], target: parts[1]! };
      });
      for (const source of mounts.map((mount) => mount.source).filter((s) => s !== undefined))
        expect(declared).toContain(source);
      const kind = serviceOf(service);
      const dataDirs = [
        kind === 'node' ? env.STAR_DATA_DIR : undefined,
        kind === 'gateway' ? undefined : env.STAR_IMAGE_DIR,
      ];
      for (const dir of dataDirs.filter((d): d is string => d !== undefined)) {
        const mount = mounts.find((m) => dir === m.target || dir.startsWith(`${m.target}/`));
        expect(mount, `${name}: ${dir}`).toBeDefined();
        if (dir === env.STAR_IMAGE_DIR) imageVolumes.add(String(mount!.source));
      }
    }
    expect([...imageVolumes]).toHaveLength(1);
    expect(declared).toContain([...imageVolumes][0]);
  });

  it('starts services only after what they depend on is healthy', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe('service_healthy');
        expect(compose.services[dependency]?.healthcheck, dependency).toBeDefined();
      }
    }
    expect(compose.services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });
});

describe('healthchecks against a real service', () => {
  let service: StarService;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    const config = loadConfig(ServiceConfig, { STAR_PORT: String(port), STAR_LOG_LEVEL: 'silent' });
    service = new StarService({ service: 'gateway', config });
    await service.start();
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('every service healthcheck and the image HEALTHCHECK pass on /health and fail without a server', async () => {
    const checks = starServices.map(([, s]) => s.healthcheck?.test);
    const imageCheck = runtime.find((step) => step.instruction === 'HEALTHCHECK')!.args;
    const imageCommand = JSON.parse(imageCheck.slice(imageCheck.indexOf('CMD') + 3).trim()) as string[];
    for (const test of [...checks, ['CMD', ...imageCommand]]) {
      expect(test).toBeDefined();
      expect(test!.join(' ')).toContain('/health');
      expect(await runHealthcheck(test!, port)).toBe(0);
    }
    const closed = await freePort();
    expect(await runHealthcheck(checks[0]!, closed)).not.toBe(0);
  });
});
