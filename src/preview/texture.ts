import { sharp } from './require-cjs.js'
import { GasError } from '../errors.js'
import { imageMeta } from './image-meta.js'
import { pngTextChunks } from './png-text.js'
import { metaTags } from './meta-tags.js'
import { withSource } from './byte-source.js'
import { decodeDdsMip, pickMip, readDdsHeader } from './dds.js'
import { MAX_IMAGE_PIXELS } from './limits.js'
import { decodePsd } from './psd.js'
import { decodeTga } from './tga.js'
import { thumbnailFromFile, thumbnailFromPixels } from './thumbnail.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Formats libvips (sharp) decodes itself. */
const SHARP_FORMATS = new Set(['png', 'jpeg', 'jpg', 'webp', 'tiff', 'tif', 'gif', 'avif', 'heif', 'svg'])
const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64 }

export const TEXTURE_FORMATS = [...SHARP_FORMATS, 'tga', 'dds', 'psd', 'psb', 'exr', 'hdr', 'ktx2']

export async function texturePreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, size } = opts
  if (SHARP_FORMATS.has(format)) return await sharpPreview(path, size)
  if (format === 'tga') {
    const img = await withSource(path, async src => await decodeTga(src, { thumbnailSize: size }))
    const image = await thumbnailFromPixels(img.rgba, img.rgbaWidth, img.rgbaHeight, 4, size, img.alpha)
    return { info: { width: img.width, height: img.height, channels: img.channels, bitDepth: img.bitDepth, alpha: img.alpha, rle: img.rle, colorMapped: img.colorMapped }, image, clip: null }
  }
  if (format === 'dds') {
    return await withSource(path, async src => {
      const h = await readDdsHeader(src)
      const level = pickMip(h, size)
      const mip = await decodeDdsMip(src, h, level)
      const image = await thumbnailFromPixels(mip.rgba, mip.width, mip.height, 4, size, h.alpha)
      const hdr = h.format.kind === 'bc6h' || h.format.kind === 'bc6hs'
      const info: Record<string, unknown> = { width: h.width, height: h.height, channels: h.channels, bitDepth: hdr ? 16 : 8, alpha: h.alpha, mipCount: h.mipCount, compression: h.formatName, previewMip: level }
      if (hdr) info.float = true
      if (h.cubemap) info.cubemap = true
      if (h.arraySize > 1) info.arraySize = h.arraySize
      return { info, image, clip: null }
    })
  }
  // three's EXR/HDR loaders and the KTX2 transcoders load only when such a texture comes
  if (format === 'exr' || format === 'hdr') return await (await import('./hdr-image.js')).hdrPreview(path, format, size)
  if (format === 'ktx2') {
    const { ktx2Preview, loadZstd } = await import('./ktx2.js')
    await loadZstd()
    return await ktx2Preview(path, size)
  }
  if (format === 'psd' || format === 'psb') {
    const img = await withSource(path, decodePsd)
    const image = await thumbnailFromPixels(img.rgba, img.width, img.height, 4, size, img.alpha)
    return { info: { width: img.width, height: img.height, channels: img.channels, bitDepth: img.bitDepth, alpha: img.alpha, colorMode: img.colorMode, layers: img.layers }, image, clip: null, meta: metaTags({ layers: img.layers, colorMode: img.colorMode }) }
  }
  throw new GasError('E_NO_PREVIEW', `no preview for this texture format: ${format} (supported: ${TEXTURE_FORMATS.join(', ')})`, { path, format })
}

async function sharpPreview (path: string, size: number): Promise<PreviewParts> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata()
  } catch (err) { throw sharpError(path, err) }
  const width = meta.width ?? 0; const height = meta.height ?? 0
  if (width === 0 || height === 0) throw GasError.malformedAsset(path, 'image has no dimensions')
  // the header is all that has been read so far: refuse a lying size before decoding a pixel
  if (width * height > MAX_IMAGE_PIXELS) throw GasError.malformedAsset(path, `image claims ${width}×${height} pixels, over the ${MAX_IMAGE_PIXELS}-pixel preview limit (corrupt header or too large to preview)`)
  let image
  try { image = await thumbnailFromFile(path, size) } catch (err) { throw sharpError(path, err) }
  const channels = meta.channels ?? 0
  // EXIF orientations 5–8 turn the image a quarter: the size shown is the size the thumbnail has
  const turned = (meta.orientation ?? 1) >= 5
  const info: Record<string, unknown> = {
    width: turned ? height : width,
    height: turned ? width : height,
    channels,
    bitDepth: meta.bitsPerSample ?? DEPTH_BITS[meta.depth ?? 'uchar'] ?? 8,
    alpha: meta.hasAlpha ?? false
  }
  if (meta.pages !== undefined && meta.pages > 1) info.pages = meta.pages
  if (meta.isPalette === true) info.palette = true
  if (meta.orientation !== undefined && meta.orientation !== 1) info.orientation = meta.orientation
  return { info, image, clip: null, meta: imageMeta(meta, meta.format === 'png' ? await pngTextChunks(path).catch(() => []) : []) }
}

/** libvips reports corrupt input as plain Errors; ours are typed. */
function sharpError (path: string, err: unknown): GasError {
  if (err instanceof GasError) return err
  const msg = (err as Error)?.message ?? String(err)
  if (/no such file|ENOENT|Input file is missing/i.test(msg)) return new GasError('E_NOT_FOUND', `${path}: no such file or directory`, { path })
  return GasError.malformedAsset(path, `cannot decode image: ${msg.split('\n')[0]}`)
}
