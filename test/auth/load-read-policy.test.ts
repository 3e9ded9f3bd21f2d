import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const policy = (version: number, read: unknown[]): string => JSON.stringify({ version, read })

describe('the read rules a serving workspace enforces come from the signed team policy', () => {
  it('none until a lead sets a policy; then its read section, and a newer version replaces it', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    try {
      expect(await gas.loadReadPolicy(ws)).toBeUndefined()
      await gas.setTeamPolicy(ws, policy(1, [{ roles: ['programmer'], deny: ['art/raw/'] }]))
      const first = await gas.loadReadPolicy(ws)
      expect(gas.mayRead(first, ['programmer'], 'art/raw/hero.psd')).toBe(false)
      expect(gas.mayRead(first, ['programmer'], 'src/main.lua')).toBe(true)
      expect(gas.mayRead(first, ['artist'], 'art/raw/hero.psd')).toBe(true)
      // asked again without a change: the same parsed rules, not a fresh parse
      expect(await gas.loadReadPolicy(ws)).toBe(first)
      await gas.setTeamPolicy(ws, policy(2, [{ roles: ['programmer'], deny: ['audio/'] }]))
      const second = await gas.loadReadPolicy(ws)
      expect(gas.mayRead(second, ['programmer'], 'art/raw/hero.psd')).toBe(true)
      expect(gas.mayRead(second, ['programmer'], 'audio/theme.ogg')).toBe(false)
    } finally {
      await ws.close()
    }
  })

  it('a policy whose read rules do not parse is refused before it is signed', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    try {
      await expect(gas.setTeamPolicy(ws, policy(1, [{ roles: ['programmer'], deny: 'art/raw/' }]))).rejects.toMatchObject({ code: 'E_BAD_POLICY' })
      expect(await gas.loadReadPolicy(ws)).toBeUndefined()
    } finally {
      await ws.close()
    }
  })
})
