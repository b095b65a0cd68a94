#ifndef TACIT_CGMP_SHIM_H
#define TACIT_CGMP_SHIM_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>

// GMP exposes these only as macros, which Swift cannot call.
static inline int tacit_mpz_sgn(mpz_srcptr z) { return mpz_sgn(z); }
static inline int tacit_mpz_odd_p(mpz_srcptr z) { return mpz_odd_p(z); }
static inline int tacit_mpz_cmp_si(mpz_srcptr z, long v) { return mpz_cmp_si(z, v); }
static inline int tacit_mpz_cmp_ui(mpz_srcptr z, unsigned long v) { return mpz_cmp_ui(z, v); }
static inline int tacit_mpz_alloc(mpz_srcptr z) { return z->_mp_alloc; }

// Wipe memory in a way the optimiser may not remove: limbs freed by GMP can hold secret
// key material (primes, decryption exponents, shares).
static inline void tacit_secure_zero(void *p, size_t n) {
#if defined(__GLIBC__) || defined(__OpenBSD__) || defined(__FreeBSD__)
    explicit_bzero(p, n);
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) { *v++ = 0; }
#endif
}

static inline void *tacit_gmp_alloc(size_t n) {
    void *p = malloc(n);
    if (p == NULL) { abort(); }
    return p;
}

// GMP's default realloc would leave the old block, with its limbs, in the free list.
static inline void *tacit_gmp_realloc(void *old, size_t old_size, size_t new_size) {
    void *p = tacit_gmp_alloc(new_size);
    memcpy(p, old, old_size < new_size ? old_size : new_size);
    tacit_secure_zero(old, old_size);
    free(old);
    return p;
}

static inline void tacit_gmp_free(void *p, size_t size) {
    if (p == NULL) { return; }
    tacit_secure_zero(p, size);
    free(p);
}

// Routes every GMP allocation in the process through the wiping functions above. Must run
// before the first GMP allocation; TacitMath calls it once, lazily, before any.
static inline void tacit_gmp_install_wiping_allocator(void) {
    mp_set_memory_functions(tacit_gmp_alloc, tacit_gmp_realloc, tacit_gmp_free);
}

#endif
