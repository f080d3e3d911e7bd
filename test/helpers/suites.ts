// Suites that need something this machine may lack (a PostgreSQL server with
// pgvector, server binaries that can load it): reported as skipped with the
// reason and how to get it, so `npm test` passes on a fresh machine. CI sets
// SEMSEARCH_REQUIRE_ALL_SUITES=1, which turns every such skip into a failure.
import { test } from 'node:test';

export const INSTALL_PGVECTOR = 'install pgvector into the server: sudo bash .ci/install-pgvector.sh';

const requireAll = process.env.SEMSEARCH_REQUIRE_ALL_SUITES === '1';

/**
 * `describe` options for a suite that needs what `missing` names (undefined:
 * nothing is missing). A skip under SEMSEARCH_REQUIRE_ALL_SUITES=1 also adds
 * a failing test that gives the reason.
 */
export function unlessMissing(suite: string, missing: string | undefined): { skip?: string } {
  if (missing === undefined) return {};
  if (requireAll) {
    test(`${suite} must run (SEMSEARCH_REQUIRE_ALL_SUITES=1)`, () => {
      throw new Error(`${suite} would be skipped: ${missing}`);
    });
  }
  return { skip: missing };
}
