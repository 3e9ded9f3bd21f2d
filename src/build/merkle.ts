import { createHash } from 'node:crypto'

/** What a Merkle leaf commits to: everything `gas build verify` can check from the bytes on disk. */
export interface MerkleLeaf { path: string, mode: number, size: number, sha256: string }

/**
 * Merkle root over files sorted by path (RFC 6962 style: 0x00 before a leaf, 0x01 before a node,
 * so a leaf can never pass for a node; an odd last node is carried up unchanged). The root proves
 * the whole file list, and a future partial fetch can prove one file with log2(n) hashes.
 */
export function merkleRoot (files: MerkleLeaf[]): string {
  const sorted = [...files].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  let level: Buffer[] = sorted.map((f) => createHash('sha256').update(Buffer.from([0])).update(`${f.path}\0${f.mode.toString(8)}\0${f.size}\0${f.sha256}`, 'utf8').digest())
  if (level.length === 0) return createHash('sha256').update('').digest('hex')
  while (level.length > 1) {
    const next: Buffer[] = []
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? createHash('sha256').update(Buffer.from([1])).update(level[i]).update(level[i + 1]).digest() : level[i])
    }
    level = next
  }
  return level[0].toString('hex')
}
