#ifndef YOLOFUSE_CTURBOJPEG_SHIM_H
#define YOLOFUSE_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
