#pragma once
// The `xmargin` command line: run, demo, generate, info. Returns the process exit status:
// 0 success, 2 bad input or usage (the error object on stderr), 1 an internal or device failure.

namespace xm {
int runCli(int argc, char** argv);
}
