/*
 * npy.h - NumPy .npy files: read 1-D / 2-D float32 / float64 arrays into
 * doubles, write float64 arrays.
 *
 * Read accepts format versions 1.0, 2.0 and 3.0, little-endian '<f4' / '<f8'
 * in C order ('fortran_order': False), 1-D or 2-D, with every dimension >= 1
 * and at most NPY_MAX_ELEMS elements, all finite, and exactly the data the
 * header announces (no short or over-long files).  Anything else is refused
 * with a one-line reason; hostile input never crashes and never makes the
 * reader allocate more than the file itself justifies.
 *
 * Write emits version 1.0 (2.0 if the header would not fit), '<f8', C order;
 * ndim 1..NPY_MAX_WRITE_DIM (factor tensors are saved with their natural
 * shape, e.g. a transfer tensor as 3-D).
 */
#ifndef NPY_H
#define NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_ELEMS (INT64_C(1) << 31)  /* refuse arrays above 2^31 elements */
#define NPY_MAX_HEADER 65536              /* refuse longer header dictionaries */
#define NPY_MAX_WRITE_DIM 8

typedef struct {
    int ndim;          /* 1 or 2 */
    int64_t shape[2];  /* shape[1] = 1 when ndim == 1 */
    int64_t count;     /* elements */
    double *data;      /* C order; owned (npy_free) */
} npy_array;

/* Read a file; 0 on success, -1 with a reason in err. */
int npy_read(const char *path, npy_array *a, char *err, size_t errlen);
/* The same checks on an in-memory image of a file (fuzzing, tests). */
int npy_parse(const unsigned char *buf, size_t len, npy_array *a, char *err, size_t errlen);
void npy_free(npy_array *a);

/* Write data (C order, prod(shape) values) as '<f8'. */
int npy_write(const char *path, int ndim, const int64_t *shape, const double *data,
              char *err, size_t errlen);

#endif
