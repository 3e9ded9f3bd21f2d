import type { FileSystem } from '../objects/fs.js'

/**
 * What the index remembers of a file's stat data, as git's index does, so `gas status` hashes only
 * the files whose stat data changed: inode, ctime and mtime. The times are Node's millisecond
 * doubles, which keep about 0.2 µs at today's dates: finer than the kernel's own tick-granular
 * timestamps (two writes a tick apart differ by a millisecond), and a plain stat costs a quarter
 * less than a bigint one, which builds BigInts and Dates eagerly (100 000 of them per status).
 * `racy` marks a stamp taken within RACY_MS of the file's last change: a later edit in the same
 * clock tick would leave the times unchanged, so such a file is hashed until a later stamp
 * (status refreshes it) is taken well after the edit.
 */
export interface StatStamp { mtimeMs: number, ctimeMs: number, ino: number, racy?: true }

/**
 * How long after a file's mtime a stamp of it cannot be trusted. why: file times come from the
 * kernel's coarse clock, one tick (1–10 ms) behind; an edit after the stamp within that tick keeps
 * the mtime. On file systems that keep whole seconds (FAT, some network shares) the window is a
 * second. A generous tick margin: a stamp taken right after a checkout wrote the file is racy, one
 * taken a moment later is not, so a big checkout is not hashed again by the next status.
 */
export const RACY_MS = 1000
export const RACY_TICK_MS = 50

/** The racy window for a file with this mtime: whole seconds say the file system keeps nothing finer. */
export function racyWindowMs (mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? RACY_MS : RACY_TICK_MS
}

/** why: compared with times the kernel wrote on files, so the wall clock, never an injected test clock */
export const fileClockNow = (): number => Date.now()

/** The stat data status and the index compare (node's Stats, or the numbers a walk worker sends back). */
export interface FileStat { size: number, mtimeMs: number, ctimeMs: number, ino: number }

export function stampOf (st: FileStat, nowMs = fileClockNow()): StatStamp {
  const stamp: StatStamp = { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino }
  // mtime only, as git's racy check: a later edit in the stamped tick moves an older mtime to that tick, which the stamp catches
  if (nowMs - st.mtimeMs < racyWindowMs(st.mtimeMs)) stamp.racy = true
  return stamp
}

/** One stat for an index entry: size and mtimeMs as the index always kept them, plus the stamp. */
export async function statForIndex (fs: FileSystem, abs: string): Promise<{ size: number, mtimeMs: number, stamp: StatStamp }> {
  const st = await fs.stat(abs)
  return { size: st.size, mtimeMs: st.mtimeMs, stamp: stampOf(st) }
}
