/*
 * train_ckpt.c - checkpoints and exports of `dse train --save DIR`
 * (train_ckpt.h).
 *
 * checkpoint.bin: "FDHTCKP1", the run's identity hash, epochs done, Adam's
 * step, the parameter count, seconds, the per-epoch history, then the
 * parameters and Adam's two moments as raw tn_real (this machine's byte
 * order), and an FNV-1a of everything before it.  It is replaced through a
 * temporary file, fsync and rename, so a kill at any moment leaves either
 * the previous or the new checkpoint, never a torn one.
 */
#include "train_ckpt.h"

#include "npy.h"
#include "cm_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The checksum's FNV-1a starts from the offset basis short of its last
 * digit: checkpoints on disk hold it, so it stays. */
#define CKPT_FNV_START UINT64_C(1469598103934665603)

#define CKPT_MAGIC "FDHTCKP1"

void ckpt_free(ckpt_state *s)
{
    free(s->train_loss);
    free(s->train_acc);
    free(s->val_acc);
    s->train_loss = s->train_acc = s->val_acc = NULL;
}

int ckpt_push(ckpt_state *s, double loss, double acc, double val)
{
    size_t n = (size_t)s->epochs + 1;
    double *a = realloc(s->train_loss, n * sizeof *a);
    if (a)
        s->train_loss = a;
    double *b = realloc(s->train_acc, n * sizeof *b);
    if (b)
        s->train_acc = b;
    double *c = realloc(s->val_acc, n * sizeof *c);
    if (c)
        s->val_acc = c;
    if (!a || !b || !c)
        return -1;
    s->train_loss[n - 1] = loss;
    s->train_acc[n - 1] = acc;
    s->val_acc[n - 1] = val;
    s->epochs++;
    return 0;
}

/* ------------------------------------------------------------ writing */

typedef struct {
    FILE *f;
    uint64_t h;
    int bad;
} wstream;

static void put(wstream *w, const void *p, size_t n)
{
    w->h = cm_fnv1a(w->h, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->bad = 1;
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0777) && errno != EEXIST)
        return cm_fail(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return cm_fail(err, errlen, "%s: not a directory", dir);
    return 0;
}

int ckpt_write(const char *dir, const ckpt_state *s, tr_model *m, const tr_adam *a,
               char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    if (mkdir_p(dir, err, errlen))
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, CKPT_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    wstream w = {fopen(tmp, "wb"), CKPT_FNV_START, 0};
    if (!w.f)
        return cm_fail(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
    int64_t np = tr_nparams(m), ep = s->epochs;
    put(&w, CKPT_MAGIC, 8);
    put(&w, &s->ident, sizeof s->ident);
    put(&w, &ep, sizeof ep);
    put(&w, &a->step, sizeof a->step);
    put(&w, &np, sizeof np);
    put(&w, &s->seconds, sizeof s->seconds);
    put(&w, s->train_loss, (size_t)ep * sizeof(double));
    put(&w, s->train_acc, (size_t)ep * sizeof(double));
    put(&w, s->val_acc, (size_t)ep * sizeof(double));
    put(&w, tr_params(m), (size_t)np * sizeof(tn_real));
    put(&w, a->mom, (size_t)np * sizeof(tn_real));
    put(&w, a->vel, (size_t)np * sizeof(tn_real));
    uint64_t sum = w.h;
    put(&w, &sum, sizeof sum);
    int bad = w.bad || fflush(w.f) || fsync(fileno(w.f));
    bad |= fclose(w.f) != 0;
    if (bad || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return cm_fail(err, errlen, "%s: cannot write the checkpoint: %s", path, strerror(e));
    }
    return 0;
}

/* ------------------------------------------------------------ reading */

typedef struct {
    const unsigned char *p;
    size_t len, at;
} rstream;

static int take(rstream *r, void *dst, size_t n)
{
    if (r->len - r->at < n)
        return -1;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 0;
}

static unsigned char *slurp(const char *path, size_t *len, int *missing)
{
    FILE *f = fopen(path, "rb");
    *missing = !f && errno == ENOENT;
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    if (!fseek(f, 0, SEEK_END)) {
        long n = ftell(f);
        if (n >= 0 && !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n + 1)) &&
            fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = n >= 0 ? (size_t)n : 0;
    }
    fclose(f);
    return buf;
}

