#include "host/base/Files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <random>
#include <streambuf>
#include <vector>

#include "host/model/Errors.h"

namespace xm {
namespace {

[[noreturn]] void ioError(const std::string& message) {
  throw InputError("", message, ErrorKind::IoError);
}

std::string label(const std::string& path, const std::string& what) {
  return what.empty() ? path : what + " " + path;
}

const char* kindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Opens a regular file for reading. O_NONBLOCK: opening a FIFO must not wait for a writer.
int openRegular(const std::string& path, const std::string& what, off_t& size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) ioError("cannot read " + label(path, what) + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    ioError("cannot read " + label(path, what) + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    ioError("cannot read " + label(path, what) + ": it is " + kindOf(st.st_mode) +
            ", not a regular file (give a file, or - for standard input)");
  }
  size = st.st_size;
  return fd;
}

std::string readAll(int fd, const std::string& name) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EINTR) continue;
      ioError("reading " + name + " failed: " + std::strerror(errno));
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// A buffered std::streambuf over a file descriptor that remembers the first write error.
class FdStreamBuf final : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd), buffer_(1 << 16) { resetPut(); }
  int error() const { return error_; }
  bool flushAll() { return drain(); }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n <= epptr() - pptr()) {
      std::memcpy(pptr(), s, static_cast<size_t>(n));
      pbump(static_cast<int>(n));
      return n;
    }
    if (!drain() || !writeAll(s, static_cast<size_t>(n))) return 0;
    return n;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  void resetPut() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  bool drain() {
    const bool ok = writeAll(pbase(), static_cast<size_t>(pptr() - pbase()));
    resetPut();
    return ok;
  }
  bool writeAll(const char* p, size_t n) {
    if (error_) return false;
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

// Runs `write` into fd; returns 0 or the errno of the first failed write.
int writeTo(int fd, const std::function<void(std::ostream&)>& write) {
  FdStreamBuf buf(fd);
  std::ostream out(&buf);
  write(out);
  buf.flushAll();
  return buf.error();
}

std::string directoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string hiddenTemporaryName(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::random_device rd;
  return dir + "." + base + ".xmargin-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

mode_t currentUmask() {
  const mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

// Writes straight into an existing non-regular target (a device, a FIFO, a terminal).
void writeDirect(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) ioError("cannot write " + path + ": " + std::strerror(errno));
  int e = 0;
  try {
    e = writeTo(fd, write);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (e) ioError("writing " + path + " failed: " + std::strerror(e));
}

}  // namespace

std::string readInputFile(const std::string& path, const std::string& what) {
  if (path == "-")
    return readAll(STDIN_FILENO, what.empty() ? "standard input" : what + " (standard input)");
  off_t size = 0;
  const int fd = openRegular(path, what, size);
  try {
    std::string text = readAll(fd, label(path, what));
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

InputText::InputText(const std::string& path, const std::string& what) {
  if (path == "-") {
    owned_ = readInputFile(path, what);
    text_ = owned_;
    return;
  }
  off_t size = 0;
  const int fd = openRegular(path, what, size);
  if (size == 0) {  // nothing to map
    ::close(fd);
    return;
  }
  void* data = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  const int e = errno;
  ::close(fd);
  if (data == MAP_FAILED) ioError("cannot map " + label(path, what) + ": " + std::strerror(e));
  map_ = data;
  mapSize_ = static_cast<size_t>(size);
  text_ = std::string_view(static_cast<const char*>(data), mapSize_);
}

void InputText::dropPages(size_t begin, size_t end) const {
  if (!map_) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t first = (begin + page - 1) / page * page,
               last = std::min(end, mapSize_) / page * page;
  if (first < last) ::madvise(static_cast<char*>(map_) + first, last - first, MADV_DONTNEED);
}

InputText::~InputText() {
  if (map_) ::munmap(map_, mapSize_);
}

bool isRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) ioError("cannot write " + path + ": it is a directory");
    writeDirect(path, write);
    return;
  }
  const std::string dir = directoryOf(path);
  // An unnamed file first; a named temporary where the file system has no O_TMPFILE.
  std::string tmpName;
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  const bool unnamed = fd >= 0;
  if (!unnamed) {
    tmpName = hiddenTemporaryName(path);
    fd = ::open(tmpName.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666 & ~currentUmask());
    if (fd < 0) ioError("cannot write " + path + ": " + std::strerror(errno));
  }
  auto discard = [&] {
    ::close(fd);
    if (!tmpName.empty()) ::unlink(tmpName.c_str());
  };
  int e = 0;
  try {
    e = writeTo(fd, write);
  } catch (...) {
    discard();
    throw;
  }
  if (!e && ::fsync(fd) != 0) e = errno;
  if (e) {
    discard();
    ioError("writing " + path + " failed: " + std::strerror(e) + "; " + path + " is unchanged");
  }
  if (unnamed) {
    // Give the unnamed file a hidden name, then rename it over the target (link cannot replace).
    tmpName = hiddenTemporaryName(path);
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmpName.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      const int le = errno;
      tmpName.clear();
      discard();
      ioError("cannot write " + path + ": " + std::strerror(le));
    }
  }
  ::close(fd);
  if (::rename(tmpName.c_str(), path.c_str()) != 0) {
    const int re = errno;
    ::unlink(tmpName.c_str());
    ioError("cannot write " + path + ": " + std::strerror(re));
  }
  // The rename itself reaches the disk with the directory.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace xm
