/* jconfig.h for actbench's vendored libjpeg-turbo 2.1.5 (made by hand from jconfig.h.in: 8-bit, no SIMD, no arithmetic coding) */
#define JPEG_LIB_VERSION  62
#define LIBJPEG_TURBO_VERSION  2.1.5
#define LIBJPEG_TURBO_VERSION_NUMBER  2001005
#define MEM_SRCDST_SUPPORTED 1
#define BITS_IN_JSAMPLE  8
