import { createServer, connect, type Socket } from 'node:net'
import { afterEach } from 'vitest'

/**
 * A connected TCP socket pair on 127.0.0.1 for a test file, both ends destroyed after each test.
 * Call at the top level of the file (it registers the afterEach).
 */
export function useSocketPairs (): () => Promise<[Socket, Socket]> {
  const sockets: Socket[] = []
  afterEach(() => { for (const s of sockets.splice(0)) s.destroy() })
  return async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
    const client = connect((server.address() as { port: number }).port, '127.0.0.1')
    const other = await accepted
    server.close()
    sockets.push(client, other)
    return [client, other]
  }
}
