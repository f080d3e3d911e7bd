// A question past its time budget is answered with one coded error, TIMEOUT,
// and no data: never the fields that happened to finish. Mutations are not
// budgeted (src/db/requestScope.ts says why).
import type { ApolloServerPlugin } from '@apollo/server';
import { currentScope } from '../db/requestScope.js';

export const timeoutMessage = (budgetMs: number) =>
  `the request ran past its time budget of ${budgetMs} ms and was stopped: ask for smaller 'first' or fewer nested ` +
  `lists (each nested search runs once per parent), or retry when the server is less busy`;

export function requestBudgetPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const scope = currentScope();
      if (!scope) return;
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'mutation') scope.exempt();
        },
        async willSendResponse({ response }) {
          if (scope.stopped !== 'timeout' || response.body.kind !== 'single') return;
          response.body.singleResult = {
            data: null,
            errors: [{ message: timeoutMessage(scope.budgetMs), extensions: { code: 'TIMEOUT', budgetMs: scope.budgetMs } }],
          };
        },
      };
    },
  };
}
