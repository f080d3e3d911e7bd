// Writes small ZIP archives for tests (the reference set's download is tested
// against archives served locally): each entry deflated, or stored when asked.
import { writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';

export interface ZipInput {
  name: string;
  bytes: Buffer;
  /** Stored as is instead of deflated. */
  stored?: boolean;
}

/** CRC-32 (IEEE), as ZIP records it. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface EntryFields {
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  nameLength: number;
}

/** A local or central entry header: its signature, then the fields both share, `shift` bytes later in the central one. */
function entryHeader(length: number, signature: number, shift: number, fields: EntryFields): Buffer {
  const header = Buffer.alloc(length);
  header.writeUInt32LE(signature, 0);
  header.writeUInt16LE(20, 4 + shift); // version needed to extract
  header.writeUInt16LE(fields.method, 8 + shift);
  header.writeUInt32LE(fields.crc, 14 + shift);
  header.writeUInt32LE(fields.compressedSize, 18 + shift);
  header.writeUInt32LE(fields.size, 22 + shift);
  header.writeUInt16LE(fields.nameLength, 26 + shift);
  return header;
}

export function writeZip(file: string, entries: readonly ZipInput[]): void {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = entry.stored ? entry.bytes : deflateRawSync(entry.bytes);
    const method = entry.stored ? 0 : 8;
    const crc = crc32(entry.bytes);
    const fields = { method, crc, compressedSize: data.length, size: entry.bytes.length, nameLength: name.length };
    const local = entryHeader(30, 0x04034b50, 0, fields);
    locals.push(local, name, data);
    // The central record has one more field (the version made by) before the local header's.
    const central = entryHeader(46, 0x02014b50, 2, fields);
    central.writeUInt16LE(20, 4);
    central.writeUInt32LE(offset, 42);
    directory.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...locals, directoryBytes, end]));
}
