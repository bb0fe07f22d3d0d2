#pragma once
// TLS as a byte transformer: OpenSSL encrypts and decrypts between two memory BIOs and never
// touches a socket, so the ciphertext travels through the same io_uring operations as any other
// bytes (tls_stream.hpp has the coroutines that move it). This header needs no ring; programs
// that use it link -lssl -lcrypto, and the rest of the library does not depend on it.
//
// kTLS: where the kernel offers the "tls" upper-layer protocol, the traffic keys could be handed
// to the socket after the handshake (setsockopt SOL_TLS, TLS_TX / TLS_RX) and plain sends and
// receives would then carry records encrypted by the kernel. The kernels this was built on do
// not offer it (kernel_tls_available() reads what this one offers), so the user-space path below
// is the one used everywhere.

#include <uring_cannon/or_error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uring_cannon {

/// A TLS protocol version; `any` leaves the bound to OpenSSL (and its system configuration).
enum class tls_version : int { any = 0, tls1_2 = TLS1_2_VERSION, tls1_3 = TLS1_3_VERSION };

/// Reads "1.2", "1.3", "TLSv1.2" or "TLSv1.3" (as a CLI flag would spell them).
inline or_error<tls_version> parse_tls_version(std::string_view text) {
  if (text.size() > 4 && (text.substr(0, 4) == "TLSv" || text.substr(0, 4) == "tlsv")) text.remove_prefix(4);
  if (text == "1.2") return tls_version::tls1_2;
  if (text == "1.3") return tls_version::tls1_3;
  return or_error<tls_version>::failure("unknown TLS version '" + std::string(text) + "' (expected 1.2 or 1.3)");
}

/// How a client context checks servers and what it offers them.
struct tls_client_options {
  bool insecure = false;               ///< skip certificate and host name verification
  std::string ca_file{};               ///< PEM file of trusted CAs; empty: the system's store
  std::string alpn = "http/1.1";       ///< protocols offered, comma-separated; empty: no ALPN
  tls_version min_version = tls_version::tls1_2;
  tls_version max_version = tls_version::any;
};

/// What a server context presents.
struct tls_server_options {
  std::string cert_file{};             ///< PEM certificate chain, leaf first
  std::string key_file{};              ///< PEM private key of the leaf
  std::string alpn = "http/1.1";       ///< protocols accepted, comma-separated, preferred first
  tls_version min_version = tls_version::tls1_2;
  tls_version max_version = tls_version::any;
};

namespace detail {

/// What a context keeps beside its SSL_CTX. It lives in the SSL_CTX's ex_data and dies with the
/// SSL_CTX, so sessions (which hold a reference to it) never outlive it, however contexts move.
struct tls_context_state {
  std::string alpn_wire;  ///< the server's accepted protocols, in ALPN wire format

  // The client's resumption memory: the last session per context. A load generator reconnects
  // to one target, so one session is enough; the lock makes sharing a context across threads
  // safe, and is taken once per connection and once per ticket, never per record.
  std::mutex session_lock;
  SSL_SESSION* last_session = nullptr;
  std::string last_server_name;
  std::atomic<std::uint64_t> resumptions{0};
  std::atomic<std::uint64_t> full_handshakes{0};

  tls_context_state() = default;
  tls_context_state(const tls_context_state&) = delete;
  tls_context_state& operator=(const tls_context_state&) = delete;
  ~tls_context_state() {
    if (last_session != nullptr) SSL_SESSION_free(last_session);
  }

  void remember(SSL_SESSION* session, std::string_view server_name) {
    std::lock_guard lock(session_lock);
    if (last_session != nullptr) SSL_SESSION_free(last_session);
    last_session = session;
    last_server_name.assign(server_name);
  }
  void forget() {
    std::lock_guard lock(session_lock);
    if (last_session != nullptr) SSL_SESSION_free(last_session);
    last_session = nullptr;
    last_server_name.clear();
  }
  /// Offers the remembered session to `ssl` when it was made with the same server.
  void offer(SSL* ssl, std::string_view server_name) {
    std::lock_guard lock(session_lock);
    if (last_session != nullptr && last_server_name == server_name) SSL_set_session(ssl, last_session);
  }
};

inline void free_tls_context_state(void*, void* state, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<tls_context_state*>(state);
}

inline int tls_context_state_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_tls_context_state);
  return index;
}

