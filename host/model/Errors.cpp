#include "host/model/Errors.h"

#include <exception>
#include <new>

namespace xm {

ErrorReport reportCurrentException() {
  try {
    throw;
  } catch (const InputError& e) {
    return {e.kind(), e.what(), e.path()};
  } catch (const DeadlineError& e) {
    return {ErrorKind::DeadlineExceeded, e.what(), ""};
  } catch (const BackendError& e) {
    return {ErrorKind::BackendError, e.what(), ""};
  } catch (const std::bad_alloc&) {
    return {ErrorKind::OutOfMemory, "not enough memory for this request", ""};
  } catch (const std::exception& e) {
    return {ErrorKind::Internal, e.what(), ""};
  } catch (...) {
    return {ErrorKind::Internal, "internal error", ""};
  }
}

}  // namespace xm
