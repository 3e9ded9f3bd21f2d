import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'

/** Platform and architecture of an executable from its header (PE, ELF, Mach-O). */
export async function executableInfo (src: ByteSource): Promise<Record<string, unknown>> {
  const head = await src.readAt(0, Math.min(src.size, 4096), 'executable header')
  const dv = new DataView(head.buffer)
  const info: Record<string, unknown> = { bytes: src.size }
  if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a) {
    const pe = dv.getUint32(0x3c, true)
    if (pe + 24 > head.length || dv.getUint32(pe, true) !== 0x00004550) throw GasError.malformedAsset(src.path, 'MZ executable without a PE header')
    const machine = dv.getUint16(pe + 4, true)
    const characteristics = dv.getUint16(pe + 22, true)
    return { ...info, container: 'pe', platform: 'windows', arch: ({ 0x14c: 'x86', 0x8664: 'x64', 0xaa64: 'arm64', 0x1c4: 'arm' } as Record<number, string>)[machine] ?? `0x${machine.toString(16)}`, library: (characteristics & 0x2000) !== 0 }
  }
  if (head.length >= 20 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
    const le = head[5] === 1
    const machine = dv.getUint16(18, le)
    return { ...info, container: 'elf', platform: 'linux', bits: head[4] === 2 ? 64 : 32, arch: ({ 3: 'x86', 62: 'x64', 40: 'arm', 183: 'arm64' } as Record<number, string>)[machine] ?? `${machine}` }
  }
  if (head.length >= 8) {
    const magic = dv.getUint32(0, false)
    if (magic === 0xcffaedfe || magic === 0xcefaedfe) {
      const cpu = dv.getUint32(4, true)
      return { ...info, container: 'mach-o', platform: 'macos', arch: ({ 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'x86' } as Record<number, string>)[cpu] ?? `0x${cpu.toString(16)}` }
    }
  }
  return { ...info, container: 'unknown' }
}
