/**
 * IDX files (the format of the original MNIST and Fashion-MNIST distributions): a 4-byte
 * magic number (0, 0, type code, rank), `rank` big-endian uint32 dimensions, then the
 * values. Only unsigned bytes (type 0x08) are supported. Reads only the items asked for.
 */
import * as fs from 'node:fs/promises';
import { InputError } from '../errors.ts';

export interface IdxArray {
  /** Dimensions of the whole file (dims[0] = items in the file). */
  dims: number[];
  /** The first `items` items read. */
  items: number;
  data: Uint8Array;
}

const MAX_RANK = 8;

/**
 * Reads the first `maxItems` items (all when omitted) of an unsigned-byte IDX file.
 * `expectRank` checks the magic number (0x00000801 for labels, 0x00000803 for images).
 */
export async function readIdx(file: string, expectRank: number, maxItems?: number): Promise<IdxArray> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`data: cannot read IDX file ${file} (${code ?? String(e)})`, { cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(4 + 4 * MAX_RANK);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 4) throw new InputError(`data: ${file} is not an IDX file (shorter than its magic number)`);
    const magic = head.readUInt32BE(0);
    if (head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08 || head[3] !== expectRank) {
      throw new InputError(
        `data: ${file} has IDX magic number 0x${magic.toString(16).padStart(8, '0')}; expected 0x${(0x800 + expectRank).toString(16).padStart(8, '0')} (unsigned bytes, rank ${expectRank})`,
      );
    }
    const headerLen = 4 + 4 * expectRank;
    if (bytesRead < headerLen) throw new InputError(`data: ${file} is truncated inside its IDX header`);
    const dims: number[] = [];
    for (let i = 0; i < expectRank; i++) dims.push(head.readUInt32BE(4 + 4 * i));
    const per = dims.slice(1).reduce((a, b) => a * b, 1);
    const need = headerLen + dims[0]! * per;
    if (size !== need) {
      throw new InputError(
        `data: ${file} has ${size} bytes but its IDX header (dims ${dims.join('x')}) needs ${need}; the file is ${size < need ? 'truncated' : 'damaged'}`,
      );
    }
    const items = maxItems === undefined ? dims[0]! : Math.min(maxItems, dims[0]!);
    const data = new Uint8Array(items * per);
    let off = 0;
    while (off < data.length) {
      const r = await fh.read(data, off, data.length - off, headerLen + off);
      if (r.bytesRead === 0) throw new InputError(`data: ${file} was truncated while being read`);
      off += r.bytesRead;
    }
    return { dims, items, data };
  } finally {
    await fh.close();
  }
}
