// The query cost rule: what an operation costs in fields answered, each search
// counted once per parent and nested lists `first` times (graphql-query-complexity
// with the variables), computed once per document, and the plugin that refuses
// an operation over the limit. docs/operations.md, "What a query costs".
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { EVIDENCE_NEIGHBOURS } from '../embedding/index.js';
import { MAX_FIRST } from '../services/arguments.js';

/**
 * The work of one index search, in fields answered (a field costs 1): each
 * field that runs one costs this once per parent, since a nested search runs
 * once for each item of the list above it, batched or not. Measured against
 * real time on both stores (docs/operations.md, "What a query costs").
 */
export const SEARCH_COST: Readonly<Record<string, number>> = {
  'Query.similarWords': 12,
  'Word.similar': 12,
  'Query.similarImages': 12,
  'Image.similar': 12,
  // The captions' vote over the photo's neighbours and the tag index: several searches in one.
  'Query.tagsForImage': 80,
  'Image.tags': 80,
  // The vector side, the neighbours' vote and the full-text side, each 100 deep, fused.
  'Query.imagesForText': 150,
  // Reads every recorded pair (a recursive walk over them), then the page's groups.
  'Query.duplicates': 50,
};

/*
 * The steering arguments cost nothing of their own: a page `after` a cursor
 * costs what its `first` costs (the index walks on from the cursor; a page of
 * imagesForText past its first fused list runs the rankings twice as deep,
 * bounded by MAX_TIER), `cut: AUTO` drops matches, and `exclude` checks at
 * most the fused rows (a few hundred) against each excluded word.
 */
/**
 * What an argument adds to a field's search: similarImages with `text` runs
 * imagesForText's ranking over the photo's 100 nearest images besides its own
 * search, 100 deep instead of `first`.
 */
function argumentCost(key: string, args: Record<string, unknown>): number {
  if (key === 'Query.similarImages' && typeof args.text === 'string') return SEARCH_COST['Query.imagesForText']! + SEARCH_COST[key]!;
  return 0;
}

/** Lists without `first` that hold up to a fixed number of items (Tag.evidence and ImageMatch.evidence: 3 voters, each an Image). */
const FIXED_LISTS: Readonly<Record<string, number>> = {
  'Tag.evidence': EVIDENCE_NEIGHBOURS,
  'ImageMatch.evidence': EVIDENCE_NEIGHBOURS,
};

/** What every request costs before its fields (HTTP, parsing, validation, the answer's JSON), in fields. */
export const REQUEST_COST = 100;

/**
 * A field with `first` answers up to `first` items, each costing its
 * selection; a field that searches adds SEARCH_COST. A `first` above the
 * maximum is left to the service's clearer message.
 */
const searchesAndLists: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const key = `${type.name}.${field.name}`;
  const search = SEARCH_COST[key];
  const first = typeof args.first === 'number' && args.first > 0 ? Math.min(args.first, MAX_FIRST) : FIXED_LISTS[key];
  if (search === undefined && first === undefined) return undefined;
  return (search ?? 1) + argumentCost(key, args) + (first ?? 1) * Math.max(1, childComplexity);
};

/** The cost of a parsed operation, or undefined when its variables are wrong (execution reports them). */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string): number | undefined {
  try {
    return REQUEST_COST + getComplexity({
      schema,
      query: document,
      variables,
      operationName,
      estimators: [searchesAndLists, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    return undefined;
  }
}

/**
 * The variables a document's cost can depend on: by value, those given to a
 * `first` argument or to a directive (@skip, @include); by presence alone,
 * those given to `text` (similarImages steered by a text: argumentCost); the
 * estimators read nothing else. Found once per document.
 */
function costVariables(document: DocumentNode): { name: string; presenceOnly: boolean }[] {
  const found = new Map<string, boolean>();
  let inside = 0;
  let inText = 0;
  const enter = () => void inside++;
  const leave = () => void inside--;
  visit(document, {
    Argument: {
      enter: (node) => void (node.name.value === 'first' ? inside++ : node.name.value === 'text' && inText++),
      leave: (node) => void (node.name.value === 'first' ? inside-- : node.name.value === 'text' && inText--),
    },
    Directive: { enter, leave },
    Variable(node) {
      const name = node.name.value;
      if (inside > 0) found.set(name, false);
      else if (inText > 0 && !found.has(name)) found.set(name, true);
    },
  });
  return [...found].map(([name, presenceOnly]) => ({ name, presenceOnly }));
}

/** Costs per document, keyed by the operation's name and the values of its costVariables; a few per document. */
const COSTS_KEPT_PER_DOCUMENT = 32;
const knownCosts = new WeakMap<DocumentNode, { variables: { name: string; presenceOnly: boolean }[]; costs: Map<string, number> }>();

/**
 * queryCost, computed once per document and the values it depends on: the
 * same query with another id costs the same, and walking the document with
 * its type information each time was the largest part of a cheap request's
 * own work (docs/performance.md). A cost above the limit is computed again,
 * so a refused query is refused exactly as before.
 */
function cachedQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | undefined,
  maxCost: number,
): number | undefined {
  let known = knownCosts.get(document);
  if (!known) knownCosts.set(document, (known = { variables: costVariables(document), costs: new Map() }));
  // An absent variable (its default applies) and a null one are different keys.
  const key = JSON.stringify([
    operationName ?? null,
    ...known.variables.map(({ name, presenceOnly }) =>
      !Object.hasOwn(variables, name) ? [] : presenceOnly ? typeof variables[name] === 'string' : [variables[name]],
    ),
  ]);
  const cost = known.costs.get(key);
  if (cost !== undefined && cost <= maxCost) return cost;
  const computed = queryCost(schema, document, variables, operationName);
  if (computed !== undefined) {
    if (known.costs.size >= COSTS_KEPT_PER_DOCUMENT) known.costs.clear();
    known.costs.set(key, computed);
  }
  return computed;
}

/** Refuses, with BAD_USER_INPUT naming both, an operation that costs more than `maxCost`. */
export const costLimit = (maxCost: number): ApolloServerPlugin => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema }) {
        // REQUEST_COST of it is the request itself.
        const cost = cachedQueryCost(schema, document, request.variables ?? {}, request.operationName ?? undefined, maxCost);
        if (cost !== undefined && cost > maxCost) {
          throw new GraphQLError(
            `the query is too expensive: cost ${cost}, at most ${maxCost} (a field answered costs 1, a ` +
              `search ${SEARCH_COST['Word.similar']} (tags ${SEARCH_COST['Image.tags']}, imagesForText ` +
              `${SEARCH_COST['Query.imagesForText']}), each nested list 'first' times, so a search nested under a list ` +
              `counts once per item): ask for smaller 'first' or fewer nested searches`,
            { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
          );
        }
      },
    };
  },
});
