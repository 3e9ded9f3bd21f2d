import { describe, expect, it } from 'vitest'
import { peerReporter } from '../../src/cli/peer-reporter.js'
import type { Printer } from '../../src/cli/output.js'

function printer (json: boolean): { p: Printer, out: string[], err: string[] } {
  const out: string[] = []
  const err: string[] = []
  return { p: { json, out: (t) => out.push(t), err: (t) => err.push(t) }, out, err }
}

describe('gas serve: what it says of peers', () => {
  it('a connection that closed before its handshake, or a second one the peer did not keep, is not reported as a lost transfer', () => {
    const { p, err } = printer(false)
    const report = peerReporter(p)
    const lost = 'connection to 3f90 lost: remote closed the connection; the transfer resumes when a peer is reachable again'
    report({ peer: '3f908669fe36', state: 'closed', error: lost })
    report({ peer: 'bo', state: 'connected' })
    report({ peer: 'bo', state: 'connected' })
    report({ peer: 'bo', state: 'closed', error: lost })
    report({ peer: 'bo', state: 'closed' })
    // a real loss, with nothing else open, is still said in full; a refusal keeps its code
    report({ peer: 'cy', state: 'connected' })
    report({ peer: 'cy', state: 'closed', error: lost })
    report({ peer: 'tcp 10.0.0.9:7480', state: 'closed', error: 'E_REVOKED: this member was revoked' })
    expect(err).toEqual([
      '3f908669fe36: a connection closed before its handshake ended (connection to 3f90 lost: remote closed the connection)',
      'bo connected',
      'bo connected',
      'bo closed a second connection (one is kept per peer)',
      'bo closed',
      'cy connected',
      `cy closed: ${lost}`,
      'tcp 10.0.0.9:7480 closed: E_REVOKED: this member was revoked'
    ])
  })

  it('--json prints every event as it came, one JSON line each', () => {
    const { p, out, err } = printer(true)
    const report = peerReporter(p)
    report({ peer: 'bo', state: 'connected' })
    report({ peer: 'x', state: 'closed', error: 'lost' })
    expect(out.map((l) => JSON.parse(l))).toEqual([{ peer: 'bo', state: 'connected' }, { peer: 'x', state: 'closed', error: 'lost' }])
    expect(err).toEqual([])
  })
})
