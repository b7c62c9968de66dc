#include "api/cli/Args.h"

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "api/json/RequestParser.h"
#include "host/base/Files.h"
#include "host/market/PriceFiles.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"

namespace xm {

Args parseArgs(int argc, char** argv, int start, const std::vector<std::string>& flags,
               const std::vector<std::string>& valued) {
  Args a;
  for (int i = start; i < argc; ++i) {
    const std::string s = argv[i];
    if (s.size() > 2 && s.rfind("--", 0) == 0) {
      if (std::find(flags.begin(), flags.end(), s) != flags.end()) {
        a.options[s] = "";
      } else if (std::find(valued.begin(), valued.end(), s) != valued.end()) {
        if (i + 1 >= argc) throw InputError("", "option " + s + " needs a value", ErrorKind::Usage);
        a.options[s] = argv[++i];
      } else {
        throw InputError("", "unknown option " + s + " (see --help)", ErrorKind::Usage);
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int64_t intOption(const Args& a, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  if (!a.has(key)) return fallback;
  const std::string& v = a.options.at(key);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (errno || end == v.c_str() || *end || x < lo || x > hi) {
    throw InputError("",
                     "option " + key + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got \"" + v + "\"",
                     ErrorKind::Usage);
  }
  return x;
}

void applyThreads(const Args& a) {
  if (a.has("--threads"))
    omp_set_num_threads(static_cast<int>(intOption(a, "--threads", 0, 1, 1024)));
}

MarginRequest readRequest(const std::string& path, const Limits& limits, RequestOptions options) {
  const InputText input(path, "request");
  // The file's pages leave memory as the readers finish with them.
  options.textDone = [&](size_t begin, size_t end) { input.dropPages(begin, end); };
  if (isMsgpackMap(input.text())) return parseRequestMsgpack(input.text(), limits, options).request;
  return parseRequestText(input.text(), limits, options).request;
}

// The answer to --out FILE (complete or untouched), or to standard output once it is whole: a
// failure mid-run never leaves half an answer, and standard output that cannot take it all (a
// full disk behind a redirection) is an error, not a silent success.
void writeOutput(const Args& a, const std::function<void(std::ostream&)>& write) {
  if (a.has("--out")) {
    writeFileAtomically(a.options.at("--out"), write);
    return;
  }
  std::ostringstream buffer;
  write(buffer);
  std::cout << buffer.str() << std::flush;
  if (!std::cout) {
    std::cout.clear();
    throw InputError("", "writing the answer to standard output failed", ErrorKind::IoError);
  }
}

long long dateOption(const Args& a, const std::string& key) {
  if (!a.has(key))
    throw InputError("", "backtest needs " + key + " YYYY-MM-DD (see --help)", ErrorKind::Usage);
  const std::string& v = a.options.at(key);
  const auto day = parseDate(v);
  if (!day)
    throw InputError("", key + " must be a date such as 2023-12-31, got \"" + v + "\"",
                     ErrorKind::Usage);
  return *day;
}

Json readJsonFile(const std::string& path, const std::string& what) {
  try {
    return Json::parse(readInputFile(path, what));
  } catch (const Json::exception& e) {
    throw InputError(
        "", what + " " + path + ": malformed JSON: " + e.what());  // sanitised by the envelope
  }
}

void loadMarketFiles(const Args& a, MarginRequest& request) {
  if (a.has("--prices")) {
    if (!request.market.history.empty()) {
      throw InputError("/market/history",
                       "give daily closes either in market.history or with --prices, not both",
                       ErrorKind::Usage);
    }
    if (loadPriceFiles(a.options.at("--prices"), request.market) == 0) {
      throw InputError("",
                       "--prices: no <ASSET>-USD_1d.csv file in " + a.options.at("--prices") +
                           " matches an asset of the request",
                       ErrorKind::Usage);
    }
  }
  if (a.has("--implied-vol")) {
    if (loadImpliedVolFiles(a.options.at("--implied-vol"), request.market) == 0) {
      throw InputError("",
                       "--implied-vol: no <ASSET>-DVOL_1d.csv file in " +
                           a.options.at("--implied-vol") +
                           " matches an asset with history (market.history or --prices)",
                       ErrorKind::Usage);
    }
  }
}

}  // namespace xm
