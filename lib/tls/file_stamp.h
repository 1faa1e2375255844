// FileStamp: what identifies a file's content cheaply (device, inode, size, modification
// time), so that a TLS context can be rebuilt when its certificate, key or CA file is
// replaced on disk (renewed in place or swapped by rename) without reading the files.
//
//   auto seen = tls::file_stamps({config.cert_file, config.key_file});
//   if (tls::file_stamps({config.cert_file, config.key_file}) != seen) rebuild();
//
// An empty path or a file that cannot be stat'ed has the empty stamp. Plain functions on
// values: safe for concurrent use.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace logpulse::tls {

std::string file_stamp(const std::string& path);
std::vector<std::string> file_stamps(std::initializer_list<std::string> paths);

}  // namespace logpulse::tls
