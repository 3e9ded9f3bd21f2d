import type { BigIntStats } from 'node:fs'
import type { FileSystem } from '../objects/fs.js'

/**
 * What the index remembers of a file's stat data, as git's index does, so `gas status` hashes only
 * the files whose stat data changed: inode, ctime and mtime to the nanosecond (decimal strings:
 * nanoseconds since 1970 do not fit a double). `racy` marks a stamp taken within RACY_MS of the
 * file's last change: a later edit in the same clock tick would leave mtime unchanged, so such a
 * file is hashed until a later stamp (status refreshes it) is taken well after the edit.
 */
export interface StatStamp { mtimeNs: string, ctimeNs: string, ino: string, racy?: true }

/**
 * why: file times come from a coarse kernel clock (a tick of 1–10 ms, whole seconds on some file
 * systems); a file changed less than a second before it was stamped could change again unseen.
 */
export const RACY_MS = 1000

/** why: compared with times the kernel wrote on files, so the wall clock, never an injected test clock */
export const fileClockNow = (): number => Date.now()

/** Node's own mtimeMs of a bigint stat (sec * 1e3 + nsec / 1e6), so it equals a plain `stat().mtimeMs` bit for bit. */
export function msOfNs (ns: bigint): number {
  return Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6
}

export function stampOf (st: BigIntStats, nowMs = fileClockNow()): StatStamp {
  const stamp: StatStamp = { mtimeNs: st.mtimeNs.toString(), ctimeNs: st.ctimeNs.toString(), ino: st.ino.toString() }
  if (nowMs - msOfNs(st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) < RACY_MS) stamp.racy = true
  return stamp
}

/** Whether the file's stat data is still what the stamp recorded (size is compared by the caller, from the asset). */
export function stampMatches (stamp: StatStamp, st: BigIntStats): boolean {
  return stamp.mtimeNs === st.mtimeNs.toString() && stamp.ctimeNs === st.ctimeNs.toString() && stamp.ino === st.ino.toString()
}

/** One stat for an index entry: size and mtimeMs as the index always kept them, plus the stamp. */
export async function statForIndex (fs: FileSystem, abs: string): Promise<{ size: number, mtimeMs: number, stamp: StatStamp }> {
  const st = await fs.stat(abs, { bigint: true })
  return { size: Number(st.size), mtimeMs: msOfNs(st.mtimeNs), stamp: stampOf(st) }
}
