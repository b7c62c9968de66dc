#pragma once
// The bodies of xmargin's fuzz targets, shared by the libFuzzer binaries (tests/fuzz/Fuzz*.cpp,
// built with -DXM_FUZZ=ON under ASan and UBSan) and by FuzzRegressionTest, which replays every
// kept input through the same code in the ordinary build.
//
// Each takes one input and returns normally when xmargin answered it or refused it as the
// contract says (an InputError). A defect shows as a sanitizer report, a crash, or a
// FuzzInvariant exception: the writers disagree, an answer is not valid JSON or MessagePack, a
// figure is not finite, an HTTP answer is a 500 or lacks the error envelope.

#include <stdexcept>
#include <string_view>

namespace xm::fuzz {

struct FuzzInvariant : std::logic_error {
  using std::logic_error::logic_error;
};

// How an input ended: answered in full, or refused (an InputError, or an HTTP error answer).
enum class Outcome { Answered, Refused };

// (a) a JSON request -> the engine -> every response writer (compact and indented JSON, the DOM,
// MessagePack), which must agree with each other; the parallel reader, cutting the text into
// 64-byte pieces, must read the strict reader's request or name its error.
Outcome request(std::string_view bytes);
// (b) a MessagePack request -> the engine -> the writers, and the parallel reader, as (a).
Outcome msgpack(std::string_view bytes);
// (c) the price and implied-vol CSV readers and the backtest. The input is sections separated by
//     "\n====\n": "START END" dates; the portfolio JSON; the config JSON (or nothing); then files,
//     each "NAME\n" and its text (NAME ending -USD_1d.csv: a price file, -DVOL_1d.csv: an index).
Outcome backtest(std::string_view bytes);
// (d) raw bytes through the HTTP service's request handling, as one connection: request lines,
//     headers, Content-Length and chunked bodies, pipelines. A first byte with its low bit set
//     sends them to a server that requires the token "fuzz-token".
Outcome http(std::string_view bytes);
// (e) a POST /v1/report body -> the HTML page: answered or refused, and every text of the input
//     escaped (the page holds its one script and nothing the input smuggled in).
Outcome report(std::string_view bytes);

}  // namespace xm::fuzz
