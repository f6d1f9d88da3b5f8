/*
 * test_walk.h - the synthetic sequence task of the trainer's tests
 * (test_train.c, test_cli_train.c): a bright pixel walks across a 4 x 4 frame
 * in one of four directions, wrapping around, over uniform noise of 0.1; the
 * label is the direction, so only the order of the frames tells the classes
 * apart.  Include after test_util.h and cm_matvec.h (cm_rand_next).
 */
#ifndef TEST_WALK_H
#define TEST_WALK_H

enum { WALK_SIDE = 4, WALK_NIN = 16, WALK_T = 6, WALK_CLASSES = 4 };

/* One clip of WALK_T frames of WALK_NIN floats into x; its label. */
static inline int walk_clip(uint64_t *st, float *x)
{
    static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    int c = (int)(cm_rand_next(st) % WALK_CLASSES);
    int px = (int)(cm_rand_next(st) % WALK_SIDE), py = (int)(cm_rand_next(st) % WALK_SIDE);
    for (int t = 0; t < WALK_T; t++) {
        for (int i = 0; i < WALK_NIN; i++)
            x[t * WALK_NIN + i] = (float)(0.1 * cm_rand_uniform(st));
        x[t * WALK_NIN + py * WALK_SIDE + px] = 1;
        px = (px + dx[c] + WALK_SIDE) % WALK_SIDE;
        py = (py + dy[c] + WALK_SIDE) % WALK_SIDE;
    }
    return c;
}

#endif