static int parse(rstream *r, ckpt_state *s, tr_model *m, tr_adam *a, const char *path,
                 char *err, size_t errlen)
{
    char magic[8];
    int64_t ep, np;
    uint64_t ident;
    if (take(r, magic, 8) || memcmp(magic, CKPT_MAGIC, 8) || take(r, &ident, 8) ||
        take(r, &ep, 8) || take(r, &a->step, 8) || take(r, &np, 8) ||
        take(r, &s->seconds, 8))
        return cm_fail(err, errlen, "%s: not a dse train checkpoint", path);
    if (ident != s->ident)
        return cm_fail(err, errlen, "%s: a checkpoint of another run (other point, data or "
                                    "options); use another --save DIR or remove it", path);
    if (np != tr_nparams(m) || ep < 0 || ep > CKPT_MAX_EPOCHS)
        return cm_fail(err, errlen, "%s: damaged checkpoint (sizes)", path);
    size_t need = 3 * (size_t)ep * sizeof(double) + 3 * (size_t)np * sizeof(tn_real) + 8;
    if (r->len - r->at != need)
        return cm_fail(err, errlen, "%s: damaged checkpoint (%zu bytes where %zu belong)", path,
                       r->len - r->at, need);
    uint64_t h = cm_fnv1a(CKPT_FNV_START, r->p, r->len - 8), sum;
    memcpy(&sum, r->p + r->len - 8, 8);
    if (h != sum)
        return cm_fail(err, errlen, "%s: damaged checkpoint (checksum)", path);
    s->epochs = 0;
    for (int64_t e = 0; e < ep; e++)
        if (ckpt_push(s, 0, 0, 0))
            return cm_fail(err, errlen, "out of memory");
    take(r, s->train_loss, (size_t)ep * sizeof(double));
    take(r, s->train_acc, (size_t)ep * sizeof(double));
    take(r, s->val_acc, (size_t)ep * sizeof(double));
    take(r, tr_params(m), (size_t)np * sizeof(tn_real));
    take(r, a->mom, (size_t)np * sizeof(tn_real));
    take(r, a->vel, (size_t)np * sizeof(tn_real));
    return 0;
}

