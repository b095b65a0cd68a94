/* The C floor for make bench-bigint: the same GMP calls Tacit's BigInt makes, with no
 * wrapper around them. Reads hex inputs (modulus, exponent, base, a, b) from the file given
 * as argv[1], prints "op nanoseconds-per-operation" for one timed sample of each op. */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void read_hex(FILE *f, mpz_t z) {
    char line[4096];
    if (!fgets(line, sizeof line, f) || mpz_set_str(z, line, 16) != 0) {
        fprintf(stderr, "bench.c: bad input file\n");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: bench INPUTS POWM_ITERS MULMOD_ITERS\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    long powm_iters = atol(argv[2]), mulmod_iters = atol(argv[3]);
    mpz_t m, e, base, a, b, r, t;
    mpz_inits(m, e, base, a, b, r, t, NULL);
    read_hex(f, m); read_hex(f, e); read_hex(f, base); read_hex(f, a); read_hex(f, b);
    fclose(f);

    double start = now_ns();
    for (long i = 0; i < powm_iters; i++) mpz_powm(r, base, e, m);
    printf("powm %.1f\n", (now_ns() - start) / powm_iters);

    start = now_ns();
    for (long i = 0; i < powm_iters; i++) mpz_powm_sec(r, base, e, m);
    printf("powm_sec %.1f\n", (now_ns() - start) / powm_iters);

    start = now_ns();
    for (long i = 0; i < mulmod_iters; i++) { mpz_mul(t, a, b); mpz_mod(r, t, m); }
    printf("mulmod %.1f\n", (now_ns() - start) / mulmod_iters);

    mpz_clears(m, e, base, a, b, r, t, NULL);
    return 0;
}
