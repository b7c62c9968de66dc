#include "api/json/Json.h"

namespace xm {

std::string toText(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace xm
