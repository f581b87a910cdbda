import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { clearTestReports, formatTestSummary, readTestReports } from './test-summary.js';

const dirs: { cleanup(): Promise<void> }[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await dir.cleanup();
});

function writeReport(root: string, pkg: string, report: object) {
  mkdirSync(join(root, pkg, 'reports'), { recursive: true });
  writeFileSync(join(root, pkg, 'reports', 'vitest.json'), JSON.stringify(report));
}

describe('test summary', () => {
  it('sums the vitest JSON reports of every workspace package and clears them before a run', () => {
    const root = tempDir('star-summary-');
    dirs.push(root);
    writeReport(root.path, 'packages/core', {
      numPassedTests: 30,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 0,
      testResults: [{}, {}, {}],
    });
    writeReport(root.path, 'test', { numPassedTests: 5, numFailedTests: 0, testResults: [{}] });
    mkdirSync(join(root.path, 'apps', 'node'), { recursive: true }); // a package without a report

    const counts = readTestReports(root.path);
    expect(counts).toEqual([
      { package: 'packages/core', files: 3, passed: 30, failed: 1, skipped: 2 },
      { package: 'test', files: 1, passed: 5, failed: 0, skipped: 0 },
    ]);
    const text = formatTestSummary(counts);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(/total\s+35 passed\s+1 failed\s+2 skipped\s+\(4 files\)/);

    clearTestReports(root.path);
    expect(readTestReports(root.path)).toEqual([]);
  });
});
