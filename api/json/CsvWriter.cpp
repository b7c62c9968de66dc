#include "api/json/CsvWriter.h"

#include <algorithm>

#include "api/json/ResponseWriter.h"
#include "host/model/Errors.h"

namespace xm {
namespace {

// The object's fields as (dotted name, cell text), in the object's order; `skip` names arrays
// written as tables of their own.
void flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out,
             const std::vector<std::string>& skip) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (prefix.empty() && std::find(skip.begin(), skip.end(), it.key()) != skip.end()) continue;
    const Json& v = it.value();
    if (v.is_object())
      flatten(v, name, out, {});
    else if (v.is_string())
      out.emplace_back(name, v.get<std::string>());
    else if (v.is_null())
      out.emplace_back(name, "");
    else
      out.emplace_back(name, v.dump());  // numbers as JSON writes them: they read back exactly
  }
}

// One line: the cells, each as csvCell writes it, separated by commas.
void writeRow(std::ostream& out, const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line.push_back(',');
    line.append(csvCell(cells[i]));
  }
  out << line << "\n";
}

}  // namespace

std::string csvCell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

CsvResponseWriter::CsvResponseWriter(const MarginRequest& request, std::ostream& accounts,
                                     std::ostream& positions, std::ostream& collateral)
    : request_(request),
      accounts_{&accounts, {}},
      positions_{&positions, {}},
      collateral_{&collateral, {}} {}

void CsvResponseWriter::row(Table& t, const std::vector<std::string>& keys, const Json& object,
                            const std::vector<std::string>& keyNames) {
  std::vector<std::pair<std::string, std::string>> fields;
  flatten(object, "", fields, {"positions", "collateral"});
  if (!t.started) {
    t.started = true;
    std::vector<std::string> header = keyNames;
    for (const auto& f : fields) {
      t.index.emplace(f.first, t.index.size());
      header.push_back(f.first);
    }
    writeRow(*t.out, header);
  }
  // The key cells, then each field under its header's column (an absent field: an empty cell).
  std::vector<std::string> cells = keys;
  cells.resize(keys.size() + t.index.size());
  for (const auto& [name, text] : fields) {
    const auto it = t.index.find(name);
    if (it == t.index.end())
      throw InternalError("CSV: a row has the field " + name + " its table's header lacks");
    cells[keys.size() + it->second] = text;
  }
  writeRow(*t.out, cells);
}

void CsvResponseWriter::accounts(int64_t first, const std::vector<AccountResult>& results) {
  for (size_t i = 0; i < results.size(); ++i) {
    const Json a = accountToJson(request_, first + static_cast<int64_t>(i), results[i]);
    row(accounts_, {}, a, {});
    const std::string& id = a["id"].get_ref<const std::string&>();
    const Json& ps = a["positions"];
    for (size_t p = 0; p < ps.size(); ++p)
      row(positions_, {id, std::to_string(p)}, ps[p], {"account", "index"});
    const Json& cs = a["collateral"];
    for (size_t c = 0; c < cs.size(); ++c)
      row(collateral_, {id, std::to_string(c)}, cs[c], {"account", "index"});
  }
  for (Table* t : {&accounts_, &positions_, &collateral_}) {
    if (!*t->out) throw InputError("", "writing the CSV files failed", ErrorKind::IoError);
  }
}

void CsvResponseWriter::finish() {
  if (!accounts_.started) *accounts_.out << "id\n";
  if (!positions_.started) *positions_.out << "account,index\n";
  if (!collateral_.started) *collateral_.out << "account,index\n";
}

}  // namespace xm
