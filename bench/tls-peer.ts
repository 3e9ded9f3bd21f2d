import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer } from 'node:tls'
import { selfSignedCertificate } from '../src/peer/transport/tls-certificate.js'

/**
 * One end of the bare TLS 1.3 stream the direct path is measured against (bench/tcp.ts), in a
 * process of its own: `send BYTES` listens on 127.0.0.1, prints `PORT n`, and writes BYTES to the
 * first connection in 1 MiB writes; `receive BYTES PORT` connects, hashes everything with SHA-256
 * (what a verifying receiver must do at least) and prints `RATE mbPerSecond` from connect to the
 * last byte. Each end prints its CPU seconds (`CPU s`, the sender once all is written).
 */
const [role, bytesArg, portArg] = process.argv.slice(2)
const bytes = Number(bytesArg)

if (role === 'send') {
  const block = randomBytes(1024 * 1024)
  const server = createServer({ ...selfSignedCertificate(), minVersion: 'TLSv1.3' }, (socket) => {
    let sent = 0
    const pump = (): void => {
      while (sent < bytes) {
        sent += block.length
        if (!socket.write(sent > bytes ? block.subarray(0, block.length - (sent - bytes)) : block)) return void socket.once('drain', pump)
      }
      socket.end()
    }
    // why: the bench reads the sender's CPU too (seconds per GiB of each end, which load inflates little)
    socket.once('finish', () => {
      const cpu = process.cpuUsage()
      process.stdout.write(`CPU ${(cpu.user + cpu.system) / 1e6}\n`)
    })
    pump()
    socket.on('close', () => server.close())
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    process.stdout.write(`PORT ${typeof address === 'object' && address !== null ? address.port : 0}\n`)
  })
} else {
  const started = performance.now()
  const socket = connect({ host: '127.0.0.1', port: Number(portArg), rejectUnauthorized: false, minVersion: 'TLSv1.3' })
  const hash = createHash('sha256')
  let received = 0
  socket.on('data', (d: Buffer) => {
    hash.update(d)
    received += d.length
  })
  socket.on('end', () => {
    hash.digest()
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage()
    process.stdout.write(`RATE ${received === bytes ? received / 1e6 / seconds : 0} CPU ${(cpu.user + cpu.system) / 1e6}\n`)
    process.exit(0)
  })
}
