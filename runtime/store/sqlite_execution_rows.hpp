// The executions table's columns and row reader, shared by the writer
// (sqlite_execution_repository.cpp) and the queries (sqlite_execution_queries.cpp).
#pragma once

#include "store/records.hpp"

#include <Poco/Data/RecordSet.h>

namespace plugboard::store {

// "SELECT <every column> FROM executions " (append WHERE ...).
extern const char* const kExecutionColumns;
Execution read_execution(const Poco::Data::RecordSet& rs, std::size_t row);

}  // namespace plugboard::store
