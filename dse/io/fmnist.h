/*
 * fmnist.h - the Fashion-MNIST images of Debian's dataset-fashion-mnist
 * package (idx files, gzip), read with zlib: 60,000 train and 10,000 test
 * images of 28 x 28 grey bytes, each with a class 0..9.  The moving-fmnist
 * clips of traindata.c are drawn from them.
 *
 * The directory is FDHT_FMNIST_DIR when set (tests feed synthetic files
 * through it), else FM_DEFAULT_DIR.  Everything is checked: magic numbers,
 * 28 x 28, the counts, labels 0..9, truncated or over-long files.
 */
#ifndef FMNIST_H
#define FMNIST_H

#include <stddef.h>
#include <stdint.h>

#define FM_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FM_SIDE 28
#define FM_PIXELS (FM_SIDE * FM_SIDE)
#define FM_CLASSES 10
#define FM_TRAIN 60000
#define FM_TEST 10000

typedef struct {
    int64_t count;                /* FM_TRAIN or FM_TEST */
    const unsigned char *pixels;  /* count x 28 x 28, row-major, 0 = black */
    const unsigned char *labels;  /* count, each 0..9 */
} fm_split;

typedef struct {
    char *dir;
    fm_split train, test;
} fm_data;

/* FDHT_FMNIST_DIR if set and not empty, else FM_DEFAULT_DIR. */
const char *fm_dir(void);

/* Reads the four files of dir; -1 with one line in err.  A missing
 * directory or file says which package to install. */
int fm_load(const char *dir, fm_data **out, char *err, size_t errlen);
void fm_free(fm_data *d);

/* fm_load once per process and directory (thread-safe): the same read-only
 * data for every caller until fm_cache_clear.  Failures are not cached. */
const fm_data *fm_get(const char *dir, char *err, size_t errlen);
/* Frees the cached data (only when nothing uses it any more: tests). */
void fm_cache_clear(void);

#endif
