#pragma once
// Certificates for TLS tests, made with the OpenSSL API (no openssl command needed): a CA, a
// server certificate it signs for "localhost" and 127.0.0.1, and a self-signed certificate for
// the same names that nobody trusts. EC P-256 keys; PEM files in a temporary directory that is
// removed with the object.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace test_support {

namespace certificate_detail {

struct key_deleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct x509_deleter {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

inline key_ptr make_p256_key() {
  key_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  require(key != nullptr, "P-256 key generation");
  return key;
}

/// Adds an extension written in openssl.cnf syntax ("critical,CA:TRUE").
inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  require(extension != nullptr, value);
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  require(added == 1, "X509_add_ext");
}

/// A v3 certificate for `key`, named `common_name`, signed by `issuer_key` (the issuer's name
/// taken from `issuer`, or the certificate's own when it signs itself).
inline x509_ptr make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                                 bool is_ca, long serial) {
  x509_ptr cert(X509_new());
  require(cert != nullptr, "X509_new");
  X509* c = cert.get();
  require(X509_set_version(c, 2) == 1, "X509_set_version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(c), serial) == 1, "serial number");
  require(X509_gmtime_adj(X509_getm_notBefore(c), -3600) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(c), 7L * 24 * 3600) != nullptr, "notAfter");
  require(X509_set_pubkey(c, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(c);
  require(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("uring_cannon tests"),
                                     -1, -1, 0) == 1, "O");
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1,
                                     -1, 0) == 1, "CN");
  X509* signer = issuer != nullptr ? issuer : c;
  require(X509_set_issuer_name(c, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");
  add_extension(c, signer, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_extension(c, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(c, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(c, signer, NID_key_usage, "critical,digitalSignature");
    add_extension(c, signer, NID_ext_key_usage, "serverAuth");
    add_extension(c, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  if (issuer != nullptr) add_extension(c, signer, NID_authority_key_identifier, "keyid:always");
  require(X509_sign(c, issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

inline void write_pem(const std::string& path, X509* cert) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  require(file != nullptr, "opening a PEM file");
  const bool ok = PEM_write_X509(file, cert) == 1;
  std::fclose(file);
  require(ok, "PEM_write_X509");
}

inline void write_pem(const std::string& path, EVP_PKEY* key) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  require(file != nullptr, "opening a PEM file");
  const bool ok = PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(file);
  require(ok, "PEM_write_PrivateKey");
}

}  // namespace certificate_detail

/// The files a TLS test needs, made fresh in a temporary directory.
class test_certificates {
 public:
  test_certificates() {
    namespace cd = certificate_detail;
    char pattern[] = "/tmp/uring_cannon_tls_XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("test certificate: mkdtemp failed");
    dir_ = pattern;
    auto ca_key = cd::make_p256_key();
    auto ca = cd::make_certificate(ca_key.get(), "uring_cannon test CA", nullptr, ca_key.get(), true, 1);
    auto server_key = cd::make_p256_key();
    auto server = cd::make_certificate(server_key.get(), "localhost", ca.get(), ca_key.get(), false, 2);
    auto stranger_key = cd::make_p256_key();
    auto stranger = cd::make_certificate(stranger_key.get(), "localhost", nullptr, stranger_key.get(), false, 3);
    cd::write_pem(ca_file(), ca.get());
    cd::write_pem(server_cert_file(), server.get());
    cd::write_pem(server_key_file(), server_key.get());
    cd::write_pem(self_signed_cert_file(), stranger.get());
    cd::write_pem(self_signed_key_file(), stranger_key.get());
  }
  test_certificates(const test_certificates&) = delete;
  test_certificates& operator=(const test_certificates&) = delete;
  ~test_certificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::string& dir() const noexcept { return dir_; }
  /// The CA that signed the server certificate.
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  /// For "localhost" and 127.0.0.1, signed by the CA.
  std::string server_cert_file() const { return dir_ + "/server.pem"; }
  std::string server_key_file() const { return dir_ + "/server.key"; }
  /// For the same names, signed by its own key.
  std::string self_signed_cert_file() const { return dir_ + "/self_signed.pem"; }
  std::string self_signed_key_file() const { return dir_ + "/self_signed.key"; }

 private:
  std::string dir_;
};

}  // namespace test_support
