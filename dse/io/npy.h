/*
 * npy.h - NumPy .npy files.  Reading (npy.c): 1-D / 2-D float32 / float64
 * arrays into doubles (weights, vectors); N-D float arrays kept as float32
 * and N-D integer arrays widened to int64 (data sets: clips and labels);
 * the header alone.  Writing (npy_write.c): float64 arrays, float32 and
 * int64 arrays, whole or streamed.
 *
 * Read accepts format versions 1.0, 2.0 and 3.0, little-endian data in C
 * order ('fortran_order': False), every dimension >= 1, a bounded number of
 * elements, all finite, and exactly the data the header announces (no short
 * or over-long files).  Anything else is refused with a one-line reason;
 * hostile input never crashes and never makes the reader allocate more than
 * the file itself justifies.
 *
 * Write emits version 1.0 (2.0 if the header would not fit), C order.
 */
#ifndef NPY_H
#define NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_ELEMS (INT64_C(1) << 31)     /* npy_read: refuse arrays above 2^31 elements */
#define NPY_MAX_ELEMS_ND (INT64_C(1) << 40)  /* the N-D readers: data sets may be GBs */
#define NPY_MAX_HEADER 65536                 /* refuse longer header dictionaries */
#define NPY_MAX_WRITE_DIM 8
#define NPY_MAX_DIM 4                        /* dimensions the N-D readers accept */

/* ---- 1-D / 2-D floats as doubles ---- */

typedef struct {
    int ndim;          /* 1 or 2 */
    int64_t shape[2];  /* shape[1] = 1 when ndim == 1 */
    int64_t count;     /* elements */
    double *data;      /* C order; owned (npy_free) */
} npy_array;

/* Read a file ('<f4' or '<f8', 1-D or 2-D); 0 on success, -1 with a reason in err. */
int npy_read(const char *path, npy_array *a, char *err, size_t errlen);
/* The same checks on an in-memory image of a file (fuzzing, tests). */
int npy_parse(const unsigned char *buf, size_t len, npy_array *a, char *err, size_t errlen);
void npy_free(npy_array *a);

/* ---- N-D arrays: float32 data, integer labels ---- */

/* What a header announces (npy_info). */
typedef struct {
    char descr[8];      /* as written: "<f4", "<i8", "|u1", ... */
    char kind;          /* 'f' float, 'i' signed or 'u' unsigned integer */
    int itemsize;       /* bytes per value in the file */
    int ndim;           /* 1..NPY_MAX_DIM */
    int64_t shape[NPY_MAX_DIM];
    int64_t count;      /* elements */
    uint64_t data_off;  /* offset of the first data byte */
} npy_info;

/* float32 values: '<f4' as is, '<f8' narrowed (refused if beyond float range). */
typedef struct {
    int ndim;                   /* 1..NPY_MAX_DIM */
    int64_t shape[NPY_MAX_DIM]; /* unused dimensions are 1 */
    int64_t count;
    float *data;                /* C order; owned (npy_free_f32) */
} npy_f32;

/* Integer values of any of '<i8' '<i4' '<i2' '|i1' '|u1' '<u2' '<u4' '<u8'
 * ('<u8' above INT64_MAX refused), widened to int64. */
typedef struct {
    int ndim;
    int64_t shape[NPY_MAX_DIM];
    int64_t count;
    int64_t *data;              /* C order; owned (npy_free_i64) */
} npy_i64;

/* Reading options; a zeroed struct (or NULL) means none. */
typedef struct {
    /* Names of the axes for the position of a bad value ("NaN at clip 2,
     * frame 0, feature 17"); used when the array has as many dimensions as
     * names before the first NULL; otherwise "at [2, 0, 17]". */
    const char *axes[NPY_MAX_DIM + 1];
    /* If not NULL: an FNV-1a 64 state (cm_fnv1a), continued over every
     * byte of the file. */
    uint64_t *fnv;
} npy_opts;


/* The header of a file, checked (dtype supported by one of the readers,
 * C order, 1..NPY_MAX_DIM dimensions, none 0, data size exact). */
int npy_read_info(const char *path, npy_info *h, char *err, size_t errlen);
int npy_read_f32(const char *path, const npy_opts *o, npy_f32 *a, char *err, size_t errlen);
int npy_read_i64(const char *path, const npy_opts *o, npy_i64 *a, char *err, size_t errlen);
int npy_parse_f32(const unsigned char *buf, size_t len, npy_f32 *a, char *err, size_t errlen);
int npy_parse_i64(const unsigned char *buf, size_t len, npy_i64 *a, char *err, size_t errlen);
void npy_free_f32(npy_f32 *a);
void npy_free_i64(npy_i64 *a);

/* A path as shown in a message: at most len-1 bytes, control bytes as '?'. */
const char *npy_shown(const char *path, char *buf, size_t len);

/* ---- writing (npy_write.c) ---- */

/* Write data (C order, prod(shape) values) as '<f8'. */
int npy_write(const char *path, int ndim, const int64_t *shape, const double *data,
              char *err, size_t errlen);
/* The same as '<f4' (ndim 1..NPY_MAX_WRITE_DIM) and '<i8' (a vector). */
int npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data,
                  char *err, size_t errlen);
int npy_write_i64(const char *path, int64_t n, const int64_t *data, char *err, size_t errlen);

/* Streamed writing of arrays too large to hold: open with the final shape,
 * append the values in C order in any number of calls, close.  Close checks
 * that exactly prod(shape) values came; on any failure the file is removed
 * (npy_writer_abort removes it too). */
typedef struct npy_writer npy_writer;
int npy_writer_open(npy_writer **w, const char *path, const char *descr /* "<f4" or "<i8" */,
                    int ndim, const int64_t *shape, char *err, size_t errlen);
int npy_writer_f32(npy_writer *w, const float *v, int64_t n, char *err, size_t errlen);
int npy_writer_i64(npy_writer *w, const int64_t *v, int64_t n, char *err, size_t errlen);
int npy_writer_close(npy_writer *w, char *err, size_t errlen);
void npy_writer_abort(npy_writer *w);

#endif
