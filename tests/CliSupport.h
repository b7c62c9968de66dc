#pragma once
// Runs the command line in this process with its standard output and error captured, and names
// temporary files for the CLI tests.

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli/Cli.h"

namespace xm::test {

struct Captured {
  int status;
  std::string out, err;
};

inline Captured cli(std::vector<std::string> args) {
  args.insert(args.begin(), "xmargin");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  auto* oldOut = std::cout.rdbuf(out.rdbuf());
  auto* oldErr = std::cerr.rdbuf(err.rdbuf());
  const int status = runCli(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(oldOut);
  std::cerr.rdbuf(oldErr);
  return {status, out.str(), err.str()};
}

inline std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("xm-cli-test-" + name)).string();
}

inline const std::string kExample = std::string(XM_SOURCE_DIR) + "/examples/contract-request.json";

}  // namespace xm::test
