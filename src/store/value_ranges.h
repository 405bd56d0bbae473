// The conditions of a q expression that the store's value indexes can narrow
// candidates by (store/entity_query.h numberRanges, textRanges, timeRanges):
// terms comparing a plain attribute with a number, a string or a date-time
// (==, a..b, > >= < <=, == a list of strings, ~= with a pattern anchored at the start), an
// attribute's observedAt or the entity's createdAt or modifiedAt with a
// date-time, directly in q or in its top-level AND. q still decides each
// candidate.
#pragma once

#include "query/q.h"
#include "store/entity_query.h"

namespace allmende::store {

// Adds the conditions of `q` to query's ranges. Returns whether they are all
// of q, each exactly (not so: string ordering, which a Relationship never
// meets, and patterns), so that the indexes alone can prove a match.
bool addValueRanges(const query::Expr& q, EntityQuery& query);

// Narrows r to the numbers other holds too. Conditions on one attribute of
// which no entity has two numbers are one range so narrowed
// (temperature>=10;temperature<15: some value >= 10 and some < 15 is one value in [10, 15)).
void intersect(EntityQuery::NumberRange& r, const EntityQuery::NumberRange& other);

}  // namespace allmende::store
