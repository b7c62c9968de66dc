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

class InputError : public std::runtime_error {
 public:
  InputError(std::string path, const std::string& message, std::string code = "invalid_request",
             int httpStatus = 400)
      : std::runtime_error(message),
        path_(std::move(path)),
        code_(std::move(code)),
        httpStatus_(httpStatus) {}

  const std::string& path() const { return path_; }
  const std::string& code() const { return code_; }
  int httpStatus() const { return httpStatus_; }

 private:
  std::string path_;
  std::string code_;
  int httpStatus_;
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

}  // namespace xm

#define XM_ASSERT(cond, msg)                                        \
  do {                                                              \
    if (!(cond)) ::xm::failAssert(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
