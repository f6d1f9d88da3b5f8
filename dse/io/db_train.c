/*
 * db_train.c - accuracies (db.h): measured accuracies imported from CSV
 * (dse import-accuracy, table accuracy) and the accuracies of networks
 * trained by dse train --db (table train), which the `results` view shows
 * for every point of the network, and the copies of a training for the
 * other networks of its class (db_share_train).
 */
#include "db_int.h"

#include "cm_netclass.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- measured accuracy ---- */

int db_put_accuracy(db_conn *d, const char *point, const char *dataset, double accuracy,
                    const char *source, char *err, size_t errlen)
{
    if (!point || !*point || !dataset || !*dataset || !isfinite(accuracy))
        return cm_fail(err, errlen, "accuracy needs a point, a dataset and a finite value");
    if (dbi_prepare(d, &d->ins_acc, "INSERT OR REPLACE INTO accuracy(point, dataset, accuracy,"
                                    " source, imported) VALUES (?1, ?2, ?3, ?4,"
                                    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", err, errlen))
        return -1;
    sqlite3_stmt *st = d->ins_acc;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, accuracy);
    dbi_bind_text(st, 4, source);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store an accuracy");
    return 0;
}

/* ---- trained accuracy ---- */

static void bind_train_key(sqlite3_stmt *st, const db_train_row *r)
{
    sqlite3_bind_text(st, 1, r->net, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->data_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->epochs);
    sqlite3_bind_int(st, 4, r->batch);
    sqlite3_bind_double(st, 5, r->lr);
    sqlite3_bind_int64(st, 6, (int64_t)r->seed);
}

db_train_row db_train_key(const char *net, const char *dataset, const char *data_hash,
                          int epochs, int batch, double lr, uint64_t seed)
{
    db_train_row k;
    memset(&k, 0, sizeof k);
    k.net = net;
    k.dataset = dataset;
    k.data_hash = data_hash;
    k.epochs = epochs;
    k.batch = batch;
    k.lr = lr;
    k.seed = seed;
    k.test_accuracy = k.test_loss = k.train_accuracy = k.val_accuracy = NAN;
    return k;
}

int db_put_train(db_conn *d, const db_train_row *r, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO train(net, data_hash, epochs, batch, lr, seed, dataset, clips,"
        " params, test_accuracy, test_loss, train_accuracy, val_accuracy, seconds,"
        " tool_version, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    if (!r->net || !*r->net || !r->dataset || !r->data_hash || !isfinite(r->test_accuracy))
        return cm_fail(err, errlen, "a trained accuracy needs a network, a data set and a value");
    sqlite3_stmt *st = NULL;
    if (db_begin(d, err, errlen))
        return -1;
    if (dbi_prepare(d, &st, sql, err, errlen))
        goto bad;
    bind_train_key(st, r);
    sqlite3_bind_text(st, 7, r->dataset, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->clips);
    sqlite3_bind_int64(st, 9, r->params);
    sqlite3_bind_double(st, 10, r->test_accuracy);
    dbi_bind_real(st, 11, r->test_loss);
    dbi_bind_real(st, 12, r->train_accuracy);
    dbi_bind_real(st, 13, r->val_accuracy);
    dbi_bind_real(st, 14, r->seconds);
    sqlite3_bind_text(st, 15, db_tool_version(), -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dbi_sqlfail(d, err, errlen, "cannot store a trained accuracy");
        goto bad;
    }
    return dbi_end(d, st, 1, err, errlen);
bad:
    return dbi_end(d, st, 0, err, errlen);
}

int db_get_train(db_conn *d, const db_train_row *key, double *test, double *val, char *err,
                 size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (dbi_prepare(d, &st, "SELECT test_accuracy, val_accuracy FROM train"
                            " WHERE net = ?1 AND data_hash = ?2"
                            " AND epochs = ?3 AND batch = ?4 AND lr = ?5 AND seed = ?6"
                            " AND shared_from IS NULL",
                    err, errlen))
        return -1;
    bind_train_key(st, key);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found) {
        *test = sqlite3_column_double(st, 0);
        *val = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read trained accuracies");
    return found;
}

/* ---- one training for a class ---- */

int db_share_train(db_conn *d, const db_train_row *key, const char *const *nets, size_t n,
                   int replace, char *err, size_t errlen)
{
    /* a copy names the network really trained, also when the row copied is
     * itself a copy; it never replaces a network's own training */
    static const char head[] =
        "INSERT INTO train(net, data_hash, epochs, batch, lr, seed, dataset, clips, params,"
        " test_accuracy, test_loss, train_accuracy, val_accuracy, seconds, tool_version,"
        " created, shared_from)"
        " SELECT ?7, data_hash, epochs, batch, lr, seed, dataset, clips, params,"
        " test_accuracy, test_loss, train_accuracy, val_accuracy, seconds, tool_version,"
        " created, coalesce(shared_from, net) FROM train"
        " WHERE net = ?1 AND data_hash = ?2 AND epochs = ?3 AND batch = ?4 AND lr = ?5"
        " AND seed = ?6 ON CONFLICT(net, data_hash, epochs, batch, lr, seed) ";
    static const char upd[] =
        "DO UPDATE SET dataset = excluded.dataset, clips = excluded.clips,"
        " params = excluded.params, test_accuracy = excluded.test_accuracy,"
        " test_loss = excluded.test_loss, train_accuracy = excluded.train_accuracy,"
        " val_accuracy = excluded.val_accuracy, seconds = excluded.seconds,"
        " tool_version = excluded.tool_version, created = excluded.created,"
        " shared_from = excluded.shared_from"
        " WHERE train.shared_from IS NOT NULL AND train.shared_from IS NOT excluded.shared_from";
    char sql[sizeof head + sizeof upd];
    snprintf(sql, sizeof sql, "%s%s", head, replace ? upd : "DO NOTHING");
    sqlite3_stmt *st = NULL;
    size_t todo = 0;
    for (size_t i = 0; i < n; i++)
        todo += strcmp(nets[i], key->net) != 0;
    if (!todo)
        return 0;
    if (db_begin(d, err, errlen))
        return -1;
    if (dbi_prepare(d, &st, sql, err, errlen))
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(nets[i], key->net))
            continue;
        bind_train_key(st, key);
        sqlite3_bind_text(st, 7, nets[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            dbi_sqlfail(d, err, errlen, "cannot store a shared training");
            goto bad;
        }
    }
    return dbi_end(d, st, 1, err, errlen);
bad:
    return dbi_end(d, st, 0, err, errlen);
}

typedef struct {
    char (*name)[CM_POINT_MAXLEN];
    size_t n, cap;
} names;

static int add_name(const cm_point *p, void *ud)
{
    names *v = ud;
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        char(*t)[CM_POINT_MAXLEN] = realloc(v->name, cap * sizeof *t);
        if (!t)
            return -1;
        v->name = t;
        v->cap = cap;
    }
    return cm_point_format_net(p, v->name[v->n++], CM_POINT_MAXLEN) < 0 ? -1 : 0;
}

int db_share_class(db_conn *d, const db_train_row *key, int replace, char *err, size_t errlen)
{
    cm_point p;
    names v = {0};
    char e[CM_ERRLEN];
    if (cm_point_parse_net(key->net, &p, e, sizeof e))
        return 0; /* not a network the trainer knows: no class */
    int rc = cm_net_class_each(&p, add_name, &v);
    const char **list = rc ? NULL : malloc((v.n ? v.n : 1) * sizeof *list);
    if (!list) {
        free(v.name);
        return cm_fail(err, errlen, "out of memory (class of %s)", key->net);
    }
    for (size_t i = 0; i < v.n; i++)
        list[i] = v.name[i];
    rc = db_share_train(d, key, list, v.n, replace, err, errlen);
    free(list);
    free(v.name);
    return rc;
}
