/* stb_image_write's implementation, compiled on its own: its JPEG bit writer left-shifts a signed int past
 * its range (stbiw__jpg_writeBits: `bitBuf <<= 8`), undefined behaviour that UBSan stops on in the
 * sanitizer suite. CMakeLists.txt builds this one file with -fno-sanitize=shift, so writer_report.c keeps
 * every check. Hidden: the plugin does not export stb. */
#define STBIWDEF extern __attribute__((visibility("hidden")))
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
/* Debian's stb declares stbi_write_hdr_to_func static without defining it under STBI_WRITE_NO_STDIO. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
