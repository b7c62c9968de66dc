#pragma once
// Two tiers of failure (see STYLE.md):
//  - InputError: the caller's mistake. Carries the contract's error code, a message and a JSON
//    Pointer to the offending field; the CLI prints it and exits 2, HTTP answers 4xx.
//  - XM_ASSERT: a broken invariant, i.e. a bug in xmargin. Always on; throws InternalError,
//    which the boundaries report as a 500 / exit 1 without internal detail.
// Plus BackendError for device failures (out of memory that batching could not absorb, a lost
// device): reported as 503 / exit 1 with the backend's message.

#include <stdexcept>
#include <string>

namespace xm {

// Every error the contract names (contract §5), and what each boundary does with it: the code in
// the envelope, the CLI's exit status, the HTTP status and the Retry-After seconds (0: none).
// The CLI (api/cli) and the server (api/http) both answer from this table.
enum class ErrorKind {
  InvalidRequest,
  Usage,
  IoError,
  LimitExceeded,
  PayloadTooLarge,
  UnsupportedMediaType,
  RequestTimeout,
  BackendUnavailable,
  Unauthorized,
  NotFound,
  MethodNotAllowed,
  LengthRequired,
  UriTooLong,
  HeadersTooLarge,
  NotImplemented,
  Http,
  Overloaded,
  DeadlineExceeded,
  BackendError,
  OutOfMemory,
  Internal,
};

struct ErrorKindInfo {
  ErrorKind kind;
  const char* code;
  int exitStatus;
  int httpStatus;
  int retryAfterSeconds;
};

inline constexpr ErrorKindInfo kErrorKinds[] = {
    {ErrorKind::InvalidRequest, "invalid_request", 2, 400, 0},
    {ErrorKind::Usage, "usage", 2, 400, 0},
    {ErrorKind::IoError, "io_error", 2, 400, 0},
    {ErrorKind::LimitExceeded, "limit_exceeded", 2, 413, 0},
    {ErrorKind::PayloadTooLarge, "payload_too_large", 2, 413, 0},
    {ErrorKind::UnsupportedMediaType, "unsupported_media_type", 2, 415, 0},
    {ErrorKind::RequestTimeout, "request_timeout", 2, 408, 0},
    {ErrorKind::BackendUnavailable, "backend_unavailable", 2, 503, 0},
    {ErrorKind::Unauthorized, "unauthorized", 2, 401, 0},
    {ErrorKind::NotFound, "not_found", 2, 404, 0},
    {ErrorKind::MethodNotAllowed, "method_not_allowed", 2, 405, 0},
    {ErrorKind::LengthRequired, "length_required", 2, 411, 0},
    {ErrorKind::UriTooLong, "uri_too_long", 2, 414, 0},
    {ErrorKind::HeadersTooLarge, "headers_too_large", 2, 431, 0},
    {ErrorKind::NotImplemented, "not_implemented", 2, 501, 0},
    {ErrorKind::Http, "http_error", 2, 400, 0},  // another HTTP-level refusal: its own status
    {ErrorKind::Overloaded, "overloaded", 1, 503, 1},
    {ErrorKind::DeadlineExceeded, "deadline_exceeded", 1, 503, 5},
    {ErrorKind::BackendError, "backend_error", 1, 503, 30},
    {ErrorKind::OutOfMemory, "out_of_memory", 1, 503, 30},
    {ErrorKind::Internal, "internal_error", 1, 500, 0},
};

constexpr const ErrorKindInfo& errorKindInfo(ErrorKind kind) {
  for (const ErrorKindInfo& k : kErrorKinds) {
    if (k.kind == kind) return k;
  }
  return kErrorKinds[sizeof kErrorKinds / sizeof kErrorKinds[0] - 1];
}

class InputError : public std::runtime_error {
 public:
  InputError(std::string path, const std::string& message,
             ErrorKind kind = ErrorKind::InvalidRequest)
      : std::runtime_error(message), path_(std::move(path)), kind_(kind) {}
  const std::string& path() const { return path_; }
  ErrorKind kind() const { return kind_; }
  std::string code() const { return errorKindInfo(kind_).code; }
  int httpStatus() const { return errorKindInfo(kind_).httpStatus; }

 private:
  std::string path_;
  ErrorKind kind_;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class BackendError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request ran past its time limit (EngineOptions::deadline): 503 with Retry-After.
class DeadlineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void failAssert(const char* expr, const char* file, int line,
                                    const std::string& msg) {
  throw InternalError(std::string("internal error: ") + msg + " (" + expr + " at " + file + ":" +
                      std::to_string(line) + ")");
}

// The exception in flight, as the boundaries report it (call it inside a catch): an InputError
// its kind, message and path; DeadlineError, BackendError and std::bad_alloc their kinds (the
// last with "not enough memory for this request"); anything else Internal with its what().
struct ErrorReport {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  std::string path;
};
ErrorReport reportCurrentException();

}  // namespace xm

#define XM_ASSERT(cond, msg)                                         \
  do {                                                               \
    if (!(cond)) ::xm::failAssert(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
