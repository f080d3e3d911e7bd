// Reads ZIP archives (stored or deflated entries) without loading them:
// the central directory is read from the end of the file, and each wanted
// entry is streamed through inflate into its file, written under a temporary
// name and renamed, so an interrupted unpack never leaves a half file.
import { createReadStream, createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

export interface ZipEntry {
  /** The entry's path inside the archive ('Flicker8k_Dataset/123.jpg'). */
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
/** The end record is 22 bytes plus a comment of up to 65,535. */
const END_SEARCH = 22 + 0xffff;

/** Every entry of the archive's central directory, in its order. */
export async function listZipEntries(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, END_SEARCH);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let end = -1;
    for (let at = tailLength - 22; at >= 0; at--) {
      if (tail.readUInt32LE(at) === END_OF_DIRECTORY) {
        end = at;
        break;
      }
    }
    if (end < 0) throw new Error(`${file} is not a ZIP archive (no end of central directory)`);
    const count = tail.readUInt16LE(end + 10);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error(`${file} is a ZIP64 archive, which is not supported`);
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    const entries: ZipEntry[] = [];
    for (let at = 0, i = 0; i < count; i++) {
      if (directory.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new Error(`${file}: damaged central directory`);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      entries.push({
        method: directory.readUInt16LE(at + 10),
        compressedSize: directory.readUInt32LE(at + 20),
        size: directory.readUInt32LE(at + 24),
        name: directory.toString('utf8', at + 46, at + 46 + nameLength),
        localHeaderOffset: directory.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Where an entry's data begins: after its local header, whose name and extra field may differ from the directory's. */
async function dataOffset(file: string, entry: ZipEntry): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(30);
    await handle.read(header, 0, 30, entry.localHeaderOffset);
    if (header.readUInt32LE(0) !== LOCAL_HEADER) throw new Error(`${file}: no local header for ${entry.name}`);
    return entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await handle.close();
  }
}

/** Streams one entry into `destination` (through a temporary file): never the whole entry in memory. */
export async function extractZipEntry(file: string, entry: ZipEntry, destination: string): Promise<void> {
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw new Error(`${file}: ${entry.name} uses compression method ${entry.method} (only stored and deflated are read)`);
  }
  const start = await dataOffset(file, entry);
  mkdirSync(path.dirname(destination), { recursive: true });
  const partial = `${destination}.part`;
  if (entry.compressedSize === 0) {
    await pipeline(async function* () {}, createWriteStream(partial));
    renameSync(partial, destination);
    return;
  }
  const source = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  const target = createWriteStream(partial);
  if (entry.method === DEFLATED) await pipeline(source, createInflateRaw(), target);
  else await pipeline(source, target);
  renameSync(partial, destination);
}
