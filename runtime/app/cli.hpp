// `plugboard serve|keys|plugins|version`: the operator's entry points.
#pragma once

namespace plugboard::app {

int run_cli(int argc, char** argv);

}  // namespace plugboard::app
