#pragma once
// Per-account results as CSV for downstream systems (contract §14): one row per account
// (accounts.csv), one row per position (positions.csv) and per collateral asset (collateral.csv),
// each keyed by the account's id, streamed batch by batch like the JSON writer. Every field of
// the JSON response is a column: nested objects flatten to dotted names ("compare.grid.im"),
// arrays other than positions and collateral are a cell of compact JSON. The columns are the
// first account's (every account of a run has the same fields); a later account with a field
// the header lacks is an InternalError, never a dropped figure.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "api/json/Json.h"
#include "host/margin/MarginEngine.h"
#include "host/model/MarginRequest.h"

namespace xm {

class CsvResponseWriter final : public ResultSink {
 public:
  CsvResponseWriter(const MarginRequest& request, std::ostream& accounts, std::ostream& positions,
                    std::ostream& collateral);
  void accounts(int64_t first, const std::vector<AccountResult>& results) override;
  // A table no row reached (no account, or none with collateral) gets its key columns' header.
  void finish();

 private:
  struct Table {
    std::ostream* out;
    std::map<std::string, size_t> index;  // each column after the key columns: its position
    bool started = false;
  };
  void row(Table& t, const std::vector<std::string>& keys, const Json& object,
           const std::vector<std::string>& keyNames);

  const MarginRequest& request_;
  Table accounts_, positions_, collateral_;
};

// RFC 4180: a cell with a comma, quote, CR or LF is quoted, its quotes doubled.
std::string csvCell(const std::string& text);

}  // namespace xm
