import { createHash } from 'node:crypto'
import { IdTable } from '../objects/id-table.js'
import type { ObjectId } from '../objects/id.js'

/** walk memo key of an id at a path (the policy is path-based), as 32 bytes */
export function walkedKey (id: ObjectId, path: string): Buffer {
  return createHash('sha256').update(id).update('\0').update(path).digest()
}

/** outcome (3 bits) and whether content was walked, per walkedKey */
export class WalkedTable {
  readonly #table = new IdTable()
  get (key: Buffer): { withContent: boolean, outcome: number } | undefined {
    const v = this.#table.getKey(key)
    return v === undefined ? undefined : { withContent: (v & 8) !== 0, outcome: v & 7 }
  }

  set (key: Buffer, value: { withContent: boolean, outcome: number }): void {
    this.#table.setKey(key, (value.withContent ? 8 : 0) | value.outcome)
  }
}
