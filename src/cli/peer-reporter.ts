import type { Printer } from './output.js'

/**
 * Says when peers connect and leave. A connection that ends before its handshake (a syncing peer
 * that reached us both directly and over WebRTC keeps one and closes the other) is no lost
 * transfer: it was said as "lost … the transfer resumes", on every such sync, under a bare peer id.
 */
export function peerReporter (p: Printer): (e: { peer: string, state: 'connected' | 'closed', error?: string }) => void {
  const open = new Map<string, number>()
  return (e) => {
    if (p.json) return p.out(JSON.stringify(e))
    const count = open.get(e.peer) ?? 0
    if (e.state === 'connected') open.set(e.peer, count + 1)
    else if (count > 0) open.set(e.peer, count - 1)
    else if (e.error !== undefined && !e.error.startsWith('E_')) return p.err(`${e.peer}: a connection closed before its handshake ended (${e.error.split(';')[0]})`)
    // while another connection of the same peer is open: the one it did not keep
    if (e.state === 'closed' && count > 1 && e.error !== undefined) return p.err(`${e.peer} closed a second connection (one is kept per peer)`)
    p.err(`${e.peer} ${e.state}${e.error !== undefined ? `: ${e.error}` : ''}`)
  }
}
