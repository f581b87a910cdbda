import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './star-cli.js';

/** One instruction of a Dockerfile, continuation lines joined. */
export interface DockerInstruction {
  instruction: string;
  args: string;
  stage: number;
}

/** The Dockerfile as instructions, each tagged with its stage (0 = the first FROM). */
export function readDockerfile(): DockerInstruction[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  let stage = -1;
  return logical.map((line) => {
    const [instruction = '', ...rest] = line.split(/\s+/);
    if (instruction.toUpperCase() === 'FROM') stage++;
    return { instruction: instruction.toUpperCase(), args: rest.join(' '), stage };
  });
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  container_name?: string;
  profiles?: string[];
  hostname?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml with its `<<` merge keys applied, as Compose reads it. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * A compose value with its `${VAR:-default}` / `${VAR:?message}` interpolations resolved the way
 * Compose would for a user who set `given` (unset required variables get `sample`).
 */
export function interpolate(value: string, given: Record<string, string>, sample: string): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, kind?: string, rest?: string) => {
      if (given[name] !== undefined && given[name] !== '') return given[name]!;
      return kind === '-' ? (rest ?? '') : sample;
    },
  );
}

/** `.dockerignore` patterns (simplified: `**\/name` matches that name anywhere, others match a path prefix). */
export function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const segments = path.split('/');
  return patterns.some((pattern) => {
    if (pattern.startsWith('**/')) {
      const name = pattern.slice(3);
      return segments.some(
        (segment) => segment === name || (name.startsWith('*.') && segment.endsWith(name.slice(1))),
      );
    }
    return path === pattern || path.startsWith(`${pattern}/`);
  });
}
