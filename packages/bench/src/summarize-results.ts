import { readFileSync } from 'node:fs';
import { type BenchReport, formatMemory, medians, summaryTable, targetLines } from './report.js';

/**
 * `node dist/summarize-results.js results/chain-*.json`: medians over the throughput runs of several
 * `bench:chain` invocations (each run of each file counts once), and the memory results of each.
 */
function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/summarize-results.js <results.json>...');
    process.exit(2);
  }
  const reports = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchReport);
  const runs = reports.flatMap((report) => report.runs);
  const summary = medians(runs);
  console.log(`medians per scenario over ${files.length} file(s) (${runs.length} runs in all)`);
  console.log(summaryTable(summary));
  const memories = reports.flatMap((report) => (report.memory ? [report.memory] : []));
  for (const memory of memories) {
    console.log();
    console.log(formatMemory(memory));
  }
  console.log();
  for (const line of targetLines(summary, memories.at(-1))) console.log(`  ${line}`);
}

main();