inline tls_context_state* context_state(const SSL_CTX* ctx) {
  return static_cast<tls_context_state*>(SSL_CTX_get_ex_data(ctx, tls_context_state_index()));
}

/// One queued OpenSSL error as words: its reason, and the detail OpenSSL attached, if any.
inline std::string openssl_error_words(unsigned long code, const char* detail) {
  std::string text;
  if (const char* reason = ERR_reason_error_string(code)) {
    text = reason;
  } else {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  }
  if (detail != nullptr && *detail != '\0') text.append(" (").append(detail).append(")");
  return text;
}

/// The oldest error on this thread's OpenSSL queue as words (the oldest from library
/// `preferred` when there is one: the record layer's "decryption failed or bad record mac"
/// says more than the provider's "cipher operation failed" beneath it), and the queue emptied.
inline std::string take_openssl_error(int preferred = 0) {
  std::string text;
  bool took_preferred = false;
  for (;;) {
    const char* detail = nullptr;
    int flags = 0;
    const unsigned long code = ERR_peek_error_all(nullptr, nullptr, nullptr, &detail, &flags);
    if (code == 0) break;
    const bool is_preferred = preferred != 0 && ERR_GET_LIB(code) == preferred;
    if (text.empty() || (is_preferred && !took_preferred)) {
      text = openssl_error_words(code, (flags & ERR_TXT_STRING) ? detail : nullptr);
      took_preferred = is_preferred;
    }
    ERR_get_error();
  }
  return text.empty() ? std::string("unknown error") : text;
}

/// "http/1.1,h2" -> "\x08http/1.1\x02h2" (RFC 7301 wire format), or the entry that cannot be.
inline or_error<std::string> alpn_wire_format(std::string_view list) {
  std::string wire;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty() || name.size() > 255)
      return or_error<std::string>::failure("TLS: bad ALPN protocol name '" + std::string(name) + "'");
    wire += char(name.size());
    wire += name;
  }
  return wire;
}

/// Applies the version bounds and the ALPN list every context shares, and gives it its state.
inline or_error<bool> configure_common(SSL_CTX* ctx, tls_version min, tls_version max, std::string_view alpn,
                                       bool is_server) {
  using result = or_error<bool>;
  if (min != tls_version::any && SSL_CTX_set_min_proto_version(ctx, int(min)) != 1)
    return result::failure("TLS: cannot set the minimum version: " + take_openssl_error());
  if (max != tls_version::any && SSL_CTX_set_max_proto_version(ctx, int(max)) != 1)
    return result::failure("TLS: cannot set the maximum version: " + take_openssl_error());
  if (min != tls_version::any && max != tls_version::any && int(min) > int(max))
    return result::failure("TLS: the minimum version is above the maximum");
  // Renegotiation would make a read want to write in the middle of a stream; nobody needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  auto wire = alpn_wire_format(alpn);
  if (!wire) return result::failure(wire.error());
  auto* state = new tls_context_state;
  if (SSL_CTX_set_ex_data(ctx, tls_context_state_index(), state) != 1) {
    delete state;
    return result::failure("TLS: out of memory");
  }
  if (!wire->empty() && !is_server &&
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire->data()), unsigned(wire->size())) != 0)
    return result::failure("TLS: cannot set ALPN: " + take_openssl_error());
  state->alpn_wire = std::move(*wire);
  return true;
}

/// Why a file cannot be opened, before OpenSSL's less direct words about it.
inline std::string unreadable_file_reason(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return std::strerror(errno);
  std::fclose(file);
  return {};
}

