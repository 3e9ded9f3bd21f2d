import type { ObjectId } from '../../objects/id.js'
import type { WantedObject } from '../../sync/want-set.js'

/** One asset a peer refused us (its read rights), as a sync reports it. */
export interface AccessDenied {
  code: 'E_ACCESS_DENIED'
  /** the asset's workspace path, or the id asked for when no path is known (a fetch by id) */
  path: string
  /** objects of it refused (chunks; previews and manifests when the policy withholds them too) */
  objects: number
  /** the peers that refused */
  peers: string[]
}

/**
 * The refusals of one sync, gathered per asset from the swarm's per-object answers: a denied
 * asset is one line for a person, not its thousand chunks.
 */
export class Denials {
  readonly #byPath = new Map<string, { objects: number, peers: Set<string> }>()

  /** Records `denied` (from a fetch of `wants`) and adds the ids to `unavailable`, so the walk stops wanting them. */
  add (denied: Array<{ id: ObjectId, peers: string[] }>, wants: WantedObject[], unavailable: Set<ObjectId>): void {
    if (denied.length === 0) return
    const byId = new Map(wants.map((w) => [w.id, w]))
    for (const { id, peers } of denied) {
      unavailable.add(id)
      const want = byId.get(id)
      const path = want?.path !== undefined && want.path !== '' ? want.path : (want?.asset ?? id)
      let entry = this.#byPath.get(path)
      if (entry === undefined) this.#byPath.set(path, entry = { objects: 0, peers: new Set() })
      entry.objects++
      for (const peer of peers) entry.peers.add(peer)
    }
  }

  list (): AccessDenied[] {
    return [...this.#byPath].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([path, { objects, peers }]) => ({ code: 'E_ACCESS_DENIED', path, objects, peers: [...peers].sort() }))
  }
}
