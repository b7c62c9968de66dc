#pragma once
// The contract's JSON, all of it (contract §2, §4, §5): the request parser (RequestParser.h),
// the request writer (RequestWriter.h) and the response and error writers (ResponseWriter.h).
// Include the one you need; this header is for code that uses all three.

#include "api/json/Json.h"
#include "api/json/RequestParser.h"
#include "api/json/RequestWriter.h"
#include "api/json/ResponseWriter.h"