/// Owns one SSL_CTX reference.
class ssl_ctx_handle {
 public:
  ssl_ctx_handle() noexcept = default;
  explicit ssl_ctx_handle(SSL_CTX* ctx) noexcept : ctx_(ctx) {}
  ssl_ctx_handle(ssl_ctx_handle&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  ssl_ctx_handle& operator=(ssl_ctx_handle&& other) noexcept {
    if (this != &other) {
      reset();
      ctx_ = std::exchange(other.ctx_, nullptr);
    }
    return *this;
  }
  ssl_ctx_handle(const ssl_ctx_handle&) = delete;
  ssl_ctx_handle& operator=(const ssl_ctx_handle&) = delete;
  ~ssl_ctx_handle() { reset(); }

  SSL_CTX* get() const noexcept { return ctx_; }
  void reset() noexcept {
    if (ctx_ != nullptr) SSL_CTX_free(std::exchange(ctx_, nullptr));
  }

 private:
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace detail

/// A client's TLS configuration (an SSL_CTX): trust, ALPN, versions, and the last session so a
/// reconnect to the same server resumes. Movable; sessions started from it keep what they need
/// alive, so it may die before them. Safe to share between threads.
class tls_client_context {
 public:
  tls_client_context() noexcept = default;

  /// Builds a context; a CA file that cannot be read or holds no certificate is a clear error.
  static or_error<tls_client_context> create(const tls_client_options& options) {
    using result = or_error<tls_client_context>;
    tls_client_context made;
    made.ctx_ = detail::ssl_ctx_handle(SSL_CTX_new(TLS_client_method()));
    SSL_CTX* ctx = made.ctx_.get();
    if (ctx == nullptr) return result::failure("TLS: cannot create a client context: " + detail::take_openssl_error());
    if (auto common = detail::configure_common(ctx, options.min_version, options.max_version, options.alpn, false);
        !common)
      return result::failure(common.error());
    made.verifies_ = !options.insecure;
    if (!options.insecure) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      if (!options.ca_file.empty()) {
        if (auto why = detail::unreadable_file_reason(options.ca_file); !why.empty())
          return result::failure("TLS: cannot read CA file '" + options.ca_file + "': " + why);
        if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1)
          return result::failure("TLS: no usable certificate in CA file '" + options.ca_file +
                                 "': " + detail::take_openssl_error());
      } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return result::failure("TLS: cannot load the system's trusted certificates: " + detail::take_openssl_error());
      }
    }
    // Sessions are kept by the callback (one per context), not in OpenSSL's internal store.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &tls_client_context::on_new_session);
    return made;
  }

  SSL_CTX* native() const noexcept { return ctx_.get(); }
  explicit operator bool() const noexcept { return ctx_.get() != nullptr; }
  /// False when built with `insecure`.
  bool verifies() const noexcept { return verifies_; }
  /// Handshakes that resumed a session / that did not, over every session of this context.
  std::uint64_t resumptions() const noexcept {
    auto* s = state();
    return s == nullptr ? 0 : s->resumptions.load(std::memory_order_relaxed);
  }
  std::uint64_t full_handshakes() const noexcept {
    auto* s = state();
    return s == nullptr ? 0 : s->full_handshakes.load(std::memory_order_relaxed);
  }
  /// Drops the remembered session: the next connection does a full handshake.
  void forget_session() noexcept {
    if (auto* s = state()) s->forget();
  }

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);  // defined after tls_session
  detail::tls_context_state* state() const noexcept {
    return ctx_.get() == nullptr ? nullptr : detail::context_state(ctx_.get());
  }

  detail::ssl_ctx_handle ctx_;
  bool verifies_ = true;
};

/// A server's TLS configuration: certificate and key, ALPN selection (http/1.1 by default), and
/// resumption through OpenSSL's session cache and tickets (TLS 1.2 and 1.3).
class tls_server_context {
 public:
  tls_server_context() noexcept = default;

