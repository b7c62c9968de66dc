#pragma once
// The commands of `xmargin`, one table (Commands.cpp): each command's name, help text
// (HelpText.cpp), options, and the function in its own file that runs it.

#include <string>
#include <vector>

#include "api/cli/Args.h"

namespace xm {

struct Command {
  const char* name;
  const char* help;                 // printed by `xmargin NAME --help`
  std::vector<std::string> flags;   // options without a value (--help among them)
  std::vector<std::string> valued;  // options with one
  int (*run)(const Args& args);     // the exit status
};

const std::vector<Command>& commands();

int runCommand(const Args& a);       // RunCommand.cpp
int demoCommand(const Args& a);      // DemoCommand.cpp
int generateCommand(const Args& a);  // GenerateCommand.cpp
int backtestCommand(const Args& a);  // BacktestCommand.cpp
int infoCommand(const Args& a);      // InfoCommand.cpp
int simulateCommand(const Args& a);  // SimulateCommand.cpp
int serveCommand(const Args& a);     // ServeCommand.cpp (builds with the HTTP service only)

}  // namespace xm
