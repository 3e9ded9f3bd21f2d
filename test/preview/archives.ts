/** Hand-written zip and tar archives for the archive, build and fuzz tests. */

/** Stored (uncompressed) zip written by hand: local headers, central directory, end record. */
export function makeZip (files: Array<{ name: string, body: Uint8Array | string }>, opts: { utf8?: boolean, comment?: string } = {}): Buffer {
  const locals: Buffer[] = []; const centrals: Buffer[] = []
  let offset = 0
  for (const f of files) {
    const body = Buffer.from(f.body); const name = Buffer.from(f.name, opts.utf8 === true ? 'utf8' : 'latin1')
    const flags = opts.utf8 === true ? 0x800 : 0
    const lh = Buffer.alloc(30); lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(flags, 6)
    lh.writeUInt32LE(body.length, 18); lh.writeUInt32LE(body.length, 22); lh.writeUInt16LE(name.length, 26)
    const ch = Buffer.alloc(46); ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(flags, 8)
    ch.writeUInt32LE(body.length, 20); ch.writeUInt32LE(body.length, 24); ch.writeUInt16LE(name.length, 28); ch.writeUInt32LE(offset, 42)
    locals.push(lh, name, body); centrals.push(ch, name)
    offset += 30 + name.length + body.length
  }
  const cd = Buffer.concat(centrals)
  const comment = Buffer.from(opts.comment ?? '')
  const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16); end.writeUInt16LE(comment.length, 20)
  return Buffer.concat([...locals, cd, end, comment])
}

/** ustar archive by hand; `long` entries use a GNU long-name record. */
export function makeTar (files: Array<{ name: string, body: string, dir?: boolean }>): Buffer {
  const blocks: Buffer[] = []
  const header = (name: string, size: number, type: string): Buffer => {
    const h = Buffer.alloc(512)
    h.write(name.slice(0, 100), 0, 'utf8'); h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116)
    h.write(size.toString(8).padStart(11, '0') + '\0', 124); h.write('00000000000\0', 136)
    h.write(type, 156); h.write('ustar\0', 257); h.write('00', 263)
    h.fill(32, 148, 156)
    let sum = 0; for (const b of h) sum += b
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    return h
  }
  const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512)
  for (const f of files) {
    if (f.name.length > 100) { const n = Buffer.from(f.name + '\0'); blocks.push(header('././@LongLink', n.length, 'L'), n, pad(n.length)) }
    const body = Buffer.from(f.body)
    blocks.push(header(f.name, body.length, f.dir === true ? '5' : '0'), body, pad(body.length))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}
