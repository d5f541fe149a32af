// shim.h: zlib, for gzip compression of message parts (streaming deflate/inflate).
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass the library version and the stream size), which Swift
// cannot call; these wrappers fix the gzip format: windowBits 15 + 16 means a gzip header and trailer.

/// Starts a gzip compressor on `stream` at `level` (0-9, or Z_DEFAULT_COMPRESSION).
static inline int sedgate_gzip_deflate_init(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// Starts a gzip decompressor on `stream`.
static inline int sedgate_gzip_inflate_init(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
