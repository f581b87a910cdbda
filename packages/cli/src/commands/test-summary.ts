import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where each workspace package's vitest JSON report lands (see vitest.shared.ts). */
const REPORT = join('reports', 'vitest.json');
const WORKSPACE_DIRS = ['apps', 'packages'];

export interface PackageTestCounts {
  package: string;
  files: number;
  passed: number;
  failed: number;
  skipped: number;
}

function packageDirs(root: string): string[] {
  const dirs = WORKSPACE_DIRS.flatMap((parent) => {
    const full = join(root, parent);
    return existsSync(full) ? readdirSync(full).map((name) => join(full, name)) : [];
  });
  return [...dirs, join(root, 'test')];
}

/** Removes old reports so the summary only counts what this run produced (ran or restored from cache). */
export function clearTestReports(root: string): void {
  for (const dir of packageDirs(root)) rmSync(join(dir, REPORT), { force: true });
}

export function readTestReports(root: string): PackageTestCounts[] {
  const counts: PackageTestCounts[] = [];
  for (const dir of packageDirs(root)) {
    const file = join(dir, REPORT);
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      numTotalTestSuites?: number;
      numPassedTests?: number;
      numFailedTests?: number;
      numPendingTests?: number;
      numTodoTests?: number;
      testResults?: unknown[];
    };
    counts.push({
      package: relative(root, dir),
      files: report.testResults?.length ?? 0,
      passed: report.numPassedTests ?? 0,
      failed: report.numFailedTests ?? 0,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    });
  }
  return counts;
}

/** The table `star test` ends with: one line per package and the total. */
export function formatTestSummary(counts: PackageTestCounts[]): string {
  const width = Math.max(5, ...counts.map((c) => c.package.length));
  const line = (name: string, c: Omit<PackageTestCounts, 'package'>) =>
    `  ${name.padEnd(width)}  ${String(c.passed).padStart(5)} passed  ${String(c.failed).padStart(3)} failed  ${String(c.skipped).padStart(3)} skipped  (${c.files} files)`;
  const total = counts.reduce(
    (sum, c) => ({
      files: sum.files + c.files,
      passed: sum.passed + c.passed,
      failed: sum.failed + c.failed,
      skipped: sum.skipped + c.skipped,
    }),
    { files: 0, passed: 0, failed: 0, skipped: 0 },
  );
  return ['Test summary', ...counts.map((c) => line(c.package, c)), line('total', total)].join('\n');
}
