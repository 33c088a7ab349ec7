#include "collector/pki/authority.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "common/log/log.h"
#include "common/util/files.h"

namespace posture::collector {
namespace fs = std::filesystem;

namespace {
std::string mustRead(const fs::path& p) {
  auto content = util::readFile(p);
  if (!content) throw std::runtime_error("cannot read " + p.string());
  return *content;
}

bool isIp(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec;
}
}  // namespace

crypto::CertificateAuthority loadCa(const fs::path& dataDir) {
  if (!fs::exists(dataDir / "ca.crt")) {
    throw std::runtime_error("no CA in " + dataDir.string() +
                             " (start `posture-collector serve` once to create it)");
  }
  return {mustRead(dataDir / "ca.crt"), mustRead(dataDir / "ca.key")};
}

ServerIdentity loadOrCreateIdentity(const fs::path& dataDir,
                                    const std::vector<std::string>& extraNames) {
  fs::create_directories(dataDir);
  ServerIdentity id;
  if (fs::exists(dataDir / "ca.crt")) {
    id.ca = loadCa(dataDir);
  } else {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    id.ca = crypto::createCertificateAuthority(std::string("Posture collector CA ") + host,
                                               3650);
    util::writeFileAtomic(dataDir / "ca.key", id.ca.keyPem, 0600);
    util::writeFileAtomic(dataDir / "ca.crt", id.ca.certPem, 0644);
    log::info("created the collector CA in ", dataDir.string());
  }
  id.caFingerprint = crypto::certificateFingerprint(id.ca.certPem);

  std::vector<std::string> dns{"localhost"}, ips{"127.0.0.1", "::1"};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) dns.emplace_back(host);
  for (const auto& n : extraNames) {
    if (n.empty() || n == "0.0.0.0" || n == "::") continue;
    auto& list = isIp(n) ? ips : dns;
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }

  bool reissue = !fs::exists(dataDir / "server.crt");
  if (!reissue) {
    id.serverCertPem = mustRead(dataDir / "server.crt");
    id.serverKeyPem = mustRead(dataDir / "server.key");
    auto info = crypto::inspectCertificate(id.serverCertPem);
    std::string why;
    for (const auto& d : dns) {
      if (std::find(info.dnsNames.begin(), info.dnsNames.end(), d) == info.dnsNames.end()) reissue = true;
    }
    for (const auto& ip : ips) {
      auto norm = boost::asio::ip::make_address(ip).to_string();
      bool found = false;
      for (const auto& have : info.ipAddresses) {
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(have, ec);
        if (!ec && a.to_string() == norm) found = true;
      }
      if (!found) reissue = true;
    }
    if (!crypto::verifyCertificate(id.serverCertPem, id.ca.certPem, &why)) reissue = true;
    // Renew well before expiry.
    if (info.notAfter - 30 * 86400 < static_cast<std::int64_t>(::time(nullptr))) reissue = true;
  }
  if (reissue) {
    id.serverKeyPem = crypto::generatePrivateKeyPem();
    id.serverCertPem = crypto::issueServerCertificate(id.ca, {id.serverKeyPem, dns, ips, 825});
    util::writeFileAtomic(dataDir / "server.key", id.serverKeyPem, 0600);
    util::writeFileAtomic(dataDir / "server.crt", id.serverCertPem, 0644);
    log::info("issued the collector's server certificate");
  }
  return id;
}

}  // namespace posture::collector
