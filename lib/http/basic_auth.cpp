#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

namespace logpulse::http {

namespace {

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (text.ends_with("==")) size -= 2;
  else if (text.ends_with("=")) size -= 1;
  out.resize(size);
  return out;
}

}  // namespace

BasicAuth::BasicAuth(std::vector<config::BasicAuthUser> users) : users_(std::move(users)) {}

std::optional<BasicAuth::Credentials> BasicAuth::parse(std::string_view authorization) {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  auto decoded = base64_decode(authorization);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

BasicAuth::Digest BasicAuth::digest(const Credentials& credentials) const {
  // The NUL keeps ("a", "b:c") and ("a:b", "c") apart.
  std::string pair = credentials.user;
  pair.push_back('\0');
  pair += credentials.password;
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(pair.data()), pair.size(), out.data());
  OPENSSL_cleanse(pair.data(), pair.size());
  return out;
}

std::size_t BasicAuth::DigestHash::operator()(const Digest& d) const noexcept {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

bool BasicAuth::remembered(const Credentials& credentials) const {
  const Digest key = digest(credentials);
  std::lock_guard lock(mutex_);
  return verified_.count(key) != 0;
}

bool BasicAuth::verify(const Credentials& credentials) {
  // crypt_r reads a C string: a password with a NUL would be checked cut short.
  const bool has_nul = credentials.password.find('\0') != std::string::npos;
  const config::BasicAuthUser* user = nullptr;
  for (const auto& candidate : users_)
    if (candidate.name == credentials.user) user = &candidate;
  // An unknown user costs the same bcrypt: the first user's hash serves as the setting
  // (its salt and cost), and the result is then ignored.
  const std::string& hash = user != nullptr ? user->hash : users_.front().hash;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof *data);
  const char* result = crypt_r(credentials.password.c_str(), hash.c_str(), data.get());
  const bool match = result != nullptr && std::strlen(result) == hash.size() &&
                     CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof *data);
  if (user == nullptr || !match || has_nul) return false;
  const Digest key = digest(credentials);
  std::lock_guard lock(mutex_);
  if (verified_.size() >= kMaxVerifiedPairs) verified_.clear();
  verified_.insert(key);
  return true;
}

}  // namespace logpulse::http
