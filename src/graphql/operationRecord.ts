// What a GraphQL request asked and how it ended, noted by an Apollo plugin
// for the request log and the metrics (src/http/requestLog.ts): the operation
// as Apollo resolved it, never re-parsed from the body, and never its
// variables.
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

export interface OperationRecord {
  /** The operation's name in the document, when it has one. */
  name?: string;
  type?: OperationDefinitionNode['operation'];
  /**
   * The root fields asked for, sorted ('similarWords', 'image,similarImages'),
   * or 'multiple' beyond three: schema names only, so a metric label stays a
   * short list. Unset when the document did not validate.
   */
  rootFields?: string;
  /** extensions.code of every error answered. */
  errorCodes: string[];
  /** Why the request was refused: the first error's message, as the client got it. */
  reason?: string;
}

export interface WithOperationRecord {
  operation: OperationRecord;
}

const MAX_NAMED_ROOT_FIELDS = 3;

function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  into: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) into.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collectRootFields(selection.selectionSet, fragments, into);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) collectRootFields(fragment.selectionSet, fragments, into);
    }
  }
}

/** The root fields (not their aliases) an operation asks for. */
export function rootFieldsOf(operation: OperationDefinitionNode, document: DocumentNode): string {
  const fragments = new Map(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment] as const),
  );
  const fields = new Set<string>();
  collectRootFields(operation.selectionSet, fragments, fields);
  return fields.size > MAX_NAMED_ROOT_FIELDS ? 'multiple' : [...fields].sort().join(',');
}

export function operationRecordPlugin<T extends WithOperationRecord>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        // After validation: the fields are the schema's, not whatever a client sent.
        async didResolveOperation({ contextValue, operation, document }) {
          if (!operation) return;
          contextValue.operation.name = operation.name?.value;
          contextValue.operation.type = operation.operation;
          contextValue.operation.rootFields = rootFieldsOf(operation, document);
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          contextValue.operation.reason ??= errors[0]?.message;
          for (const error of errors) {
            const code = error.extensions?.code;
            contextValue.operation.errorCodes.push(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
          }
        },
      };
    },
  };
}
