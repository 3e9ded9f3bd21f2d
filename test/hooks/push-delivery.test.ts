import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { deliverPush, type DeliveringLink } from '../../src/hooks/push-delivery.js'
import { useTmp } from '../helpers/tmp.js'

/** What `git push` says once the helper offered the push to the peers online (real ones: remote-helper-git.test.ts). */

const tmp = useTmp()
const ID = 'a'.repeat(64)

async function said (answer: Awaited<ReturnType<DeliveringLink['deliver']>>, waiting = false): Promise<string[]> {
  const ws = await gas.init({ dir: tmp(), name: 'bo' })
  await ws.refs.update({ name: 'refs/git/game', newId: ID, message: 'push', who: 'bo', now: Date.now() })
  const lines: string[] = []
  const link: DeliveringLink = {
    deliver: async (ref, id, onWaiting) => {
      expect([ref, id]).toEqual(['refs/git/game', ID])
      // told twice: said once
      if (waiting) for (let i = 0; i < 2; i++) onWaiting?.([{ peer: 'ana', ahead: 1 }])
      return answer
    }
  }
  await deliverPush(ws, link, 'game', (line) => lines.push(line))
  await ws.close()
  return lines
}

describe('what a push says of its delivery', () => {
  it('who took it; that the peers online did not; that nobody is online; a serve busy with another member', async () => {
    expect(await said({ took: ['ana'], peers: ['ana', 'cy'] }, true)).toEqual([
      "gas: waiting: ana takes 1 other member(s)' versions first; yours next",
      'gas: game: ana took it'
    ])
    expect(await said({ took: [], peers: ['cy'] })).toEqual(['gas: game: pushed here; cy did not take it now (not a `gas serve`, or its transfer window is closed): it reaches the team at a sync while this machine is online'])
    expect(await said({ took: [], peers: [] })).toEqual(['gas: game: pushed here only, no teammate is online: it reaches the team at a sync while this machine is online (`gas sync`, or keep `gas serve` running)'])
  })
})
