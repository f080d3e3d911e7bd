// A request's time budget: it counts the store's time, not the model's, and a
// request past it is refused at its next database call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestScope, RequestStoppedError } from '../src/db/requestScope.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('model work does not count against the budget; the time around it does', async () => {
  const scope = new RequestScope(80);
  await scope.outsideBudget(sleep(200));
  assert.doesNotThrow(() => scope.check(), 'the photo took longer than the budget, but it was model work');
  await sleep(200);
  assert.throws(() => scope.check(), (err: unknown) => err instanceof RequestStoppedError && err.reason === 'timeout');
});

test('the budget timer stops the request while no model work is running', async () => {
  const scope = new RequestScope(30);
  const stopped = new Promise((resolve) => scope.onStopped(resolve));
  // The budget's timer does not hold the process open: a longer sleep does.
  assert.equal(await Promise.race([stopped, sleep(1000).then(() => 'not stopped')]), 'timeout');
});

test('nested model work pauses the budget once, until the last of it ends', async () => {
  const scope = new RequestScope(60);
  await Promise.all([scope.outsideBudget(sleep(150)), scope.outsideBudget(sleep(100))]);
  assert.equal(scope.stopped, undefined);
  assert.doesNotThrow(() => scope.check());
});
