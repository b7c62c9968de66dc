#pragma once
// A command's arguments and the helpers every command shares: typed options with their ranges,
// the request and JSON files it reads, and the one way it writes its answer.

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "api/json/Json.h"
#include "api/json/RequestParser.h"
#include "host/model/MarginRequest.h"

namespace xm {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool has(const std::string& k) const { return options.count(k) > 0; }
};

// argv[start..argc): `flags` take no value, `valued` take the next argument; anything else that
// starts with -- is a usage error.
Args parseArgs(int argc, char** argv, int start, const std::vector<std::string>& flags,
               const std::vector<std::string>& valued);
// An integer option within [lo, hi], or `fallback` when absent.
int64_t intOption(const Args& a, const std::string& key, int64_t fallback, int64_t lo, int64_t hi);
// --threads N: the OpenMP threads of this process.
void applyThreads(const Args& a);
// A YYYY-MM-DD option, as days since the epoch.
long long dateOption(const Args& a, const std::string& key);

// A request file: MessagePack when isMsgpackMap(its bytes), JSON otherwise; `options` as the
// parser takes them (RequestOptions: e.g. catalogueRead).
MarginRequest readRequest(const std::string& path, const Limits& limits,
                          RequestOptions options = {});
// --prices DIR and --implied-vol DIR into the request's market.history.
void loadMarketFiles(const Args& a, MarginRequest& request);
Json readJsonFile(const std::string& path, const std::string& what);

// The answer to --out FILE (complete or untouched), or to standard output once it is whole: a
// failure mid-run never leaves half an answer, and standard output that cannot take it all (a
// full disk behind a redirection) is an error, not a silent success.
void writeOutput(const Args& a, const std::function<void(std::ostream&)>& write);

}  // namespace xm
