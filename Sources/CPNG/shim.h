#ifndef YOLOFUSE_CPNG_SHIM_H
#define YOLOFUSE_CPNG_SHIM_H
#include <png.h>
#include <string.h>

// A zeroed png_image of the current API version (Swift cannot default-initialise the struct).
static inline png_image yolofuse_png_image_new(void) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    return image;
}

// png_image's simplified API reports format sizes through macros, which Swift cannot call.
static inline size_t yolofuse_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
static inline int yolofuse_png_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }
#endif
