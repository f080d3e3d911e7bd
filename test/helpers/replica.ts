// Private PostgreSQL instances for fault and replica tests: a throwaway
// cluster (initdb) on its own port that a test may stop, restart or clone into
// a streaming replica (pg_basebackup -R), never touching the shared server.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { portIsFree } from './processes.js';
import { INSTALL_PGVECTOR, unlessMissing } from './suites.js';

/** Ports reserved for these instances. */
const PORTS = { first: 5440, last: 5449 };

/** The server binaries: TEST_PG_BINDIR, else pg_config's, else the newest Debian install. */
function findBinDir(): string | undefined {
  if (process.env.TEST_PG_BINDIR) return process.env.TEST_PG_BINDIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const newest = readdirSync(debian).sort((a, b) => Number(b) - Number(a))[0];
    if (newest && existsSync(path.join(debian, newest, 'bin', 'initdb'))) return path.join(debian, newest, 'bin');
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    return existsSync(path.join(dir, 'initdb')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const BIN_DIR = findBinDir();

/** The `vector` extension's files where these binaries load extensions from. */
function vectorExtensionMissing(binDir: string): string | undefined {
  const pgConfig = path.join(binDir, 'pg_config');
  if (!existsSync(pgConfig)) return `no pg_config beside ${binDir}/initdb to find its extensions`;
  const dirOf = (flag: string) => execFileSync(pgConfig, [flag], { encoding: 'utf8' }).trim();
  const control = path.join(dirOf('--sharedir'), 'extension', 'vector.control');
  const library = path.join(dirOf('--pkglibdir'), 'vector.so');
  if (existsSync(control) && existsSync(library)) return undefined;
  return `the PostgreSQL server in ${binDir} has no pgvector (${existsSync(control) ? library : control} is missing); ${INSTALL_PGVECTOR}`;
}

/** Why private instances cannot run here, or undefined when they can. */
function privatePostgresMissing(): string | undefined {
  if (!BIN_DIR) return 'no PostgreSQL server binaries (initdb) found; set TEST_PG_BINDIR';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    return 'running as root without a postgres user to run the server as';
  }
  return vectorExtensionMissing(BIN_DIR);
}

/** `describe` options for a suite that starts private instances: skipped, with the reason, when it cannot. */
export function needsPrivatePostgres(suite: string): { skip?: string } {
  return unlessMissing(suite, privatePostgresMissing());
}

/** initdb and the server refuse to run as root: run them as `postgres` then. */
function run(binary: string, args: string[]): string {
  const command = path.join(BIN_DIR!, binary);
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  return dir;
}

async function freePort(): Promise<number> {
  for (let port = PORTS.first; port <= PORTS.last; port++) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${PORTS.first}..${PORTS.last} for a private PostgreSQL`);
}

export class PrivatePostgres {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** A new cluster, started; wal_level=replica so it can feed a replica. */
  static async create(): Promise<PrivatePostgres> {
    const dataDir = ownedTempDir('semsearch-pg-');
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const instance = new PrivatePostgres(dataDir, await freePort());
    await instance.start();
    return instance;
  }

  /** A streaming replica of this instance (pg_basebackup -R), started on its own port. */
  async startReplica(): Promise<PrivatePostgres> {
    const dataDir = ownedTempDir('semsearch-replica-');
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast']);
    const replica = new PrivatePostgres(dataDir, await freePort());
    await replica.start();
    return replica;
  }

  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dataDir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=32MB',
      '-c wal_level=replica',
      '-c max_wal_senders=4',
      '-c hot_standby=on',
    ].join(' ');
    run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(this.dataDir, 'server.log'), '-w', '-t', '30', 'start']);
  }

  /** Fast shutdown: open connections are terminated, as in a real restart. */
  async stop(): Promise<void> {
    run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async destroy(): Promise<void> {
    try {
      run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

