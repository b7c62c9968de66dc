#include "api/cli/Cli.h"

int main(int argc, char** argv) { return xm::runCli(argc, argv); }
