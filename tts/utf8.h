// UTF-8 helpers for tts/: decoding text into code points, encoding them back, and finding where a
// byte stream may be cut without splitting a character. Invalid bytes decode to U+FFFD (one per
// bad byte) so hostile text never stops the pipeline.
//
//   std::u32string code_points = parley::tts::utf8_decode("naïve");   // 5 code points
//   std::string bytes = parley::tts::utf8_encode(code_points);         // "naïve" again
//   size_t whole = parley::tts::utf8_complete_prefix_bytes(piece);     // bytes safe to consume
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::tts {

// Decodes UTF-8; each invalid or truncated sequence byte becomes U+FFFD.
std::u32string utf8_decode(std::string_view text);

// Encodes code points as UTF-8 (values past U+10FFFF or surrogates become U+FFFD).
std::string utf8_encode(std::u32string_view code_points);
void utf8_append(char32_t code_point, std::string& out);

// Length of the longest prefix of `bytes` that does not end inside a multi-byte character: the
// bytes after it are the start of a character whose remaining bytes have not arrived yet.
size_t utf8_complete_prefix_bytes(std::string_view bytes);

// `text` cut into pieces of at most `limit` bytes (limit >= 4): each cut falls on the last
// whitespace byte before the limit, which is dropped, or, in a run without whitespace, at the
// last character boundary. Joined with single spaces the pieces give back the text, but for the
// whitespace at each cut and a space put into a run that had none. Used to bound what one
// std::regex sees (text_shaping.h, kRegexPieceBytes).
std::vector<std::string_view> split_bounded(std::string_view text, size_t limit);

}  // namespace parley::tts
