import { join, dirname } from 'node:path'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'

export interface ReflogEntry { ref: string, old: ObjectId | null, new: ObjectId | null, who: string, time: number, message: string }

/** One JSON line per ref update under logs/<ref>, so nothing a ref ever pointed at is forgotten. */
export async function appendReflog (fs: FileSystem, gasDir: string, entry: ReflogEntry): Promise<void> {
  const path = join(gasDir, 'logs', entry.ref)
  await fs.mkdir(dirname(path), { recursive: true })
  await fs.appendFile(path, JSON.stringify(entry) + '\n')
}

export async function readReflog (fs: FileSystem, gasDir: string, ref: string): Promise<ReflogEntry[]> {
  let text: string
  try {
    text = await fs.readFile(join(gasDir, 'logs', ref), 'utf8')
  } catch {
    return []
  }
  const entries: ReflogEntry[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      entries.push(JSON.parse(line) as ReflogEntry)
    } catch {
      // a line cut by a crash mid-append is skipped; the ref itself is authoritative
    }
  }
  return entries
}
