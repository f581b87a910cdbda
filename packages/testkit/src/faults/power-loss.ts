import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, rmSync } from 'node:fs';

/** SQLite's WAL layout: a 32-byte file header, then frames of a 24-byte header plus one page. */
const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

export interface WalCut {
  /** Frames of the WAL's current generation before the cut (stale frames of an older one excluded). */
  framesBefore: number;
  /** Frames cut off its end. */
  framesCut: number;
  pageSize: number;
}

/**
 * What a power loss does to a database in WAL mode with `synchronous=NORMAL`: the frames appended
 * since the last sync (WAL syncs only at checkpoints) may never reach the disk. Cuts the last
 * `frames` frames off `<database>-wal` (all of them when fewer) and removes the `-shm` index,
 * which lives in shared memory and would not survive either, so the next open recovers from what
 * the WAL still holds. Only frames of the WAL's current generation count: after a checkpoint SQLite
 * rewrites the WAL from its start under new salts and leaves older frames past the new end, which
 * recovery already ignores; cutting those would lose nothing. Run it on a stopped (killed)
 * process's files only.
 */
export function cutWalFrames(databasePath: string, frames: number): WalCut {
  const walPath = `${databasePath}-wal`;
  if (!existsSync(walPath)) return { framesBefore: 0, framesCut: 0, pageSize: 0 };
  const fd = openSync(walPath, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size < WAL_HEADER_BYTES) return { framesBefore: 0, framesCut: 0, pageSize: 0 };
    const header = Buffer.alloc(WAL_HEADER_BYTES);
    readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
    const pageSize = header.readUInt32BE(8);
    const frameBytes = FRAME_HEADER_BYTES + pageSize;
    const framesBefore = currentFrames(
      fd,
      header,
      Math.floor((size - WAL_HEADER_BYTES) / frameBytes),
      frameBytes,
    );
    const framesCut = Math.min(frames, framesBefore);
    ftruncateSync(fd, WAL_HEADER_BYTES + (framesBefore - framesCut) * frameBytes);
    return { framesBefore, framesCut, pageSize };
  } finally {
    closeSync(fd);
    rmSync(`${databasePath}-shm`, { force: true });
  }
}

/** Frames from the WAL's start whose salts match its header: the current generation. */
function currentFrames(fd: number, header: Buffer, framesInFile: number, frameBytes: number): number {
  const salts = header.subarray(16, 24);
  const frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
  for (let frame = 0; frame < framesInFile; frame++) {
    readSync(fd, frameHeader, 0, FRAME_HEADER_BYTES, WAL_HEADER_BYTES + frame * frameBytes);
    if (!frameHeader.subarray(8, 16).equals(salts)) return frame;
  }
  return framesInFile;
}
