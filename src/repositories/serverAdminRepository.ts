// The PostgreSQL server itself, through an admin connection: databases made
// and dropped for a bench, and which backend processes serve a database.
import type pg from 'pg';

/** A database name made by the caller from letters, digits and underscores only. */
function checkedName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  return name;
}

export class ServerAdminRepository {
  constructor(private readonly admin: pg.Pool) {}

  async createDatabase(name: string): Promise<void> {
    await this.admin.query(`CREATE DATABASE ${checkedName(name)}`);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.admin.query(`DROP DATABASE IF EXISTS ${checkedName(name)} WITH (FORCE)`);
  }

  /** Process ids of the client backends connected to `database` (the OS's pids, on the server's machine). */
  async backendPids(database: string): Promise<number[]> {
    const result = await this.admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
      [database],
    );
    return result.rows.map((row) => row.pid);
  }

  async close(): Promise<void> {
    await this.admin.end();
  }
}
