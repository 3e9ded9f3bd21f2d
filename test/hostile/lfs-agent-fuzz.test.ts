import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let ws: gas.Workspace
beforeAll(async () => { ws = await gas.init({ dir: tmp(), name: 'ana' }) })
afterAll(async () => { await ws?.close?.() })

/** Feeds raw lines to the agent; every answer must be one JSON line, and the agent must end on its own. */
async function run (lines: string[]): Promise<unknown[]> {
  const input = new PassThrough()
  const output = new PassThrough()
  const chunks: Buffer[] = []
  output.on('data', (b: Buffer) => chunks.push(b))
  input.end(lines.map((l) => `${l}\n`).join(''))
  await gas.lfs.runLfsAgent({ ws, input, output, trackers: [], security: gas.peerSecurity(ws), firstPeerWaitMs: 10 })
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
}

/** Requests that never reach the peers (a download of a well-formed oid would look for them). */
const request = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.record({ event: fc.constantFrom('init', 'upload', 'download', 'progress', 'bogus', 7, null), oid: fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fc.constant(null)), size: fc.oneof(fc.integer(), fc.string(), fc.constant(-1)), path: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()) }, { requiredKeys: [] })
    .filter((r) => !(r.event === 'download' && typeof r.oid === 'string' && /^[0-9a-f]{64}$/.test(r.oid)))
    .map((r) => JSON.stringify(r))
)

describe('gas lfs-agent under hostile JSON lines', () => {
  it('answers every line with one JSON document and never crashes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(request, { maxLength: 8 }), async (lines) => {
      const answers = await run(lines)
      for (const answer of answers) expect(typeof answer).toBe('object')
      const asked = lines.filter((l) => l.trim() !== '').length
      expect(answers.length).toBeLessThanOrEqual(asked * 2)
    }), { numRuns: 100 })
  })

  it('a JSON line that is null, a number or an array is a bad request, not a crash', async () => {
    const answers = await run(['null', '7', '[1,2]', '"init"', '{"event":"terminate"}'])
    expect(answers).toHaveLength(4)
    for (const answer of answers) expect(answer).toMatchObject({ error: { code: 400 } })
  })
})
