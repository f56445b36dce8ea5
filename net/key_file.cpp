#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "net/cluster_file.hpp"

namespace knhk::net {
namespace {

// The ed25519 secret key in libsodium's layout is seed || public key.
std::array<std::uint8_t, 32> seed_of(const Ed25519KeyPair& k) {
  std::array<std::uint8_t, 32> seed{};
  std::memcpy(seed.data(), k.secret_key.data(), seed.size());
  return seed;
}

std::string principal_text(Principal p) {
  return std::string(p.kind == Principal::Kind::replica ? "replica " : "client ") +
         std::to_string(p.id);
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

bool from_hex(const std::string& hex, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

std::filesystem::path node_key_path(const std::filesystem::path& dir, NodeId id) {
  return dir / ("node-" + std::to_string(id.value) + ".key");
}
std::filesystem::path client_key_path(const std::filesystem::path& dir, ClientId id) {
  return dir / ("client-" + std::to_string(id.value) + ".key");
}

void write_key_file(const std::filesystem::path& path, const KeyFile& k) {
  std::ostringstream text;
  text << "# knhk secret key: keep private\n"
       << "principal: " << principal_text(k.principal) << "\n"
       << "seed: " << to_hex(seed_of(k.keys)) << "\n"
       << "public_key: " << to_hex(k.keys.public_key) << "\n";
  std::string body = text.str();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw ConfigError(path.string() + ": cannot create: " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw ConfigError(path.string() + ": cannot write key file");
}

KeyFile load_key_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open key file");
  std::map<std::string, std::string> fields;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos) throw ConfigError(path.string() + ": malformed line");
    fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  std::array<std::uint8_t, 32> seed{};
  if (!fields.count("seed") || !from_hex(fields["seed"], seed))
    throw ConfigError(path.string() + ": missing or malformed seed");
  KeyFile k;
  std::istringstream principal(fields["principal"]);
  std::string kind;
  principal >> kind >> k.principal.id;
  if (kind != "replica" && kind != "client")
    throw ConfigError(path.string() + ": malformed principal");
  k.principal.kind = kind == "replica" ? Principal::Kind::replica : Principal::Kind::client;
  k.keys = ed25519_keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  PublicKey listed{};
  if (!from_hex(fields["public_key"], listed) || listed != k.keys.public_key)
    throw ConfigError(path.string() + ": public key does not match the seed");
  return k;
}

}  // namespace knhk::net
