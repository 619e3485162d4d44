#include "app/cli.hpp"

int main(int argc, char** argv) { return plugboard::app::run_cli(argc, argv); }
