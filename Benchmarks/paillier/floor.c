/* The C floor for Paillier at 2048 bits, straight on GMP: what no wrapper can beat.
 *   encrypt  = one mpz_powm(r, n, n^2) + one multiply-and-reduce (g^m = 1 + mn is free)
 *   decrypt  = two CRT powers c^(p-1) mod p^2, c^(q-1) mod q^2 (mpz_powm, NOT constant-time)
 *              + L, h_p and recombination
 *   add      = one mpz_mul + mpz_mod by n^2
 *   mul64    = one mpz_powm with a 64-bit exponent mod n^2
 *   keygen   = two random 1024-bit primes (mpz_nextprime) with top bits set
 * Prints "gmp <op> <microseconds per op>" for each repetition. */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)time(NULL));
    mpz_t p, q, n, n2, p2, q2, pm1, qm1, hp, hq, pinv, r, c, c2, m, t, up, uq, mp, mq, k;
    mpz_inits(p, q, n, n2, p2, q2, pm1, qm1, hp, hq, pinv, r, c, c2, m, t, up, uq, mp, mq, k, NULL);

    for (int rep = 0; rep < reps; rep++) {
        int iters = 3;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            mpz_urandomb(p, rs, 1024); mpz_setbit(p, 1023); mpz_setbit(p, 1022); mpz_nextprime(p, p);
            mpz_urandomb(q, rs, 1024); mpz_setbit(q, 1023); mpz_setbit(q, 1022); mpz_nextprime(q, q);
            mpz_mul(n, p, q);
        }
        printf("gmp keygen %.1f\n", (now() - t0) / iters * 1e6);
    }
    mpz_mul(n2, n, n); mpz_mul(p2, p, p); mpz_mul(q2, q, q);
    mpz_sub_ui(pm1, p, 1); mpz_sub_ui(qm1, q, 1);
    /* h_p = L_p(g^(p-1) mod p^2)^-1 mod p with g = n + 1 */
    mpz_add_ui(t, n, 1); mpz_powm(t, t, pm1, p2); mpz_sub_ui(t, t, 1); mpz_divexact(t, t, p); mpz_invert(hp, t, p);
    mpz_add_ui(t, n, 1); mpz_powm(t, t, qm1, q2); mpz_sub_ui(t, t, 1); mpz_divexact(t, t, q); mpz_invert(hq, t, q);
    mpz_invert(pinv, p, q);

    mpz_urandomm(m, rs, n);
    for (int rep = 0; rep < reps; rep++) {
        int iters = 100;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            mpz_urandomm(r, rs, n);
            mpz_powm(r, r, n, n2);
            mpz_mul(c, m, n); mpz_add_ui(c, c, 1);
            mpz_mul(t, c, r); mpz_mod(c, t, n2);
        }
        printf("gmp encrypt %.1f\n", (now() - t0) / iters * 1e6);
    }
    mpz_set(c2, c);
    for (int rep = 0; rep < reps; rep++) {
        int iters = 200;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            mpz_powm(up, c, pm1, p2);
            mpz_powm(uq, c, qm1, q2);
            mpz_sub_ui(up, up, 1); mpz_divexact(up, up, p); mpz_mul(up, up, hp); mpz_mod(mp, up, p);
            mpz_sub_ui(uq, uq, 1); mpz_divexact(uq, uq, q); mpz_mul(uq, uq, hq); mpz_mod(mq, uq, q);
            mpz_sub(t, mq, mp); mpz_mul(t, t, pinv); mpz_mod(t, t, q); mpz_mul(t, t, p); mpz_add(t, t, mp);
        }
        printf("gmp decrypt %.1f\n", (now() - t0) / iters * 1e6);
        if (mpz_cmp(t, m) != 0) { fprintf(stderr, "floor.c: decryption is wrong\n"); return 1; }
    }
    for (int rep = 0; rep < reps; rep++) {
        int iters = 20000;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            mpz_mul(t, c, c2);
            mpz_mod(c2, t, n2);
        }
        printf("gmp add %.2f\n", (now() - t0) / iters * 1e6);
    }
    for (int rep = 0; rep < reps; rep++) {
        int iters = 2000;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            mpz_urandomb(k, rs, 64);
            mpz_setbit(k, 63);
            mpz_powm(c2, c, k, n2);
        }
        printf("gmp mul64 %.1f\n", (now() - t0) / iters * 1e6);
    }
    return 0;
}
