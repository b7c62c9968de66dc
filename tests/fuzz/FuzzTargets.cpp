#include "tests/fuzz/FuzzTargets.h"

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "api/json/BacktestJson.h"
#include "api/json/JsonCodec.h"
#include "api/json/RequestWriter.h"
#include "api/report/Report.h"
#include "host/margin/MarginEngine.h"
#include "host/market/PriceFiles.h"
#include "host/model/Time.h"
#ifdef XM_HAVE_SERVER
#include <httplib.h>  // last: its <resolv.h> defines a macro that breaks Eigen
#include "api/http/HttpServer.h"
#endif

namespace xm::fuzz {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw FuzzInvariant(what);
}

// Small enough that each input runs in microseconds to milliseconds.
Limits smallLimits() {
  Limits l;
  l.maxScenarios = 64;
  l.maxAccounts = 64;
  l.maxWork = 4096;
  return l;
}

bool allFinite(const Json& j) {
  if (j.is_number_float()) return std::isfinite(j.get<double>());
  if (j.is_structured()) {
    for (const Json& v : j) {
      if (!allFinite(v)) return false;
    }
  }
  return true;
}

// Margins the request and writes its response every way there is; they must agree.
Outcome respondAndCheck(const MarginRequest& req) {
  if (req.config.backend == BackendChoice::Cuda) return Outcome::Refused;  // no device when fuzzing
  MarginResponse response;
  try {
    response = computeMargin(req);
  } catch (const InputError&) {
    return Outcome::Refused;  // by the engine (an implausible scenario, a missing estimate)
  }
  const Json dom = responseToJson(req, response);
  require(allFinite(dom), "a figure is not finite");
  const Json fast = Json::parse(responseToText(req, response));
  for (int indent : {-1, 2}) {
    std::ostringstream out;
    StreamingResponseWriter writer(req, out, indent);
    writer.accounts(0, response.accounts);
    writer.finish({response.run, response.totals});
    require(Json::parse(out.str()) == fast, "the streaming writer disagrees with the compact one");
  }
  require(fast == dom, "the JSON text disagrees with the document");
  const std::vector<uint8_t> packed = Json::to_msgpack(dom);
  require(Json::from_msgpack(packed) == dom, "MessagePack does not round-trip the response");
  require(responseToMsgpack(req, response) == std::string(packed.begin(), packed.end()),
          "the streamed MessagePack disagrees with the document's");
  return Outcome::Answered;
}

Outcome parseAndRespond(MarginRequest (*parse)(std::string_view, const Limits&),
                        std::string_view bytes) {
  MarginRequest req;
  try {
    req = parse(bytes, smallLimits());
  } catch (const InputError&) {
    return Outcome::Refused;
  }
  return respondAndCheck(req);
}

std::vector<std::string_view> sections(std::string_view bytes, std::string_view separator) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t at = bytes.find(separator);
    out.push_back(bytes.substr(0, at));
    if (at == std::string_view::npos) return out;
    bytes.remove_prefix(at + separator.size());
  }
}

#ifdef XM_HAVE_SERVER
// One connection's bytes in, the server's bytes out.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  std::string out;
  bool is_readable() const override { return !in_.empty(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size());
    std::copy(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n), ptr);
    in_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return -1; }

 private:
  std::string_view in_;
};

MarginServer& fuzzServer(bool withToken) {
  auto make = [](bool token) {
    ServerOptions o;
    o.workers = 1;
    o.queue = 0;
    o.maxBodyBytes = 1 << 20;
    o.limits = smallLimits();
    o.snapshotMemory = 16 << 20;  // the store persists across inputs: keep it small
    if (token) o.token = "fuzz-token";
    return std::make_unique<MarginServer>(o);
  };
  static const std::unique_ptr<MarginServer> open = make(false), guarded = make(true);
  return withToken ? *guarded : *open;
}

// Every answer: a status line, headers, a Content-Length body. No 500 (an internal error is a
// defect). Error bodies carry the envelope; JSON and MessagePack bodies parse. Answered when
// some POST /v1/margin answer is a 200 with accounts.
Outcome checkAnswers(std::string_view out, bool bodiesKnown) {
  Outcome outcome = Outcome::Refused;
  while (!out.empty()) {
    require(out.rfind("HTTP/1.1 ", 0) == 0, "an answer does not start with a status line");
    const size_t head = out.find("\r\n\r\n");
    require(head != std::string_view::npos, "an answer's head does not end");
    const int status = std::stoi(std::string(out.substr(9, 3)));
    require(status != 500,
            "an internal error: " + std::string(out.substr(0, std::min<size_t>(out.size(), 400))));
    const std::string headers(out.substr(0, head));
    out.remove_prefix(head + 4);
    if (status == 100) continue;
    const size_t cl = headers.find("Content-Length: ");
    require(cl != std::string::npos, "an answer without Content-Length");
    const size_t length = std::stoul(headers.substr(cl + 16));
    if (!bodiesKnown) return outcome;  // a HEAD answer has the length but no body: stop here
    require(out.size() >= length, "an answer's body is shorter than its Content-Length");
    const std::string body(out.substr(0, length));
    out.remove_prefix(length);
    const bool json = headers.find("Content-Type: application/json") != std::string::npos;
    const bool packed = headers.find("Content-Type: application/msgpack") != std::string::npos;
    Json doc;
    if (json) doc = Json::parse(body);
    if (packed) doc = Json::from_msgpack(body);
    const bool readiness = status == 503 && doc.contains("status");  // /readyz while not ready
    if (status >= 400 && (json || packed) && !readiness) {
      require(doc.contains("error") && doc["error"]["code"].is_string() &&
                  doc["error"]["path"].is_string(),
              "an error answer without the envelope");
    }
    if (status == 200 && doc.contains("accounts")) outcome = Outcome::Answered;
  }
  return outcome;
}
#endif

}  // namespace

