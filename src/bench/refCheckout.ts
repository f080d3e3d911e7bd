// Another commit of this repository, checked out in a temporary git worktree
// outside it, ready to run: the current checkout's node_modules is linked when
// both package-lock.json files match, else `npm ci` installs the ref's own.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

export interface CodeVersion {
  /** Where to run it. */
  dir: string;
  commit: string;
  /** Uncommitted changes in the current checkout (never for a ref). */
  dirty: boolean;
}

/** The checkout this process runs from. */
export function currentCode(): CodeVersion {
  const dir = git(process.cwd(), 'rev-parse', '--show-toplevel');
  return { dir, commit: git(dir, 'rev-parse', 'HEAD'), dirty: git(dir, 'status', '--porcelain', '--untracked-files=no') !== '' };
}

export interface RefCheckout extends CodeVersion {
  remove(): void;
}

const readLock = (dir: string) => {
  const file = path.join(dir, 'package-lock.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

export function checkoutRef(current: CodeVersion, ref: string, log: (message: string) => void): RefCheckout {
  const commit = git(current.dir, 'rev-parse', '--verify', `${ref}^{commit}`);
  const dir = mkdtempSync(path.join(tmpdir(), `semsearch-${commit.slice(0, 7)}-`));
  log(`checking out ${ref} (${commit.slice(0, 7)}) in a temporary worktree`);
  git(current.dir, 'worktree', 'add', '--detach', dir, commit);
  const modules = path.join(dir, 'node_modules');
  const remove = () => {
    if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) unlinkSync(modules);
    try {
      git(current.dir, 'worktree', 'remove', '--force', dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git(current.dir, 'worktree', 'prune');
    }
  };
  try {
    if (readLock(dir) !== undefined && readLock(dir) === readLock(current.dir)) {
      symlinkSync(path.join(current.dir, 'node_modules'), modules, 'dir');
    } else {
      log(`${commit.slice(0, 7)} has other dependencies: npm ci in its worktree`);
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, commit, dirty: false, remove };
}
