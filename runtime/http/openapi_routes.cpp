// GET /openapi.json: the API contract, open to anyone (API.md), as the build embedded it from
// runtime/http/openapi/openapi.yaml. The text is served as is: no parsing per request.
#include "http/openapi_document.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {

void add_openapi_routes(Router& r, Services&) {
  r.add("GET", "/openapi.json", Access::open, [](Exchange& ex) {
    ex.set_header("Cache-Control", "public, max-age=300");
    ex.send_text(200, "application/json; charset=utf-8", std::string(openapi_json()));
  });
}

}  // namespace plugboard::http
