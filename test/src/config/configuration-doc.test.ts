import { join } from 'node:path';
import { findRepoRoot } from '@star/testkit';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc, SERVICE_SETTINGS, serviceVariables } from './configuration-doc.js';

describe('docs/configuration.md', () => {
  it('is what the config schemas generate (run `pnpm docs:config` after changing a schema)', async () => {
    await expect(renderConfigurationDoc()).toMatchFileSnapshot(
      join(findRepoRoot(), 'docs', 'configuration.md'),
    );
  });

  it('names every variable of every service, each with a description', () => {
    const doc = renderConfigurationDoc();
    for (const service of Object.keys(SERVICE_SETTINGS) as (keyof typeof SERVICE_SETTINGS)[]) {
      for (const variable of serviceVariables(service)) expect(doc).toContain(`\`${variable}\``);
    }
    const undescribed = doc.split('\n').filter((line) => /^\| `STAR_/.test(line) && line.endsWith('|  |'));
    expect(undescribed).toEqual([]);
  });
});
