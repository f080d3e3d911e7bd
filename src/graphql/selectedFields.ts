// Whether a resolver's field selects a given field of its result, so a
// service computes a costly part of the answer only for the queries that ask.
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

function selects(selectionSet: SelectionSetNode | undefined, name: string, info: GraphQLResolveInfo): boolean {
  if (!selectionSet) return false;
  return selectionSet.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name;
    if (selection.kind === Kind.INLINE_FRAGMENT) return selects(selection.selectionSet, name, info);
    return selects(info.fragments[selection.name.value]?.selectionSet, name, info);
  });
}

/** Whether the resolved field's own selection (fragments included; `@skip`/`@include` read as asked) names `name`. */
export const selectsField = (info: GraphQLResolveInfo, name: string): boolean =>
  info.fieldNodes.some((node) => selects(node.selectionSet, name, info));
