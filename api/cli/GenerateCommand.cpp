#include "api/cli/Commands.h"

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Progress.h"
#include "api/json/JsonCodec.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm {

int generateCommand(const Args& a) {
  if (a.positional.size() != 1 || !a.has("--out")) {
    throw InputError("", "generate takes a PRESET and --out FILE (see --help)", ErrorKind::Usage);
  }
  ExchangeSpec spec = exchangePreset(a.positional[0]);
  spec.accounts = intOption(a, "--accounts", spec.accounts, 0, 100'000'000);
  spec.scenarios = intOption(a, "--scenarios", spec.scenarios, 1, 100'000'000);
  spec.seed =
      static_cast<uint64_t>(intOption(a, "--seed", static_cast<int64_t>(spec.seed), 0, INT64_MAX));
  spec.positionsPerAccount = static_cast<double>(
      intOption(a, "--positions", static_cast<int64_t>(spec.positionsPerAccount), 1, 1000));
  ProgressReporter progress("generate", progressMode(a), std::cerr);
  const MarginRequest request = makeSyntheticExchange(spec, progress.listener());
  progress.finish();
  const std::string format = a.has("--format") ? a.options.at("--format") : "json";
  if (format != "json" && format != "msgpack")
    throw InputError("", "--format must be json or msgpack, got \"" + format + "\"",
                     ErrorKind::Usage);
  writeFileAtomically(a.options.at("--out"), [&](std::ostream& out) {
    if (format == "msgpack") {
      const std::vector<uint8_t> bytes = Json::to_msgpack(requestToJson(request));
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
    } else {
      out << toText(requestToJson(request)) << "\n";
    }
  });
  if (!a.has("--quiet"))
    std::cerr << "wrote " << a.options.at("--out") << ": " << request.accounts.size()
              << " accounts, " << request.instruments.size() << " instruments, "
              << request.config.scenarios << " scenarios\n";
  return 0;
}

}  // namespace xm
