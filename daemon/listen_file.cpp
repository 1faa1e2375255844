#include "daemon/listen_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace logpulse {

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::string write_listen_file(const std::string& state_dir,
                              const std::vector<boost::asio::ip::tcp::endpoint>& endpoints) {
  std::string text;
  for (const auto& endpoint : endpoints) text += format_endpoint(endpoint) + "\n";
  const std::string final_path = state_dir + "/" + kListenFileName;
  const std::string temp_path = final_path + ".tmp";
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "open " + temp_path + ": " + std::strerror(errno);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string problem = "write " + temp_path + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(temp_path.c_str());
      return problem;
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    std::string problem = "rename " + temp_path + ": " + std::strerror(errno);
    ::unlink(temp_path.c_str());
    return problem;
  }
  return {};
}

std::vector<std::string> read_listen_file(const std::string& state_dir, std::string& error) {
  const std::string path = state_dir + "/" + kListenFileName;
  std::ifstream in(path);
  if (!in) {
    error = "open " + path + ": " + std::strerror(errno);
    return {};
  }
  std::vector<std::string> addresses;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) addresses.push_back(line);
  }
  return addresses;
}

}  // namespace logpulse
