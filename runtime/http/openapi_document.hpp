// The OpenAPI 3.1 document of the whole HTTP API, as compact JSON. Its source is
// runtime/http/openapi/openapi.yaml; the build embeds it (runtime/CMakeLists.txt).
#pragma once

#include <string_view>

namespace plugboard::http {

std::string_view openapi_json();

}  // namespace plugboard::http
