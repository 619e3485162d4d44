// The executions table's columns and row reader, shared by the writer
// (sql_execution_repository.cpp) and the queries (sql_execution_queries.cpp).
#pragma once

#include "store/records.hpp"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>

#include <vector>

namespace plugboard::store {

// "SELECT <every column> FROM executions " (append WHERE ...).
extern const char* const kExecutionColumns;
Execution read_execution(const Poco::Data::RecordSet& rs, std::size_t row);

// SQLite's fast path for a batch of execution records, inside the caller's transaction
// (sqlite_execution_batch.cpp).
void insert_executions_sqlite(Poco::Data::Session& s, const std::vector<Execution>& batch);

}  // namespace plugboard::store
