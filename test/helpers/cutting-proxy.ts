import { createServer, connect, type Server, type Socket } from 'node:net'

/** A TCP relay to HOST:PORT on 127.0.0.1 that destroys both sides once `limit` bytes went from the server to the client (a cable cut mid-transfer). */
export async function cuttingProxy (host: string, port: number, limit: number): Promise<Server> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(port, host)
    sockets.add(client)
    sockets.add(upstream)
    let down = 0
    client.on('data', (d) => upstream.write(d))
    upstream.on('data', (d) => {
      down += d.length
      if (down > limit) {
        client.destroy()
        upstream.destroy()
        return
      }
      client.write(d)
    })
    const end = (): void => { client.destroy(); upstream.destroy() }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  server.on('close', () => { for (const s of sockets) s.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}
