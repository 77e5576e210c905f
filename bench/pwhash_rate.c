/* Bare libsodium argon2id rate (issue 17): THREADS threads hashing with
 * crypto_pwhash_str at the interactive cost (gatehouse's password cost)
 * for SECONDS; prints hashes per second. Built and run by bench/signin.mjs.
 *   cc -O2 bench/pwhash_rate.c -o pwhash_rate -lsodium -lpthread */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds = 5;
static long counts[64];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    long *n = arg;
    char out[crypto_pwhash_STRBYTES];
    double end = now_s() + seconds;
    while (now_s() < end) {
        if (crypto_pwhash_str(out, "correct horse battery", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return NULL;
        (*n)++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2) seconds = atof(argv[2]);
    if (threads < 1 || threads > 64 || sodium_init() < 0) return 1;
    pthread_t th[64];
    double t0 = now_s();
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, run, &counts[i]);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += counts[i];
    }
    printf("{\"threads\":%d,\"hashes\":%ld,\"per_second\":%.2f}\n", threads, total, (double)total / (now_s() - t0));
    return 0;
}
