import { open } from 'node:fs/promises';

/** fsyncs a directory, so a rename or unlink in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
