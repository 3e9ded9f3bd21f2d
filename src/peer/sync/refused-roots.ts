import { isGasError, type GasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import { computeCompactWantSet, type CompactWantSet, type WantSetOptions } from '../../sync/want-set.js'

/**
 * Errors that condemn what a root names rather than the sync: a received tree with an entry name
 * that would escape or clash in a checkout (src/objects/entry-name.ts). The peer's other refs may be
 * fine, so only the roots that reach such a tree are refused, each reported with its error.
 */
const ROOT_REFUSALS = new Set(['E_PATH_ESCAPE'])

export function refusesRoot (err: unknown): err is GasError {
  return isGasError(err) && ROOT_REFUSALS.has(err.code)
}

/**
 * computeCompactWantSet over `opts.roots` minus those in `refused`. When the walk meets a refusable error,
 * each remaining root is walked alone to find those that lead to it (the error does not say which
 * root reached the tree, and history may share it between several); they join `refused` and the
 * walk runs again without them. Costs nothing on the usual path: one walk, as before.
 */
export async function wantSetSparing (opts: WantSetOptions, refused: Map<ObjectId, GasError>): Promise<CompactWantSet> {
  for (;;) {
    const roots = opts.roots.filter((root) => !refused.has(root))
    try {
      return await computeCompactWantSet({ ...opts, roots })
    } catch (err) {
      if (!refusesRoot(err)) throw err
      let found = false
      for (const root of roots) {
        try {
          await computeCompactWantSet({ ...opts, roots: [root] })
        } catch (rootErr) {
          if (!refusesRoot(rootErr)) throw rootErr
          refused.set(root, rootErr)
          found = true
        }
      }
      if (!found) throw err
    }
  }
}
