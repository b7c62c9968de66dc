#pragma once
// The commands of `xmargin`, one table (Commands.cpp): each command's name, help text
// (HelpText.cpp), options, and the function in its own file that runs it.

#include <string>
#include <vector>

#include "api/cli/Args.h"
#include "api/json/RequestParser.h"

namespace xm {

struct Command {
  const char* name;
  const char* help;                 // printed by `xmargin NAME --help`
  std::vector<std::string> flags;   // options without a value (--help among them)
  std::vector<std::string> valued;  // options with one
  int (*run)(const Args& args);     // the exit status
};

const std::vector<Command>& commands();

class MarketSnapshot;
struct EngineOptions;
// --snapshot FILE (a snapshot definition; its id is the file's name without .json), moved to
// --marks FILE when given (IntradayCommands.cpp).
std::shared_ptr<const MarketSnapshot> loadSnapshot(const Args& a, const Limits& limits,
                                                   const EngineOptions& options);
// Resolves the one id of `snapshot`; any other is not_found.
SnapshotLookup lookupOf(std::shared_ptr<const MarketSnapshot> snapshot);

int runCommand(const Args& a);         // RunCommand.cpp
int demoCommand(const Args& a);        // DemoCommand.cpp
int generateCommand(const Args& a);    // GenerateCommand.cpp
int backtestCommand(const Args& a);    // BacktestCommand.cpp
int infoCommand(const Args& a);        // InfoCommand.cpp
int simulateCommand(const Args& a);    // SimulateCommand.cpp
int serveCommand(const Args& a);       // ServeCommand.cpp (builds with the HTTP service only)
int whatifCommand(const Args& a);      // IntradayCommands.cpp
int neutralizeCommand(const Args& a);  // IntradayCommands.cpp
int reportCommand(const Args& a);      // ReportCommand.cpp

}  // namespace xm
