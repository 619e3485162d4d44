// The v2 execute envelope as a client sends it: any bytes, parsed as the route parses them,
// then read into an ExecuteRequest. Every input is either refused with one of seed 004's codes
// or yields a request with the four fields set.
#include "http/execute_envelope.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  plugboard::execute::ExecuteRequest req;
  auto error = plugboard::http::read_execute_envelope(v.as_object(), "fuzz-user", req);
  if (error) {
    if (error->code != "MISSING_REQUIRED_FIELDS" && error->code != "INVALID_REQUEST") std::abort();
    if (error->http_status() != 400) std::abort();
    (void)boost::json::serialize(error->details);
  } else if (req.workspace_id.empty() || req.project_id.empty() || req.connection_id.empty() ||
             req.action.empty()) {
    std::abort();
  }
  return 0;
}
