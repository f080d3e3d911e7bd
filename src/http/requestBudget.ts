// Each request's scope (src/db/requestScope.ts): its time budget starts once
// its body is in, and it is stopped when its client disconnects before the
// answer is sent, so its next database call is refused instead of run.
import type { RequestHandler } from 'express';
import { RequestScope, runInScope, type StopReason } from '../db/requestScope.js';

export function requestBudget(budgetMs: number, onStop?: (reason: StopReason) => void): RequestHandler {
  return (_req, res, next) => {
    const scope = new RequestScope(budgetMs, false, onStop);
    res.once('close', () => {
      if (res.writableFinished) scope.finish();
      else scope.stop('disconnected');
    });
    runInScope(scope, next);
  };
}
