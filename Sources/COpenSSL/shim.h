#ifndef TACIT_COPENSSL_SHIM_H
#define TACIT_COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#endif
