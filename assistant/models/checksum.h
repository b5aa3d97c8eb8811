// SHA-256 of files and byte strings, through OpenSSL's libcrypto (EVP interface).
//
// Contracts: digests are 64 lower-case hex digits. sha256_file() streams the file in 1 MiB
// blocks (any size, constant memory) and throws parley::Error naming the file when it cannot be
// read. Thread-safe (no shared state).
//
// Usage
//   std::string digest = sha256_file("models/llm/parley-chat.gguf");
//   assert(sha256_hex("abc") ==
//   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
#pragma once

#include <string>
#include <string_view>

namespace parley::models {

std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::string& path);

}  // namespace parley::models
