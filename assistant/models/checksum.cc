// SHA-256 through OpenSSL EVP (see checksum.h).
#include "assistant/models/checksum.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/error.h"

namespace parley::models {
namespace {

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

DigestContext new_sha256_context() {
  DigestContext context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("sha256: OpenSSL could not initialise a SHA-256 digest");
  }
  return context;
}

std::string finish_hex(EVP_MD_CTX* context) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context, digest, &length) != 1)
    throw Error("sha256: OpenSSL digest failed");
  static const char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(length) * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  DigestContext context = new_sha256_context();
  if (EVP_DigestUpdate(context.get(), bytes.data(), bytes.size()) != 1)
    throw Error("sha256: OpenSSL digest failed");
  return finish_hex(context.get());
}

std::string sha256_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw Error(path + ": cannot open for checksum: " + std::strerror(errno));
  DigestContext context = new_sha256_context();
  std::vector<unsigned char> block(1 << 20);
  while (true) {
    size_t got = std::fread(block.data(), 1, block.size(), file.get());
    if (got > 0 && EVP_DigestUpdate(context.get(), block.data(), got) != 1) {
      throw Error("sha256: OpenSSL digest failed");
    }
    if (got < block.size()) {
      if (std::ferror(file.get())) throw Error(path + ": read error while computing sha256");
      break;
    }
  }
  return finish_hex(context.get());
}

}  // namespace parley::models
