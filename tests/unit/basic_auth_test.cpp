#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "http/basic_auth.h"

using logpulse::http::BasicAuth;

namespace {
// python3 -c 'import crypt; print(crypt.crypt("pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**4)))'
// with its $2b$ spelled $2y$ as htpasswd writes it: cost 4 keeps the test fast.
const char* kHash = "$2y$04$r1NDryOXOTpRYWvmEFI/V..kfckixMniTy8A/N5bQZfPPQdE/JxHG";
}  // namespace

TEST_CASE("basic auth: the Authorization header is parsed") {
  auto c = BasicAuth::parse("Basic dXNlcjpwYTpzcw==");  // user:pa:ss
  REQUIRE(c);
  CHECK(c->user == "user");
  CHECK(c->password == "pa:ss");
  auto lower = BasicAuth::parse("basic  dTpw ");  // u:p
  REQUIRE(lower);
  CHECK(lower->user == "u");
  CHECK(lower->password == "p");
  CHECK_FALSE(BasicAuth::parse(""));
  CHECK_FALSE(BasicAuth::parse("Bearer dTpw"));
  CHECK_FALSE(BasicAuth::parse("Basic dXNlcg=="));  // no colon
  CHECK_FALSE(BasicAuth::parse("Basic !!!!"));
}

TEST_CASE("basic auth: bcrypt verifies, a verified pair is remembered, a wrong one never") {
  BasicAuth auth(std::vector<logpulse::config::BasicAuthUser>{{"prometheus", kHash}});
  BasicAuth::Credentials right{"prometheus", "pass"};
  BasicAuth::Credentials wrong{"prometheus", "pas"};
  BasicAuth::Credentials stranger{"nobody", "pass"};
  BasicAuth::Credentials nul{"prometheus", std::string("pass\0x", 6)};
  CHECK_FALSE(auth.remembered(right));
  CHECK(auth.verify(right));
  CHECK(auth.remembered(right));
  CHECK_FALSE(auth.verify(wrong));
  CHECK_FALSE(auth.remembered(wrong));
  CHECK_FALSE(auth.verify(stranger));
  CHECK_FALSE(auth.remembered(stranger));
  CHECK_FALSE(auth.verify(nul));
}

TEST_CASE("basic auth: an unknown user and a wrong password cost a bcrypt like a right one") {
  // Cost 10: about 50 ms a bcrypt, far above the noise of a shared machine.
  const char* slow = "$2b$10$E6Cb754RprOvpyF22qdOGOZTbuVRYcTX8NHCZESnrWB1hmiz6/XLi";  // "pass"
  // Best of three, each with a new BasicAuth (a verified pair is remembered): a loaded
  // machine can only slow a measurement down, never speed it up.
  auto time = [&](BasicAuth::Credentials c) {
    double best = 1e9;
    for (int round = 0; round < 3; ++round) {
      BasicAuth fresh(std::vector<logpulse::config::BasicAuthUser>{{"prometheus", slow}});
      auto start = std::chrono::steady_clock::now();
      fresh.verify(c);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
  };
  const double wrong = time({"prometheus", "nope"});
  const double unknown = time({"nobody", "nope"});
  const double right = time({"prometheus", "pass"});
  BasicAuth auth(std::vector<logpulse::config::BasicAuthUser>{{"prometheus", slow}});
  CHECK(auth.verify({"prometheus", "pass"}));
  CHECK(auth.remembered({"prometheus", "pass"}));
  // Each is one bcrypt at cost 10: none is a tenth of another.
  CHECK(wrong > right / 10);
  CHECK(unknown > right / 10);
  CHECK(right > wrong / 10);
}
