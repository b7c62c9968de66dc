// Reading a request (issue 20): exchange-S's 10,000 accounts as JSON text and as MessagePack, by
// the strict reader (one thread) and the parallel reader (every OpenMP thread). Bytes per second
// are the request's size over the time to a MarginRequest. Each request read is freed with the
// timer paused (timed()): freeing a million accounts' vectors is its owner's work, not the
// reader's; the /teardown:1 runs time it too.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "host/base/Files.h"

#include "api/json/JsonCodec.h"
#include "api/json/RequestWriter.h"
#include "bench/BenchSupport.h"

namespace xm::bench {
namespace {

const Json& requestDocument() {
  static const Json doc = requestToJson(workload(10000, 10000));
  return doc;
}

// Times read() only, or (teardown) read() and freeing what it returned.
template <typename Read>
void timed(benchmark::State& state, bool teardown, const Read& read) {
  for (auto _ : state) {
    if (teardown) {
      benchmark::DoNotOptimize(read());
    } else {
      auto request = read();
      benchmark::DoNotOptimize(request);
      state.PauseTiming();
      { const auto freed = std::move(request); }
      state.ResumeTiming();
    }
  }
}

RequestOptions reader(int64_t parallel) {
  RequestOptions o;
  o.parallelFromBytes = parallel ? 0 : SIZE_MAX;
  return o;
}

void BM_ParseJson(benchmark::State& state) {
  static const std::string text = toText(requestDocument());
  const RequestOptions options = reader(state.range(0));
  timed(state, state.range(1), [&] { return parseRequestText(text, Limits{}, options); });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(state.range(0) ? "parallel" : "strict");
}
BENCHMARK(BM_ParseJson)
    ->ArgNames({"parallel", "teardown"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

void BM_ParseMsgpack(benchmark::State& state) {
  static const std::string bytes = [] {
    const std::vector<uint8_t> b = Json::to_msgpack(requestDocument());
    return std::string(b.begin(), b.end());
  }();
  const RequestOptions options = reader(state.range(0));
  timed(state, state.range(1), [&] { return parseRequestMsgpack(bytes, Limits{}, options); });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetLabel(state.range(0) ? "parallel" : "strict");
}
BENCHMARK(BM_ParseMsgpack)
    ->ArgNames({"parallel", "teardown"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// A request file of one's own (XM_PARSE_FILE=path, JSON or MessagePack), mapped as `xmargin run`
// maps it.
void BM_ParseFile(benchmark::State& state, const std::string& path) {
  const InputText input(path, "request");
  const RequestOptions options = reader(state.range(0));
  const bool msgpack = isMsgpackMap(input.text());
  timed(state, state.range(1), [&] {
    return msgpack ? parseRequestMsgpack(input.text(), Limits{}, options)
                   : parseRequestText(input.text(), Limits{}, options);
  });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.text().size()));
  state.SetLabel(state.range(0) ? "parallel" : "strict");
}

}  // namespace
}  // namespace xm::bench

int main(int argc, char** argv) {
  if (const char* path = std::getenv("XM_PARSE_FILE"))
    benchmark::RegisterBenchmark("BM_ParseFile", xm::bench::BM_ParseFile, std::string(path))
        ->ArgNames({"parallel", "teardown"})
        ->ArgsProduct({{1}, {0, 1}})
        ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
