// Worker for jpeg.ts (plain JS so it loads the same from src/ and dist/): a libjpeg round trip through
// sharp, answered synchronously to the caller via synckit.
import sharp from 'sharp';
import { runAsWorker } from 'synckit';

async function roundTrip(data, width, height, channels, quality) {
  const jpg = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels } })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 })
    .toBuffer();
  const { data: out, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error(`jpeg round trip changed the size to ${info.width}×${info.height}`);
  if (info.channels === channels) return new Uint8Array(out);
  const res = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < channels; c++) res[p * channels + c] = out[p * info.channels + Math.min(c, info.channels - 1)];
  return res;
}

// torchvision's Resize(shorter side) + CenterCrop for folder images (src/data/folder.ts decodeTransformed)
const pyRound = (x) => {
  // Python's round(): halves to even, as torchvision's CenterCrop offsets
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};
async function decodeTransformed(data, o) {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const meta = await sharp(buf).metadata();
  let w = meta.width;
  let h = meta.height;
  let img = sharp(buf).removeAlpha().toColourspace('srgb');
  if (o.resize) {
    // the shorter side becomes `resize`, the longer int(resize · long / short) (truncated, as torchvision)
    const [nw, nh] = w <= h ? [o.resize, Math.floor((o.resize * h) / w)] : [Math.floor((o.resize * w) / h), o.resize];
    if (nw !== w || nh !== h) img = sharp(await img.resize({ width: nw, height: nh, fit: 'fill', kernel: o.interpolation === 'bicubic' ? 'cubic' : 'linear' }).raw().toBuffer(), { raw: { width: nw, height: nh, channels: 3 } });
    [w, h] = [nw, nh];
  }
  if (o.centerCrop) {
    if (o.centerCrop > w || o.centerCrop > h) return { tooSmall: true, width: w, height: h };
    img = img.extract({ left: pyRound((w - o.centerCrop) / 2), top: pyRound((h - o.centerCrop) / 2), width: o.centerCrop, height: o.centerCrop });
    w = h = o.centerCrop;
  }
  const { data: out, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(out), width: info.width, height: info.height, channels: info.channels };
}

runAsWorker(async (op, data, width, height, channels, quality) => {
  if (op === 'decodeTransformed') return decodeTransformed(data, width);
  if (op === 'jpegMany') {
    // data holds n images back to back; libvips encodes them concurrently on its own threads
    const size = width * height * channels;
    const n = data.length / size;
    const outs = await Promise.all(Array.from({ length: n }, (_, k) => roundTrip(data.subarray(k * size, (k + 1) * size), width, height, channels, quality)));
    const all = new Uint8Array(data.length);
    outs.forEach((o, k) => all.set(o, k * size));
    return all;
  }
  if (op === 'decode') {
    // any file libjpeg/libpng can read → RGB bytes
    const { data: out, info } = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(out), width: info.width, height: info.height, channels: info.channels };
  }
  return roundTrip(data, width, height, channels, quality);
});
