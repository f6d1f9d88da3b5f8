/*
 * traindata.h - the clips `dse train` learns from: the built-in
 * `moving-fmnist` generator (Fashion-MNIST items bouncing on a canvas, made
 * deterministically from the images of Debian's dataset-fashion-mnist) or a
 * directory of the user's .npy files.  Three splits: train, val (held out of
 * the training clips) and test.
 *
 * A clip is T frames of n_in floats (C order: clip, frame, feature) and one
 * integer label in [0, classes).  Built-in clips are generated on demand, a
 * pure function of the options and the clip's (split, index); .npy clips are
 * read once and checked.
 */
#ifndef TRAINDATA_H
#define TRAINDATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { TD_TRAIN = 0, TD_VAL = 1, TD_TEST = 2 } td_split;

typedef struct td_set td_set;

/*
 * Opens a data set for a network of n_in inputs:
 *   "moving-fmnist" or "moving-fmnist:KEY=VALUE,..." - the built-in clips;
 *   anything else - a directory with train_x.npy, train_y.npy, test_x.npy,
 *   test_y.npy (val_x.npy, val_y.npy optional).
 * Every problem (unknown option, n_in with no frame shape, package not
 * installed, a bad or inconsistent file) gives -1 and one line in err.
 */
int td_open(const char *what, int64_t n_in, td_set **out, char *err, size_t errlen);
void td_close(td_set *s);

int64_t td_count(const td_set *s, td_split sp);  /* clips in the split */
int td_frames(const td_set *s);                  /* T */
int64_t td_n_in(const td_set *s);
int td_classes(const td_set *s);

/* Clips idx[0..n-1] of split sp: x gets n * T * n_in floats, y n labels. */
void td_batch(const td_set *s, td_split sp, const int64_t *idx, int n, float *x, int32_t *y);

/* "moving-fmnist" or the directory as given. */
const char *td_name(const td_set *s);
/* The canonical description: every option with its value for the built-in
 * set ("moving-fmnist:frames=12,..."), the directory for .npy data. */
const char *td_describe(const td_set *s);
/* 16 hex digits: a hash of the canonical options (built-in) or of the
 * files' contents (.npy): what makes a stored accuracy reproducible. */
const char *td_hash(const td_set *s);

/* The Fashion-MNIST image clip i of split sp shows (built-in set): an index
 * into the train images for TD_TRAIN (0..53999) and TD_VAL (54000..59999),
 * into the test images for TD_TEST; -1 for .npy data or no such clip.
 * Lets tests check that the splits never share an image. */
int64_t td_source_image(const td_set *s, td_split sp, int64_t i);

/* Writes the three splits as train_x.npy ... val_y.npy (float32 / int64)
 * into dir (created if missing), so that other tools see the same clips. */
int td_write_npy(const td_set *s, const char *dir, char *err, size_t errlen);

#endif
