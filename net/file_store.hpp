// A DurableStore kept in a data directory: an append-only log of put/erase records,
// each with a checksum, made durable with fdatasync before the host executes any later
// effect. On start the log is replayed; a torn record at the tail (a crash mid-write)
// ends the replay and is cut off. When the log grows well beyond its live contents it is
// rewritten to a temporary file, fsynced and renamed over the old one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "protocols/common/host.hpp"

namespace knhk::net {

class FileStore {
 public:
  // Opens (creating if needed) DIR/store.log and replays it. Throws std::runtime_error
  // if the directory cannot be used.
  // With `fsync` false, writes reach the kernel (they survive SIGKILL of the process)
  // but not necessarily the disk (a power loss may lose the newest of them).
  explicit FileStore(std::filesystem::path dir, bool fsync = true);
  ~FileStore();
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  const DurableStore& contents() const { return contents_; }
  // Applies one write in memory and queues it for the log.
  void stage(const PersistEffect& e);
  // Writes queued records and waits until they are on disk. No-op when nothing is queued.
  void sync();

  std::uint64_t syncs() const { return syncs_; }
  std::uint64_t recovered_records() const { return recovered_records_; }
  std::uint64_t discarded_tail_bytes() const { return discarded_tail_bytes_; }

 private:
  void replay();
  void compact();
  void open_for_append();

  std::filesystem::path dir_;
  bool fsync_ = true;
  std::filesystem::path log_path_;
  int fd_ = -1;
  DurableStore contents_;
  std::string pending_;
  std::uint64_t log_bytes_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t syncs_ = 0;
  std::uint64_t recovered_records_ = 0;
  std::uint64_t discarded_tail_bytes_ = 0;
};

}  // namespace knhk::net