// The parallel readers (from the first byte, in pieces of 64 bytes, the MessagePack accounts'
// starts found on every thread from the first account) read what the strict reader
// reads: the same request, or the same error (pointer and message).
void parallelAgrees(std::string_view bytes, bool msgpack) {
  auto read = [&](bool parallel) -> std::string {
    RequestOptions o;
    o.parallelFromBytes = parallel ? 0 : SIZE_MAX;
    o.pieceBytes = 64;
    o.walkAccountsFrom = 1;
    try {
      const ParsedRequest p = msgpack ? parseRequestMsgpack(bytes, smallLimits(), o)
                                      : parseRequestText(bytes, smallLimits(), o);
      return toText(requestToJson(p.request));
    } catch (const InputError& e) {
      return "error " + e.path() + " " + e.what();
    }
  };
  require(read(true) == read(false), "the parallel reader disagrees with the strict one");
}

Outcome request(std::string_view bytes) {
  parallelAgrees(bytes, false);
  return parseAndRespond(parseRequestText, bytes);
}

Outcome msgpack(std::string_view bytes) {
  parallelAgrees(bytes, true);
  return parseAndRespond(parseRequestMsgpack, bytes);
}

Outcome report(std::string_view bytes) {
  std::string page;
  try {
    page = report::reportFromText(bytes, smallLimits(), "2026-12-05T00:00:00Z");
  } catch (const InputError&) {
    return Outcome::Refused;
  }
  require(page.rfind("<!DOCTYPE html>", 0) == 0, "the page starts with its doctype");
  size_t scripts = 0;
  for (size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1))
    ++scripts;
  require(scripts == 1, "the page holds exactly its own script");
  const size_t end = page.find("</html>");
  require(end != std::string::npos && end == page.rfind("</html>"), "one </html>");
  return Outcome::Answered;
}

Outcome backtest(std::string_view bytes) {
  const std::vector<std::string_view> parts = sections(bytes, "\n====\n");
  if (parts.size() < 3) return Outcome::Refused;
  std::map<std::string, std::string> prices, indices;
  for (size_t i = 3; i < parts.size(); ++i) {
    const size_t nl = parts[i].find('\n');
    const std::string name(parts[i].substr(0, nl));
    const std::string text(nl == std::string_view::npos ? "" : parts[i].substr(nl + 1));
    try {
      parsePriceCsv(text, name, 1'000'000);  // the reader alone, on every file
    } catch (const InputError&) {
    }
    const bool index = name.size() > 12 && name.compare(name.size() - 12, 12, "-DVOL_1d.csv") == 0;
    (index ? indices : prices)[name] = text;
  }
  const std::string dates(parts[0]);
  const auto start = parseDate(dates.substr(0, 10)),
             end = parseDate(dates.size() > 11 ? dates.substr(11, 10) : "");
  if (!start || !end) return Outcome::Refused;
  Json portfolio, config;
  try {
    portfolio = Json::parse(parts[1]);
    config = parts[2].empty() ? Json() : Json::parse(parts[2]);
  } catch (const Json::exception&) {
    return Outcome::Refused;  // the command line reports these as invalid_request
  }
  const PriceFolder priceFolder = memoryFolder("prices", prices),
                    indexFolder = memoryFolder("indices", indices);
  BacktestReport report;
  try {
    report = runBacktest(portfolio, priceFolder, config, *start, std::min(*end, *start + 40),
                         indices.empty() ? nullptr : &indexFolder, smallLimits());
  } catch (const InputError&) {
    return Outcome::Refused;
  }
  const Json out = backtestToJson(report);
  require(allFinite(out), "a figure of the report is not finite");
  require(Json::parse(toText(out)) == out, "the report does not round-trip as JSON");
  std::ostringstream series;
  writeBacktestSeries(report, series);
  require(!backtestTable(report).empty(), "an empty table");
  return Outcome::Answered;
}

Outcome http(std::string_view bytes) {
#ifdef XM_HAVE_SERVER
  if (bytes.empty()) return Outcome::Refused;
  const bool token = static_cast<unsigned char>(bytes[0]) & 1;
  MemoryStream stream(bytes.substr(1));
  fuzzServer(token).serveStream(stream);
  return checkAnswers(stream.out, bytes.find("HEAD") == std::string_view::npos);
#else
  (void)bytes;
  return Outcome::Refused;
#endif
}

}  // namespace xm::fuzz
