import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TObject, type TSchema, Type } from '@sinclair/typebox';
import { CheckpointerSettings } from '@star/checkpointer/settings';
import { envVarName } from '@star/core';
import { GatewaySettings } from '@star/gateway/settings';
import { ManagerSettings } from '@star/manager/settings';
import { NodeSettings } from '@star/node/settings';
import { ImageStoreSettings, ServiceConfig, type ServiceName } from '@star/protocol';
import { findRepoRoot } from '@star/testkit';
import ts from 'typescript';

/** Each service's own settings schema, and the source files whose comments describe it. */
export const SERVICE_SETTINGS: Record<ServiceName, { schema: TObject; source: string | string[] }> = {
  manager: { schema: ManagerSettings, source: 'apps/manager/src/manager-settings.ts' },
  node: { schema: NodeSettings, source: 'apps/node/src/node-settings.ts' },
  checkpointer: { schema: CheckpointerSettings, source: 'apps/checkpointer/src/checkpointer-settings.ts' },
  gateway: {
    schema: GatewaySettings,
    source: ['apps/gateway/src/gateway-settings.ts', 'apps/gateway/src/catalogs/catalog-settings.ts'],
  },
};
const COMMON_SOURCE = 'packages/protocol/src/service-config.ts';

/** The full schema a service loads (common settings plus its own), as runService composes it. */
export function serviceSchema(service: ServiceName): TObject {
  return Type.Composite([ServiceConfig, SERVICE_SETTINGS[service].schema]);
}

/** Every `STAR_*` variable a service reads. */
export function serviceVariables(service: ServiceName): Set<string> {
  return new Set(Object.keys(serviceSchema(service).properties).map((property) => envVarName(property)));
}

/**
 * The doc comment of each property in a settings source file. A comment above a spread
 * (`...ImageStoreSettings.properties`) describes every property the spread brings in.
 */
function propertyComments(sourcePaths: string | string[]): Map<string, string> {
  if (Array.isArray(sourcePaths)) {
    return new Map(sourcePaths.flatMap((sourcePath) => [...propertyComments(sourcePath)]));
  }
  const sourcePath = sourcePaths;
  const text = readFileSync(join(findRepoRoot(), sourcePath), 'utf8');
  const source = ts.createSourceFile(sourcePath, text, ts.ScriptTarget.Latest, true);
  const comments = new Map<string, string>();
  const commentOf = (node: ts.Node): string | undefined => {
    const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
    const docs = ranges.map((range) => text.slice(range.pos, range.end)).filter((c) => c.startsWith('/**'));
    if (docs.length === 0) return undefined;
    return docs
      .map((doc) =>
        doc
          .replace(/^\/\*\*|\*\/$/g, '')
          .split('\n')
          .map((line) => line.replace(/^\s*\*?\s?/, '').trim())
          .join(' ')
          .trim(),
      )
      .join(' ');
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      const comment = commentOf(node);
      if (comment !== undefined && !comments.has(node.name.text)) comments.set(node.name.text, comment);
    }
    if (ts.isSpreadAssignment(node) && node.expression.getText(source) === 'ImageStoreSettings.properties') {
      const comment = commentOf(node);
      if (comment !== undefined)
        for (const property of Object.keys(ImageStoreSettings.properties)) comments.set(property, comment);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return comments;
}

/** What values a property takes, from its schema: type, bounds, pattern or choices. */
function describeType(schema: TSchema): string {
  const s = schema as TSchema & {
    type?: string;
    anyOf?: { const?: unknown }[];
    minimum?: number;
    maximum?: number;
    minLength?: number;
    pattern?: string;
  };
  if (s.anyOf) return `one of ${s.anyOf.map((choice) => `\`${String(choice.const)}\``).join(', ')}`;
  if (s.type === 'integer' || s.type === 'number') {
    const bounds = [
      s.minimum === undefined ? '' : `≥ ${s.minimum}`,
      s.maximum === undefined ? '' : `≤ ${s.maximum}`,
    ]
      .filter(Boolean)
      .join(', ');
    return bounds ? `${s.type} (${bounds})` : s.type;
  }
  if (s.type === 'string' && s.pattern !== undefined)
    return `string matching \`${s.pattern.replaceAll('|', '\\|')}\``;
  if (s.type === 'string' && s.minLength) return 'non-empty string';
  return s.type ?? 'value';
}

function describeDefault(schema: TSchema, optional: boolean): string {
  const value = (schema as { default?: unknown }).default;
  if (value === undefined) return optional ? '(unset)' : '(required)';
  return value === '' ? '`""` (empty)' : `\`${String(value)}\``;
}

function table(schema: TObject, comments: Map<string, string>, only?: Set<string>): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties)
    .filter(([property]) => only === undefined || only.has(property))
    .map(([property, propertySchema]) =>
      [
        `\`${envVarName(property)}\``,
        describeType(propertySchema),
        describeDefault(propertySchema, !required.has(property)),
        (comments.get(property) ?? '').replaceAll('|', '\\|'),
      ].join(' | '),
    );
  return [
    '| variable | value | default | what it is |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** docs/configuration.md, generated from the config schemas and their doc comments (`pnpm docs:config`). */
export function renderConfigurationDoc(): string {
  const common = propertyComments(COMMON_SOURCE);
  const sections = (Object.keys(SERVICE_SETTINGS) as ServiceName[]).map((service) => {
    const { schema, source } = SERVICE_SETTINGS[service];
    return [
      `## ${service} (\`apps/${service}\`)`,
      '',
      `Schema: \`${source}\`.`,
      '',
      table(schema, propertyComments(source)),
    ].join('\n');
  });
  return `${[
    '# Configuration',
    '',
    '<!-- Generated by `pnpm docs:config` from the config schemas (test/src/config/configuration-doc.ts);',
    '     do not edit by hand: a test fails when this file and the schemas disagree. -->',
    '',
    'Every Star service reads its settings from `STAR_*` environment variables: the schema property',
    '`fooBar` is the variable `STAR_FOO_BAR`. Values are checked at start-up; a bad value stops the',
    'service with one message naming every bad variable, what it must be and what it was given.',
    '`./star up` sets these for each process it starts (see `cluster.json` in its data dir), and',
    '`docker-compose.yml` sets them for each container.',
    '',
    'Cluster-wide settings that change at run time (through the manager, `PUT /v1/config`) are not',
    'environment variables; see `packages/protocol/src/runtime-settings.ts`.',
    '',
    '## Every service',
    '',
    `Schema: \`${COMMON_SOURCE}\`.`,
    '',
    table(ServiceConfig, common),
    '',
    ...sections.flatMap((section) => [section, '']),
  ].join('\n')}`;
}
