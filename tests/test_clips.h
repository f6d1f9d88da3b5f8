/*
 * test_clips.h - the clip files dse train reads, written for the tests
 * (test_cli_train, test_traindata): a split's <split>_x.npy (n clips x T
 * frames x nin features, float32) and <split>_y.npy (n int64 labels) in a
 * directory.  Include after test_util.h and npy.h.
 */
#ifndef TEST_CLIPS_H
#define TEST_CLIPS_H

/* Writes dir/<split>_x.npy and dir/<split>_y.npy; the test fails if it cannot. */
static inline void tu_write_clips(const char *dir, const char *split, int64_t n, int64_t T,
                                  int64_t nin, const float *x, const int64_t *y)
{
    char p[600], err[300];
    int64_t shape[3] = {n, T, nin};
    snprintf(p, sizeof p, "%s/%s_x.npy", dir, split);
    if (npy_write_f32(p, 3, shape, x, err, sizeof err))
        fail_msg("%s", err);
    snprintf(p, sizeof p, "%s/%s_y.npy", dir, split);
    if (npy_write_i64(p, n, y, err, sizeof err))
        fail_msg("%s", err);
}

#endif
