import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { refLine } from '../../src/cli/commands/sync.js'
import type { RefOutcome } from '../../src/peer/sync/ref-exchange.js'
import { markDelivered } from '../../src/peer/sync/sync-engine.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MAIN = 'refs/heads/main'

/** What a member's sync says of a ref it was ahead on, once the peer advertised `theirs` again before its DONE. */
async function after (theirs: string | undefined, first: string, ours: gas.Workspace): Promise<RefOutcome> {
  const outcome: RefOutcome = { ref: MAIN, action: 'ahead', local: await ours.head() ?? null, remote: first, remoteRef: 'refs/remotes/ana/heads/main' }
  await markDelivered(ours.refs, [{ session: { name: 'ana', remoteRefs: theirs === undefined ? [] : [{ name: MAIN, id: theirs }] }, outcomes: [outcome] }])
  return outcome
}

describe('what a sync reports of a ref it was ahead on, from the peer\'s last advertisement', () => {
  it('took ours: delivered; still its first value: ahead; another value: moved (the next sync brings it), never "they get it"', async () => {
    const bo = await gas.init({ dir: tmp(), name: 'bo', previewer: async () => [] })
    try {
      writeFileSync(join(bo.root, 'a.txt'), 'a\n')
      await gas.add(bo, { paths: [join(bo.root, 'a.txt')] })
      const theirFirst = await gas.commit(bo, { message: 'base' })
      writeFileSync(join(bo.root, 'a.txt'), 'b\n')
      await gas.add(bo, { paths: [join(bo.root, 'a.txt')] })
      const ours = await gas.commit(bo, { message: 'ours' })
      const merge = 'f'.repeat(64)

      const delivered = await after(ours, theirFirst, bo)
      expect(delivered.action).toBe('delivered')
      expect(refLine(delivered)).toBe('ana took it (ahead of theirs)')
      // what `gas status` compares with: ana's value is ours now, not the one the sync started from
      expect(await bo.refs.read('refs/remotes/ana/heads/main')).toBe(ours)

      const stayed = await after(theirFirst, theirFirst, bo)
      expect(stayed.action).toBe('ahead')
      expect(refLine(stayed)).toBe("ahead of ana's (they get it when they sync)")

      const moved = await after(merge, theirFirst, bo)
      expect(moved.action).toBe('moved')
      expect(refLine(moved)).toMatch(/^ana's moved meanwhile .*your next sync brings it$/)

      // a peer that did not advertise the ref again: what the sync found stands
      expect((await after(undefined, theirFirst, bo)).action).toBe('ahead')
    } finally {
      await bo.close()
    }
  })
})
