#ifndef TACIT_CSODIUM_SHIM_H
#define TACIT_CSODIUM_SHIM_H

#include <sodium.h>

#endif