int ckpt_read(const char *dir, ckpt_state *s, tr_model *m, tr_adam *a, char *err,
              size_t errlen)
{
    char path[4096];
    size_t len = 0;
    int missing;
    snprintf(path, sizeof path, "%s/%s", dir, CKPT_FILE);
    unsigned char *buf = slurp(path, &len, &missing);
    if (!buf) {
        if (missing)
            return 0;
        return cm_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    rstream r = {buf, len, 0};
    int rc = parse(&r, s, m, a, path, err, errlen);
    free(buf);
    return rc ? -1 : 1;
}

/* ------------------------------------------------------------ export */

static int save_f32(const char *dir, const char *name, int ndim, const int64_t *shape,
                    const tn_real *v, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    return npy_write_f32(path, ndim, shape, v, err, errlen);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void manifest_tensor(FILE *f, const tr_tensor *t, int first)
{
    fprintf(f, "%s\n    {\"file\": \"%s.npy\", \"role\": ", first ? "" : ",", t->name);
    json_str(f, t->role);
    fprintf(f, ", \"indices\": ");
    json_str(f, t->indices);
    fprintf(f, ", \"shape\": [");
    for (int d = 0; d < t->ndim; d++)
        fprintf(f, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    fprintf(f, "]}");
}

static int write_manifest(const char *dir, tr_model *m, const ckpt_meta *mt, char *err,
                          size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return cm_fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "{\n  \"format\": \"fdht-dse train 1\",\n  \"point\": ");
    json_str(f, mt->point);
    fprintf(f, ",\n  \"network\": ");
    json_str(f, mt->net);
    fprintf(f, ",\n  \"n_in\": %d, \"hidden\": %d, \"classes\": %d, \"frames\": %d,"
               " \"decomp\": \"%s\", \"n_pad\": %d,\n  \"dataset\": ",
            mt->n_in, mt->hidden, mt->classes, mt->frames, mt->decomp, mt->n_pad);
    json_str(f, mt->dataset);
    fprintf(f, ", \"data_hash\": \"%s\",\n  \"epochs\": %d, \"batch\": %d, \"lr\": %.17g,"
               " \"seed\": %llu, \"test_accuracy\": %.17g,\n",
            mt->data_hash, mt->epochs, mt->batch, mt->lr, (unsigned long long)mt->seed,
            mt->test_accuracy);
    fprintf(f, "  \"conventions\": \"z = W_x x_t + W_h h_{t-1} + bias, gate rows i, f, g, o"
               " (H each); c = sig(f) c + sig(i) tanh(g); h = sig(o) tanh(c); zero initial"
               " state; logits = fc_weight h_T + fc_bias.  A factor's array has the shape of"
               " its indices (m_k, n_k: output and input modes, r: ranks), row-major; W[i][j]"
               " with i <-> (i_1..i_d), j <-> (j_1..j_d) row-major.  concat: wx is 4H x n_pad"
               " applied to [x; h; 0].  weight_ih_l0 ... fc_bias.npy: torch.nn.LSTM(n_in, H,"
               " batch_first=True) and torch.nn.Linear(H, classes) (docs/TRAIN.md)\",\n");
    fprintf(f, "  \"tensors\": [");
    for (int i = 0; i < tr_ntensors(m); i++) {
        tr_tensor t;
        tr_tensor_info(m, i, &t);
        manifest_tensor(f, &t, i == 0);
    }
    fprintf(f, "\n  ],\n  \"torch\": [\"weight_ih_l0.npy\", \"weight_hh_l0.npy\","
               " \"bias_ih_l0.npy\", \"bias_hh_l0.npy\", \"fc_weight.npy\", \"fc_bias.npy\"]\n}\n");
    if (fclose(f))
        return cm_fail(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

int ckpt_export(const char *dir, tr_model *m, const ckpt_meta *mt, char *err, size_t errlen)
{
    if (mkdir_p(dir, err, errlen))
        return -1;
    tn_real *th = tr_params(m);
    for (int i = 0; i < tr_ntensors(m); i++) {
        tr_tensor t;
        tr_tensor_info(m, i, &t);
        if (save_f32(dir, t.name, t.ndim, t.shape, th + t.off, err, errlen))
            return -1;
    }
    int64_t H4 = 4 * (int64_t)mt->hidden, H = mt->hidden, n = mt->n_in;
    tn_real *wih = malloc((size_t)(H4 * n) * sizeof *wih);
    tn_real *whh = malloc((size_t)(H4 * H) * sizeof *whh);
    tn_real *zero = calloc((size_t)H4, sizeof *zero);
    int rc = (!wih || !whh || !zero) ? cm_fail(err, errlen, "out of memory") : 0;
    if (!rc)
        rc = tr_dense(m, wih, whh, err, errlen);
    tr_tensor bias;
    tr_tensor_info(m, tr_ntensors(m) - 3, &bias);
    int64_t s_ih[2] = {H4, n}, s_hh[2] = {H4, H}, s_b[1] = {H4};
    if (!rc)
        rc = save_f32(dir, "weight_ih_l0", 2, s_ih, wih, err, errlen) ||
             save_f32(dir, "weight_hh_l0", 2, s_hh, whh, err, errlen) ||
             save_f32(dir, "bias_ih_l0", 1, s_b, th + bias.off, err, errlen) ||
             save_f32(dir, "bias_hh_l0", 1, s_b, zero, err, errlen);
    free(wih);
    free(whh);
    free(zero);
    if (rc)
        return -1;
    return write_manifest(dir, m, mt, err, errlen);
}