  static or_error<tls_server_context> create(const tls_server_options& options) {
    using result = or_error<tls_server_context>;
    tls_server_context made;
    made.ctx_ = detail::ssl_ctx_handle(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = made.ctx_.get();
    if (ctx == nullptr) return result::failure("TLS: cannot create a server context: " + detail::take_openssl_error());
    if (auto common = detail::configure_common(ctx, options.min_version, options.max_version, options.alpn, true);
        !common)
      return result::failure(common.error());
    if (auto why = detail::unreadable_file_reason(options.cert_file); !why.empty())
      return result::failure("TLS: cannot read certificate file '" + options.cert_file + "': " + why);
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1)
      return result::failure("TLS: no usable certificate in '" + options.cert_file + "': " + detail::take_openssl_error());
    if (auto why = detail::unreadable_file_reason(options.key_file); !why.empty())
      return result::failure("TLS: cannot read key file '" + options.key_file + "': " + why);
    const std::string mismatch =
        "TLS: the key in '" + options.key_file + "' does not match the certificate in '" + options.cert_file + "'";
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (const unsigned long code = ERR_peek_error();
          ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        return result::failure(mismatch);
      }
      return result::failure("TLS: no usable private key in '" + options.key_file + "': " + detail::take_openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return result::failure(mismatch);
    }
    static constexpr unsigned char id_context[] = "uring_cannon";
    SSL_CTX_set_session_id_context(ctx, id_context, sizeof id_context - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    if (!detail::context_state(ctx)->alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, nullptr);
    // Acknowledging SNI is what makes OpenSSL keep the name with a TLS 1.2 session, so a resumed
    // connection still reports the name it was made for.
    SSL_CTX_set_tlsext_servername_callback(ctx, &accept_server_name);
    return made;
  }

  SSL_CTX* native() const noexcept { return ctx_.get(); }
  explicit operator bool() const noexcept { return ctx_.get() != nullptr; }

 private:
  /// Picks the first of our protocols the client offers; none in common: no ALPN in the answer.
  static int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                         unsigned offered_length, void*) {
    const std::string& ours = detail::context_state(SSL_get_SSL_CTX(ssl))->alpn_wire;
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_length, reinterpret_cast<const unsigned char*>(ours.data()),
                              unsigned(ours.size()), offered, offered_length) != OPENSSL_NPN_NEGOTIATED)
      return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }

  /// Any name is fine: one certificate serves them all.
  static int accept_server_name(SSL*, int*, void*) { return SSL_TLSEXT_ERR_OK; }

  detail::ssl_ctx_handle ctx_;
};

/// What handshake() reached.
enum class tls_handshake_status {
  done,     ///< established: data may flow
  want_io,  ///< send pending_ciphertext(), then feed what the peer answers, and call again
  failed,   ///< error_text() says why; pending_ciphertext() may still hold an alert worth sending
};

enum class tls_read_status {
  data,         ///< `size` plaintext bytes were written to the buffer
  would_block,  ///< no complete record buffered: feed more ciphertext
  closed,       ///< the peer sent close_notify
  error,        ///< error_text() says why (an alert received, a bad record, a truncated stream)
};

struct tls_read_result {
  tls_read_status status;
  std::size_t size = 0;
};

/// One TLS connection as a byte transformer: ciphertext in through feed_ciphertext(), out through
/// pending_ciphertext() / consume_ciphertext(); plaintext in through write_plaintext(), out
/// through read_plaintext(). It performs no I/O. Movable; not thread-safe (one per connection).
///
/// In steady state it allocates nothing itself: the outgoing buffer and OpenSSL's BIO buffers
/// keep their capacity from one record to the next, and restarting a session for the next
/// connection keeps the outgoing buffer too.
class tls_session {
 public:
  tls_session() noexcept = default;
  tls_session(tls_session&& other) noexcept { take(other); }
  tls_session& operator=(tls_session&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  ~tls_session() { release(); }

  /// (Re)starts this object as the client end of a new connection to `server_name` (a host name
  /// or an IP address): SNI for names, the certificate checked against the name or address
  /// unless the context is insecure, and the context's last session for that server offered.
  or_error<bool> start_client(const tls_client_context& ctx, std::string_view server_name) {
    if (auto made = start(ctx.native()); !made) return made;
    SSL_set_connect_state(ssl_);
    server_name_.assign(server_name);
    const bool is_address = is_ip_literal(server_name_);
    if (!is_address && !server_name_.empty() && SSL_set_tlsext_host_name(ssl_, server_name_.c_str()) != 1)
      return fail_start("TLS: bad server name '" + server_name_ + "': " + detail::take_openssl_error());
    if (ctx.verifies()) {
      if (server_name_.empty()) return fail_start("TLS: a server name is needed to verify its certificate");
      const bool set = is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), unbracketed(server_name_).c_str()) == 1
                                  : SSL_set1_host(ssl_, server_name_.c_str()) == 1;
      if (!set) return fail_start("TLS: cannot verify against '" + server_name_ + "': " + detail::take_openssl_error());
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    detail::context_state(ctx.native())->offer(ssl_, server_name_);
    return true;
  }

