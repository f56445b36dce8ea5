#include "net/file_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "protocols/common/codec.hpp"
#include "protocols/common/digest.hpp"

namespace knhk::net {
namespace {

constexpr std::uint8_t kPut = 1;
constexpr std::uint8_t kErase = 2;
constexpr std::size_t kChecksumBytes = 8;

// Record: u32 body length | body (op, key, value) | 8-byte BLAKE2b prefix of the body.
void append_record(std::string& out, std::uint8_t op, const std::string& key, const Bytes& value) {
  Writer w;
  w.u8(op);
  w.string(key);
  w.bytes(value);
  const Bytes& body = w.bytes();
  Writer frame;
  frame.u32(static_cast<std::uint32_t>(body.size()));
  frame.raw(body);
  frame.u64(blake2b(body).prefix64());
  out.append(frame.bytes().begin(), frame.bytes().end());
}

std::uint64_t record_weight(const std::string& key, const Bytes& value) {
  return 4 + 1 + 4 + key.size() + 4 + value.size() + kChecksumBytes;
}

void write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(path.string() + ": write failed: " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

FileStore::FileStore(std::filesystem::path dir, bool fsync) : dir_(std::move(dir)), fsync_(fsync) {
  std::filesystem::create_directories(dir_);
  log_path_ = dir_ / "store.log";
  replay();
  open_for_append();
}

FileStore::~FileStore() {
  if (fd_ >= 0) {
    try {
      sync();
    } catch (const std::exception&) {
    }
    ::close(fd_);
  }
}

void FileStore::replay() {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return;
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 0;
  const std::span<const std::uint8_t> all(data);
  while (pos + 4 <= data.size()) {
    Reader header(all.subspan(pos, 4));
    std::size_t body_len = header.u32();
    if (body_len > data.size() - pos - 4 || data.size() - pos - 4 - body_len < kChecksumBytes)
      break;
    auto body = all.subspan(pos + 4, body_len);
    Reader sum(all.subspan(pos + 4 + body_len, kChecksumBytes));
    if (sum.u64() != blake2b(body).prefix64()) break;
    try {
      Reader r(body);
      std::uint8_t op = r.u8();
      std::string key = r.string();
      Bytes value = r.bytes();
      if (op == kPut) contents_[key] = std::move(value);
      if (op == kErase) contents_.erase(key);
    } catch (const DecodeError&) {
      break;
    }
    pos += 4 + body_len + kChecksumBytes;
    ++recovered_records_;
  }
  discarded_tail_bytes_ = data.size() - pos;
  if (discarded_tail_bytes_ > 0) std::filesystem::resize_file(log_path_, pos);
  log_bytes_ = pos;
  for (const auto& [k, v] : contents_) live_bytes_ += record_weight(k, v);
}

void FileStore::open_for_append() {
  fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd_ < 0)
    throw std::runtime_error(log_path_.string() + ": cannot open: " + std::strerror(errno));
  fsync_dir(dir_);
}

void FileStore::stage(const PersistEffect& e) {
  auto old = contents_.find(e.key);
  if (old != contents_.end()) live_bytes_ -= record_weight(old->first, old->second);
  if (e.erase) {
    if (old != contents_.end()) contents_.erase(old);
    append_record(pending_, kErase, e.key, {});
    return;
  }
  contents_[e.key] = e.value;
  live_bytes_ += record_weight(e.key, e.value);
  append_record(pending_, kPut, e.key, e.value);
}

void FileStore::sync() {
  if (pending_.empty()) return;
  write_all(fd_, pending_, log_path_);
  if (fsync_ && ::fdatasync(fd_) != 0)
    throw std::runtime_error(log_path_.string() + ": fdatasync failed: " + std::strerror(errno));
  log_bytes_ += pending_.size();
  pending_.clear();
  ++syncs_;
  if (log_bytes_ > 4 * live_bytes_ + (8u << 20)) compact();
}

void FileStore::compact() {
  std::string image;
  for (const auto& [k, v] : contents_) append_record(image, kPut, k, v);
  auto tmp = dir_ / "store.log.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error(tmp.string() + ": cannot create: " + std::strerror(errno));
  write_all(fd, image, tmp);
  if (::fsync(fd) != 0) throw std::runtime_error(tmp.string() + ": fsync failed");
  ::close(fd);
  std::filesystem::rename(tmp, log_path_);  // atomic: old or new log, never half of one
  fsync_dir(dir_);
  ::close(fd_);
  open_for_append();
  log_bytes_ = image.size();
}

}  // namespace knhk::net
