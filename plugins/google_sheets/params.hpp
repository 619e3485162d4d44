// Parameter readers from the SDK (plugboard/params.hpp), under this plugin's namespace.
#pragma once

#include <plugboard/params.hpp>

namespace google_sheets {
using namespace plugboard::params;  // NOLINT(google-build-using-namespace)
}  // namespace google_sheets
