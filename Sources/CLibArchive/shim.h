// shim.h: libarchive, for reading outbound batch archives (zip, tar, tar.gz, tar.zst) as streams, and for the
// tests that write hostile archives.
#include <archive.h>
#include <archive_entry.h>
