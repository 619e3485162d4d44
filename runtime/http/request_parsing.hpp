// Small, strict readers for request fields: each refusal is a ServiceError naming the field.
#pragma once

#include "auth/service_error.hpp"
#include "http/exchange.hpp"
#include "store/repositories.hpp"

#include <boost/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::http {

// The body as an object, or validation_error.
boost::json::object require_object_body(Exchange& ex);

// Optional string field; validation_error when present but not a string.
std::optional<std::string> opt_string(const boost::json::object& o, const char* field);
// Required non-empty string field (max_len characters at most).
std::string req_string(const boost::json::object& o, const char* field, std::size_t max_len = 200);
// Optional list of strings.
std::vector<std::string> opt_strings(const boost::json::object& o, const char* field,
                                     const std::string& where);
// Optional boolean.
std::optional<bool> opt_bool(const boost::json::object& o, const char* field);
// validation_error naming the first field of `body` not in `known`.
void reject_unknown(const boost::json::object& body, std::initializer_list<const char*> known);
// Optional object.
std::optional<boost::json::object> opt_object(const boost::json::object& o, const char* field);

// ?start_date= / ?end_date= style bounds: ISO 8601, or a bare date meaning the start or end
// of that day (UTC); normalized to ISO 8601 UTC. validation_error names the parameter.
std::optional<std::string> date_bound_query(const Exchange& ex, const char* name, bool end_of_day);

// ?limit= (1..max, default 50) and ?offset= (>= 0).
store::Page page_from_query(const Exchange& ex, std::int64_t max_limit = 500);

}  // namespace plugboard::http