  /// (Re)starts this object as the server end of a new connection.
  or_error<bool> start_server(const tls_server_context& ctx) {
    if (auto made = start(ctx.native()); !made) return made;
    SSL_set_accept_state(ssl_);
    return true;
  }

  /// Advances the handshake with the ciphertext fed so far.
  tls_handshake_status handshake() {
    if (ssl_ == nullptr || failed_) return tls_handshake_status::failed;
    ERR_clear_error();  // SSL_get_error reads the thread's queue: start from an empty one
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      note_established();
      return tls_handshake_status::done;
    }
    const int error = SSL_get_error(ssl_, r);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return tls_handshake_status::want_io;
    fail(error);
    return tls_handshake_status::failed;
  }
  bool handshake_done() const noexcept { return ssl_ != nullptr && established(); }

  /// Hands bytes received from the socket to TLS (copied: the receive buffer can go back at once).
  void feed_ciphertext(std::span<const std::byte> bytes) {
    if (ssl_ == nullptr || bytes.empty()) return;
    std::size_t written = 0;
    if (BIO_write_ex(incoming_, bytes.data(), bytes.size(), &written) != 1 || written != bytes.size())
      fail_with("TLS: out of memory buffering received bytes");
  }

  /// The peer closed its side of the socket: what is buffered is all there will be. A stream
  /// that ends without close_notify then reads as an error (a truncation), after its data.
  void feed_end_of_stream() {
    if (ssl_ != nullptr) BIO_set_mem_eof_return(incoming_, 0);
    end_of_stream_ = true;
  }

  /// The ciphertext waiting to be sent. The bytes stay put, unchanged, until consume_ciphertext()
  /// covers them, so a send may point at them until it completes; later output waits behind
  /// them and appears once they are consumed (call again after each consume).
  std::span<const std::byte> pending_ciphertext() {
    if (out_begin_ == out_end_) collect_output();
    return {outgoing_.data() + out_begin_, out_end_ - out_begin_};
  }

  /// `n` bytes of pending_ciphertext() went out.
  void consume_ciphertext(std::size_t n) noexcept { out_begin_ += std::min(n, out_end_ - out_begin_); }

  /// Encrypts `plaintext` into the outgoing ciphertext (records of up to 16 KiB: a pipelined
  /// batch of requests becomes one record). False on failure, with error_text() saying why.
  bool write_plaintext(std::span<const std::byte> plaintext) {
    if (ssl_ == nullptr || failed_) return false;
    if (plaintext.empty()) return true;
    ERR_clear_error();
    std::size_t written = 0;
    const int r = SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written);
    if (r == 1 && written == plaintext.size()) return true;
    const int error = SSL_get_error(ssl_, r);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
      fail_with("TLS: cannot send data before the handshake is done");
    else
      fail(error);
    return false;
  }
  bool write_plaintext(std::string_view text) {
    return write_plaintext(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }

  /// Decrypts into `out` from the ciphertext fed so far (TLS 1.3 session tickets that arrive
  /// after the handshake are taken in here too).
  tls_read_result read_plaintext(std::span<std::byte> out) {
    if (ssl_ == nullptr || failed_) return {tls_read_status::error};
    if (out.empty()) return {tls_read_status::would_block};
    ERR_clear_error();
    std::size_t got = 0;
    const int r = SSL_read_ex(ssl_, out.data(), out.size(), &got);
    if (r == 1) {
      note_established();  // a read may have run the handshake itself
      return {tls_read_status::data, got};
    }
    const int error = SSL_get_error(ssl_, r);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {tls_read_status::would_block};
    if (error == SSL_ERROR_ZERO_RETURN) return {tls_read_status::closed};
    fail(error);
    return {tls_read_status::error};
  }

  /// Queues close_notify (send pending_ciphertext() afterwards).
  bool write_close_notify() {
    if (ssl_ == nullptr || failed_) return false;
    ERR_clear_error();
    const int r = SSL_shutdown(ssl_);
    if (r >= 0) return true;
    fail(SSL_get_error(ssl_, r));
    return false;
  }

  /// True when the handshake resumed an earlier session (no certificate exchange).
  bool session_reused() const noexcept { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }
  /// The protocol ALPN settled on ("http/1.1"), empty when none was.
  std::string_view negotiated_alpn() const noexcept {
    if (ssl_ == nullptr) return {};
    const unsigned char* name = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(ssl_, &name, &length);
    return name == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(name), length);
  }
  /// "TLSv1.2", "TLSv1.3".
  std::string_view protocol_version() const noexcept { return ssl_ == nullptr ? "" : SSL_get_version(ssl_); }
  /// The cipher suite in OpenSSL's naming ("TLS_AES_256_GCM_SHA384"), empty before the handshake.
  std::string_view cipher() const noexcept {
    const char* name = ssl_ == nullptr ? nullptr : SSL_get_cipher_name(ssl_);
    return name == nullptr || std::strcmp(name, "(NONE)") == 0 ? std::string_view{} : std::string_view(name);
  }
  /// The SNI name: the one sent (client) or the one received (server); empty when none.
  std::string_view server_name() const noexcept {
    const char* name = ssl_ == nullptr ? nullptr : SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    return name == nullptr ? std::string_view{} : std::string_view(name);
  }
  /// Why the session failed, e.g. "TLS: certificate verify failed: self-signed certificate" or
  /// "TLS: received fatal alert: handshake failure"; empty while nothing failed.
  const std::string& error_text() const noexcept { return error_; }
  bool failed() const noexcept { return failed_; }
  SSL* native() const noexcept { return ssl_; }

 private:
  friend class tls_client_context;

  or_error<bool> start(SSL_CTX* ctx) {
    using result = or_error<bool>;
    release_ssl();
    failed_ = false;
    counted_ = false;
    end_of_stream_ = false;
    received_alert_ = -1;
    error_.clear();
    out_begin_ = out_end_ = 0;
    if (ctx == nullptr) return fail_start("TLS: the context was not created");
    ERR_clear_error();
    ssl_ = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    if (ssl_ == nullptr || in == nullptr || out == nullptr) {
      BIO_free(in);
      BIO_free(out);
      return fail_start("TLS: cannot create a session: " + detail::take_openssl_error());
    }
    // An empty incoming BIO means "wait for more", not end of stream, until told otherwise.
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl_, in, out);  // the SSL owns both from here
    incoming_ = in;
    outgoing_bio_ = out;
    SSL_set_app_data(ssl_, this);
    SSL_set_info_callback(ssl_, &tls_session::on_info);
    return result(true);
  }

  /// A start that went wrong leaves the session failed, so nothing runs unverified by mistake.
  or_error<bool> fail_start(std::string message) {
    fail_with(message);
    return or_error<bool>::failure(std::move(message));
  }

  /// Moves what OpenSSL wrote into our buffer, which keeps its capacity across records.
  void collect_output() {
    out_begin_ = out_end_ = 0;
    if (ssl_ == nullptr) return;
    const std::size_t waiting = BIO_ctrl_pending(outgoing_bio_);
    if (waiting == 0) return;
    if (outgoing_.size() < waiting) outgoing_.resize(std::max(waiting, 2 * outgoing_.size()));
    std::size_t got = 0;
    if (BIO_read_ex(outgoing_bio_, outgoing_.data(), waiting, &got) == 1) out_end_ = got;
  }

  /// True once the handshake has completed (post-handshake messages do not undo it).
  bool established() const noexcept { return counted_ || SSL_is_init_finished(ssl_); }

  void note_established() {
    if (counted_) return;
    counted_ = true;
    if (SSL_is_server(ssl_)) return;
    auto* state = detail::context_state(SSL_get_SSL_CTX(ssl_));
    (session_reused() ? state->resumptions : state->full_handshakes).fetch_add(1, std::memory_order_relaxed);
  }

  void fail(int ssl_error) { fail_with(describe(ssl_error)); }
  void fail_with(std::string message) {
    if (!failed_) error_ = std::move(message);
    failed_ = true;
    ERR_clear_error();
  }

  std::string describe(int ssl_error) const {
    if (received_alert_ >= 0)
      return std::string("TLS: received fatal alert: ") + SSL_alert_desc_string_long(received_alert_);
    const unsigned long code = ERR_peek_error();
    const int reason = ERR_GET_REASON(code);
    if (code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      const long verdict = SSL_get_verify_result(ssl_);
      return std::string("TLS: certificate verify failed: ") + X509_verify_cert_error_string(verdict);
    }
    if ((code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
        (code == 0 && ssl_error == SSL_ERROR_SYSCALL && end_of_stream_)) {
      return established() ? "TLS: the peer closed the connection without close_notify"
                                        : "TLS: the peer closed the connection during the handshake";
    }
    if (code == 0 && ssl_error == SSL_ERROR_SYSCALL) return "TLS: unexpected end of stream";
    return "TLS: " + detail::take_openssl_error(ERR_LIB_SSL);
  }

  /// Remembers the first fatal alert the peer sends, to name it in error_text().
  static void on_info(const SSL* ssl, int where, int value) {
    if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT || (value >> 8) != SSL3_AL_FATAL) return;
    auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
    if (self != nullptr && self->received_alert_ < 0) self->received_alert_ = value;
  }

  static bool is_ip_literal(const std::string& name) {
    unsigned char address[sizeof(in6_addr)];
    const std::string bare = unbracketed(name);
    return inet_pton(AF_INET, bare.c_str(), address) == 1 || inet_pton(AF_INET6, bare.c_str(), address) == 1;
  }
  static std::string unbracketed(const std::string& name) {
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') return name.substr(1, name.size() - 2);
    return name;
  }

  void take(tls_session& other) noexcept {
    ssl_ = std::exchange(other.ssl_, nullptr);
    incoming_ = std::exchange(other.incoming_, nullptr);
    outgoing_bio_ = std::exchange(other.outgoing_bio_, nullptr);
    outgoing_ = std::move(other.outgoing_);
    out_begin_ = std::exchange(other.out_begin_, 0);
    out_end_ = std::exchange(other.out_end_, 0);
    server_name_ = std::move(other.server_name_);
    error_ = std::move(other.error_);
    received_alert_ = other.received_alert_;
    failed_ = other.failed_;
    counted_ = other.counted_;
    end_of_stream_ = other.end_of_stream_;
    if (ssl_ != nullptr) SSL_set_app_data(ssl_, this);  // the callbacks find the session here
  }
  void release_ssl() noexcept {
    if (ssl_ == nullptr) return;
    // OpenSSL marks the session of a connection freed without close_notify as not resumable (a
    // cut it did not see coming might be an attack). Here the application ends the connection on
    // purpose (a reconnect after N requests, say), so an intact one keeps its session; a failed
    // one does not.
    if (!failed_ && established()) SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
    SSL_free(std::exchange(ssl_, nullptr));  // frees both BIOs
    incoming_ = outgoing_bio_ = nullptr;
  }
  void release() noexcept { release_ssl(); }

  SSL* ssl_ = nullptr;
  BIO* incoming_ = nullptr;      ///< ciphertext from the peer, read by OpenSSL
  BIO* outgoing_bio_ = nullptr;  ///< ciphertext for the peer, written by OpenSSL
  std::vector<std::byte> outgoing_;  ///< the bytes handed out by pending_ciphertext()
  std::size_t out_begin_ = 0, out_end_ = 0;
  std::string server_name_;
  std::string error_;
  int received_alert_ = -1;
  bool failed_ = false;
  bool counted_ = false;
  bool end_of_stream_ = false;
};

inline int tls_client_context::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* owner = static_cast<tls_session*>(SSL_get_app_data(ssl));
  auto* state = detail::context_state(SSL_get_SSL_CTX(ssl));
  if (owner == nullptr || state == nullptr) return 0;  // not ours to keep: OpenSSL frees it
  state->remember(session, owner->server_name_);
  return 1;  // we hold the reference now
}

/// True when this kernel offers the "tls" upper-layer protocol (kTLS), per
/// /proc/sys/net/ipv4/tcp_available_ulp. Informational: this library encrypts in user space.
inline bool kernel_tls_available() {
  std::FILE* file = std::fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
  if (file == nullptr) return false;
  char line[256] = {};
  const bool read = std::fgets(line, sizeof line, file) != nullptr;
  std::fclose(file);
  if (!read) return false;
  std::string_view rest(line);
  while (!rest.empty()) {
    const std::size_t end = rest.find_first_of(" \t\n");
    if (rest.substr(0, end) == "tls") return true;
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace uring_cannon
