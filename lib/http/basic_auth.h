// BasicAuth: checks HTTP Basic credentials against web.basic_auth_users (bcrypt hashes).
// A verified (user, password) pair is remembered by a SHA-256 digest of the pair (never the
// password itself), at most kMaxVerifiedPairs of them, so a scrape every few seconds pays
// bcrypt once. A wrong password costs one bcrypt, as a right one does the first time, and
// so does an unknown user (checked against a known user's salt and cost).
//
//   BasicAuth auth(config.web.basic_auth_users);
//   auto credentials = BasicAuth::parse(request[http::field::authorization]);
//   if (!credentials) -> 401;  if (auth.remembered(*credentials)) -> ok;
//   else auth.verify(*credentials)   // bcrypt: tens of milliseconds; run it off the I/O thread
//
// Thread safe: verify() runs on a worker thread while the server's thread asks remembered().
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/config.h"

namespace logpulse::http {

// The realm in WWW-Authenticate.
inline constexpr std::string_view kAuthRealm = "logpulse";
// Distinct verified pairs remembered; the set is emptied when full (a flood of valid
// passwords for many users, which only costs them a bcrypt again).
inline constexpr std::size_t kMaxVerifiedPairs = 1024;

class BasicAuth {
 public:
  struct Credentials {
    std::string user;
    std::string password;
  };

  // `users` must not be empty; their hashes were checked by the configuration loader.
  explicit BasicAuth(std::vector<config::BasicAuthUser> users);
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // The credentials of an Authorization header value ("Basic base64(user:password)");
  // nullopt when it is absent, of another scheme or malformed.
  static std::optional<Credentials> parse(std::string_view authorization);

  // Whether this pair was verified before: cheap, no bcrypt.
  bool remembered(const Credentials& credentials) const;
  // Runs bcrypt (always exactly one); remembers the pair when it is right.
  bool verify(const Credentials& credentials);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept;
  };
  Digest digest(const Credentials& credentials) const;

  std::vector<config::BasicAuthUser> users_;
  mutable std::mutex mutex_;
  std::unordered_set<Digest, DigestHash> verified_;  // guarded by mutex_
};

}  // namespace logpulse::http
