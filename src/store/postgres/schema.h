// The PostgreSQL store's schema and its versioned migrations: the broker
// creates and migrates the schema itself when it opens the database. Each
// migration runs once, in its own transaction, in version order; the broker
// holds an advisory lock meanwhile, so that several brokers starting together
// migrate once. docs/deployment.md shows the tables.
#pragma once

#include <optional>
#include <string_view>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace allmende::store::pg {

// The schema version this broker writes and reads.
int schemaVersion();
// Applies the migrations the database has not had yet; throws Error, or
// std::runtime_error when the database has a newer schema than this broker.
void migrate(Connection& connection);

// A kind of document as the documents table names it, and back.
std::string_view kindName(DocumentKind kind);
std::optional<DocumentKind> kindNamed(std::string_view name);

}  // namespace allmende::store::pg
