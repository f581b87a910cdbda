/** Placeholder until the orchestration issue lands; says so rather than pretending to work. */
export async function upCommand(): Promise<number> {
  process.stderr.write('`./star up` arrives with the orchestration issue; for now run `./star test`\n');
  return 1;
}
