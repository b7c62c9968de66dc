#pragma once
// Daily closes from a folder of CSV files, one per asset: DIR/<ASSET>-USD_1d.csv with a header
// naming at least `Date` (YYYY-MM-DD) and `Close` columns (the layout of data/prices/); an optional
// `Volume` column (base currency per day) feeds the liquidity add-on.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/model/Market.h"

namespace xm {

// The closes of one CSV text, on or before `lastDay` (days since the epoch), in date order.
// `name` labels errors: InputError "NAME:LINE: what is wrong" for a missing Date or Close column,
// a bad date, a close that is not a finite number > 0, a volume that is not a finite number >= 0,
// dates that do not increase, a line over 4096 bytes or one with a NUL byte.
std::vector<DailyClose> parsePriceCsv(std::string_view text, const std::string& name,
                                      long long lastDay);

// Where price files come from: a folder on disk (the command line), or files held in memory (the
// fuzzer). `read` gives a file's text by name, or nullopt when there is no such file.
struct PriceFolder {
  std::string label;  // the folder's path, for messages
  std::function<std::optional<std::string>(const std::string& file)> read;
};
// Throws io_error when `dir` is not a directory; a file that exists but is not a readable regular
// file is an io_error when read.
PriceFolder directoryFolder(const std::string& dir);
PriceFolder memoryFolder(std::string label, std::map<std::string, std::string> files);

// Loads every market asset but the base currency whose file <ASSET><suffix> exists into
// market.history (closes on or before market.as_of). Returns how many assets got a history.
// Throws InputError naming the file and line for a malformed file. The suffix "-DVOL_1d.csv"
// reads data/implied_vol/'s implied-vol indices the same way (date, close in percent).
int loadPriceFiles(const PriceFolder& folder, Market& market,
                   const std::string& suffix = "-USD_1d.csv");
int loadPriceFiles(const std::string& dir, Market& market,
                   const std::string& suffix = "-USD_1d.csv");

// Attaches implied-vol indices, <ASSET>-DVOL_1d.csv (date, close in percent: data/implied_vol/),
// to the closes already in market.history as their `iv` (close / 100), day by day; index days
// without a close are ignored. Returns how many assets got one.
int loadImpliedVolFiles(const PriceFolder& folder, Market& market);
int loadImpliedVolFiles(const std::string& dir, Market& market);

// Attaches already parsed indices (by asset) the same way; the fuzzer and the file loader share it.
int attachImpliedVol(const MarketHistory& indices, Market& market);

}  // namespace xm
