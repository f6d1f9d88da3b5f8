-- results.sql - schema of an FDHT-DSE results database (SQLite).
--
-- Compiled into dse (embed_results_sql) and applied by db_open on a new
-- file; `sqlite3 F.db < schemas/results.sql` makes the same database.  The
-- schema version is PRAGMA user_version (db.h: DB_SCHEMA_VERSION); dse
-- refuses to write files of another version (read-only commands also read
-- version 1, which differs only by the key hash below; `dse merge NEW OLD`
-- converts).  Query the views: `results` (one row per design point, every
-- metric a column), `breakdowns`, `runs`, `run_points`.

PRAGMA page_size = 16384;           -- only effective on a new, empty file
PRAGMA application_id = 1178880084;  -- 0x46444854, "FDHT"
PRAGMA user_version = 2;

-- One invocation of `dse run` (or of one shard of it).
CREATE TABLE IF NOT EXISTS run (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,    -- identifies the run across merges
    spec_text    TEXT,
    spec_hash    TEXT,
    seed         INTEGER,                 -- uint64 stored as its int64 bits
    tool_version TEXT,
    tech_name    TEXT,
    tech_hash    TEXT,
    shard_i      INTEGER NOT NULL DEFAULT 0,
    shard_n      INTEGER NOT NULL DEFAULT 1,
    command      TEXT,
    front_points INTEGER,                 -- dse reproduce: the points of the front it
                                          -- stored (its reuse check); NULL otherwise
    workload     TEXT,                    -- the spec's workload name (LSTM-UCF ...)
    started      TEXT NOT NULL,           -- ISO 8601 UTC
    ended        TEXT,
    status       TEXT NOT NULL            -- running, done, interrupted, failed
);
CREATE INDEX IF NOT EXISTS run_spec ON run(spec_hash, shard_i, shard_n);

-- One design point, keyed by its canonical string; metrics are plain columns
-- (fast scans).  NULL: unknown or not applicable.
--
-- Uniqueness of `point` is enforced through `key`, a 63-bit hash of the
-- string (dse/io/db_key.c: db_point_key): a small integer index inserts far faster than
-- an index of long strings.  Its high 31 bits hash the string up to its last
-- '/' (workload and matrices), its low 32 bits the rest (the hardware), so
-- that the points of one algorithm, which a sweep visits together, land in
-- one region of the index; dse also inserts each batch in key order.  (In
-- version 1 the key was FNV-1a 64 of the whole string, murmur3-finalized,
-- >> 1.)  Two different strings with one key take the next free key (key +
-- 1, ...): a point is looked up by probing from its key until its string or
-- a free key is found.  So plain SQL finds a point by `WHERE point = '...'`
-- (a scan), dse finds it by key.  Never delete points.  Ids increase from
-- batch to batch; within one stored batch they follow the keys.
CREATE TABLE IF NOT EXISTS point (
    id             INTEGER PRIMARY KEY,
    key            INTEGER NOT NULL UNIQUE,
    point          TEXT NOT NULL,
    run_id         INTEGER NOT NULL REFERENCES run(id),  -- the run that stored it
    params         INTEGER,   -- weight parameters of the decomposed model
    macs           INTEGER,   -- per frame
    cycles         INTEGER,   -- per frame (frame period)
    conflicts      INTEGER,   -- bank conflicts per frame
    stall_cycles   INTEGER,   -- cycles lost to bank conflicts per frame
    dram_bytes     INTEGER,   -- per frame
    area_mm2       REAL,
    energy_pj      REAL,      -- per frame
    power_mw       REAL,
    throughput_fps REAL,      -- frames/s
    area_eff       REAL,      -- frames/s/mm^2
    energy_eff     REAL,      -- frames/J
    utilization    REAL,      -- MAC utilization, 0..1
    err_upper      REAL,      -- relative error bounds of the decomposition
    err_lower      REAL,
    format         TEXT,      -- descriptors, for filters: ht, tt, dense ...
    pes            INTEGER,
    lanes          INTEGER,
    banks          INTEGER,
    bits           INTEGER,
    freq_mhz       REAL,
    valid          INTEGER NOT NULL DEFAULT 1,  -- 0: infeasible, see reason
    reason         TEXT,
    latency        INTEGER,
    akey           INTEGER
);
-- latency and akey were added within version 2 (older files get them, NULL,
-- when opened for writing): latency, cycles from a frame's first input to
-- its last output; akey, the point's algorithm in table algo.  The rest of
-- the hardware (bank map, memories, DRAM bandwidth, SFU lanes) is read from
-- the point string by the results view, and the technology is the run's:
-- storing them would cost every insert a fifth more.

-- The algorithm part of stored points (everything before "/hw;": workload,
-- decomposition, and per matrix its format, modes, ranks or tree, order and
-- dataflows), one row per algorithm, derived from the point string once
-- when its first point is stored; the results view joins it.  akey is a
-- 64-bit hash of that part (dse/io/db_insert.c), the same in every database,
-- so merged shards agree on it.
CREATE TABLE IF NOT EXISTS algo (
    akey        INTEGER PRIMARY KEY,
    algo        TEXT NOT NULL,      -- the point string up to "/hw;"
    workload    TEXT,               -- lstm or mv
    n_in        INTEGER,
    hidden      INTEGER,
    decomp      TEXT,               -- partial, separate, concat
    n_pad       INTEGER,            -- concat: the padded columns
    wx_format   TEXT, wx_m TEXT, wx_n TEXT, wx_ranks TEXT, wx_rank_max INTEGER,
    wx_tree     TEXT, wx_order TEXT, wx_dataflow TEXT,
    wh_format   TEXT, wh_m TEXT, wh_n TEXT, wh_ranks TEXT, wh_rank_max INTEGER,
    wh_tree     TEXT, wh_order TEXT, wh_dataflow TEXT
) WITHOUT ROWID;
-- No index on run_id: it would cost ~15% of the insert rate, and queries by
-- run scan the table (a million rows in a fraction of a second) anyway.

-- Run membership: the points a run evaluated that another run had stored
-- first (a point is stored once, by the first run that evaluates it:
-- point.run_id).  A run's points are those it stored plus its rows here
-- (view run_points); a point of its own never has a row.  So a sweep into
-- a new file writes no row at all, and a run whose space overlaps an
-- earlier one's (LSTM-Youtube's concat points are LSTM-UCF's) one row per
-- shared point, written with the batch that met it (dse/io/db_insert.c).
-- Added within version 2: opening an older file for writing adds it (its
-- earlier runs then know only the points they stored).
CREATE TABLE IF NOT EXISTS run_point (
    run_id   INTEGER NOT NULL REFERENCES run(id),
    point_id INTEGER NOT NULL REFERENCES point(id),
    PRIMARY KEY (run_id, point_id)
) WITHOUT ROWID;

-- Spectra of the error proxy's reference (dse run): the singular values of
-- one matricization (canonical mode set `mask`, cm_hsvd.h) of one matrix of
-- a reference under one factorization, so that a repeated or resumed run of
-- a spec with a `reference` does not compute them again.  ref: a hash of
-- the reference's values (or synthetic kind, seed and shape); fact: the
-- matrix and factorization ("wx 16x4x4x4 8x20x20x18", "concat ...",
-- "wh ..."), or "norm2" (mask 0, sv = ||W_x||^2, ||W_h||^2); sv: n doubles,
-- descending, little-endian; rest: the squared tail beyond them.
-- Added within version 2 like run_point.
CREATE TABLE IF NOT EXISTS spectrum (
    ref     TEXT NOT NULL,
    fact    TEXT NOT NULL,
    mask    INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    rest    REAL NOT NULL,
    sv      BLOB NOT NULL,
    created TEXT,
    PRIMARY KEY (ref, fact, mask)
) WITHOUT ROWID;

-- Names of the breakdown components (mult, add, reg, wsram, work, work_rd,
-- work_wr, inbuf ..., dram, leak: cm_area_name and cm_energy_name).
CREATE TABLE IF NOT EXISTS component (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Area and per-frame energy of each component of a point (`accesses` is
-- not filled: the model keeps no per-component access counts; always NULL).
-- `dse run` stores them only with --breakdowns (15 rows per point, the 9
-- area and 12 energy components merged by name, would cost more than the
-- point itself); `dse show` recomputes the breakdown of a point without
-- rows from its point string with the model and the run's technology table
-- (it checks the table's hash and the stored totals).  `dse reproduce`
-- stores them for its front.
CREATE TABLE IF NOT EXISTS breakdown (
    point_id  INTEGER NOT NULL REFERENCES point(id),
    comp_id   INTEGER NOT NULL REFERENCES component(id),
    area_um2  REAL,
    energy_pj REAL,
    accesses  INTEGER,
    PRIMARY KEY (point_id, comp_id)
) WITHOUT ROWID;

-- Measured accuracies imported from CSV (dse import-accuracy); keyed by the
-- point string so that they survive merges.
CREATE TABLE IF NOT EXISTS accuracy (
    point    TEXT NOT NULL,
    dataset  TEXT NOT NULL,
    accuracy REAL NOT NULL,
    source   TEXT,
    imported TEXT NOT NULL,
    PRIMARY KEY (point, dataset)
) WITHOUT ROWID;

-- Accuracies measured by `dse train --db`: one row per (network, data set,
-- training options, seed).  A network is the algorithm part of a point
-- without its contraction orders and dataflows, which do not change the
-- function computed (cm_point.h: cm_point_format_net), e.g.
--   lstm;nin=4096;h=64;dec=concat;pad=4160/wx;f=ht;m=4x4x4x4;n=4x8x10x13;t=...
-- so every stored point of that network, whatever its order and hardware,
-- shows the accuracy (results.accuracy below).  Added within version 2, with
-- run.front_points, the algo table and point's last columns: opening a
-- version-2 file made before them for writing adds them and renews the
-- `results` view, nothing else.
-- Networks whose HT trees are one unrooted tree with the same edge ranks
-- are one class (costmodel/accel/cm_netclass.h) and are trained once: the
-- row of the network trained is copied to every other network of its class
-- (shared_from names the network trained; its other columns, params and
-- seconds included, are that training's), so every point of every member
-- shows the class's accuracy.  A copy never replaces a network's own
-- training; the accuracy stage's copies (of the class representative)
-- replace other copies.  shared_from was added within version 2 (NULL in
-- older files: every row there is a network's own training).
CREATE TABLE IF NOT EXISTS train (
    net            TEXT NOT NULL,     -- network string
    dataset        TEXT NOT NULL,     -- the data set's canonical description
    data_hash      TEXT NOT NULL,     -- hash of its options (built-in) or files
    epochs         INTEGER NOT NULL,  -- the training budget
    batch          INTEGER NOT NULL,
    lr             REAL NOT NULL,
    seed           INTEGER NOT NULL,
    clips          INTEGER,           -- training clips per epoch
    params         INTEGER,
    test_accuracy  REAL NOT NULL,     -- 0..1
    test_loss      REAL,
    train_accuracy REAL,
    val_accuracy   REAL,
    seconds        REAL,
    tool_version   TEXT,
    created        TEXT NOT NULL,     -- ISO 8601 UTC
    shared_from    TEXT,              -- NULL: trained as this network; else a copy
                                      -- of that network's row (same class)
    PRIMARY KEY (net, data_hash, epochs, batch, lr, seed)
) WITHOUT ROWID;

-- One row per point, every metric a column.  accuracy: the mean imported
-- accuracy of the point over its data sets (table accuracy) when there is
-- one; else the mean test accuracy over the seeds (and data sets) of the
-- point's network trained with the largest budget (table train); NULL when
-- neither.  accuracy_n: how many values that mean has.  The network string
-- is cut out of the point string here (what precedes ';o=' in each matrix
-- section), exactly as cm_point_format_net prints it.
CREATE VIEW IF NOT EXISTS results AS
SELECT p.id, p.point, p.run_id,
       p.params, p.macs, p.cycles, p.latency, p.conflicts, p.stall_cycles, p.dram_bytes,
       p.area_mm2, p.energy_pj, p.power_mw, p.throughput_fps,
       p.area_eff, p.energy_eff, p.utilization, p.err_upper, p.err_lower,
       p.format, p.pes, p.lanes, p.banks, p.bits, p.freq_mhz,
       p.valid, p.reason,
       coalesce((SELECT avg(a.accuracy) FROM accuracy a WHERE a.point = p.point),
                (SELECT avg(t.test_accuracy) FROM train t
                 WHERE t.net = p.net
                   AND t.epochs = (SELECT max(u.epochs) FROM train u WHERE u.net = p.net)))
           AS accuracy,
       coalesce(nullif((SELECT count(*) FROM accuracy a WHERE a.point = p.point), 0),
                (SELECT count(*) FROM train t
                 WHERE t.net = p.net
                   AND t.epochs = (SELECT max(u.epochs) FROM train u WHERE u.net = p.net)))
           AS accuracy_n,
       g.workload, g.n_in, g.hidden, g.decomp, g.n_pad,
       g.wx_format, g.wx_m, g.wx_n, g.wx_ranks, g.wx_rank_max, g.wx_tree, g.wx_order,
       g.wx_dataflow,
       g.wh_format, g.wh_m, g.wh_n, g.wh_ranks, g.wh_rank_max, g.wh_tree, g.wh_order,
       g.wh_dataflow,
       substr(substr(p.point, instr(p.point, ';map=') + 5), 1, instr(substr(p.point, instr(p.point, ';map=') + 5) || ';', ';') - 1) AS bank_map,
       CAST(substr(substr(p.point, instr(p.point, ';wm=') + 4), 1, instr(substr(p.point, instr(p.point, ';wm=') + 4) || ';', ';') - 1) AS INTEGER) AS work_words,
       CAST(substr(substr(p.point, instr(p.point, ';wg=') + 4), 1, instr(substr(p.point, instr(p.point, ';wg=') + 4) || ';', ';') - 1) AS INTEGER) AS wgt_words,
       CAST(substr(substr(p.point, instr(p.point, ';bw=') + 4), 1, instr(substr(p.point, instr(p.point, ';bw=') + 4) || ';', ';') - 1) AS INTEGER) AS dram_mbps,
       CAST(substr(substr(p.point, instr(p.point, ';sfu=') + 5), 1, instr(substr(p.point, instr(p.point, ';sfu=') + 5) || ';', ';') - 1) AS INTEGER) AS sfu_lanes,
       (SELECT r.tech_name FROM run r WHERE r.id = p.run_id) AS tech, p.akey
FROM (SELECT q.*,
             CASE WHEN instr(q.point, '/wh;') > 0
                  THEN substr(q.point, 1, instr(q.point, ';o=') - 1)
                       || substr(substr(q.point, instr(q.point, '/wh;')), 1,
                                 instr(substr(q.point, instr(q.point, '/wh;')), ';o=') - 1)
                  ELSE substr(q.point, 1, instr(q.point, ';o=') - 1) END AS net
      FROM point q) p
LEFT JOIN algo g ON g.akey = p.akey;

CREATE VIEW IF NOT EXISTS breakdowns AS
SELECT p.id, p.point, c.name AS component, b.area_um2, b.energy_pj, b.accesses
FROM breakdown b JOIN point p ON p.id = b.point_id JOIN component c ON c.id = b.comp_id;

-- Every point of every run: (run_id, point_id), the run's stored points and
-- those it shares (table run_point).  The points of run 2:
--   SELECT * FROM results WHERE id IN (SELECT point_id FROM run_points WHERE run_id = 2)
CREATE VIEW IF NOT EXISTS run_points AS
SELECT run_id, id AS point_id FROM point
UNION ALL
SELECT run_id, point_id FROM run_point;

-- points: every point the run evaluated (and stored); stored: those it
-- stored first; the rest had been stored by another run.
CREATE VIEW IF NOT EXISTS runs AS
SELECT r.id, r.workload, r.status, r.started, r.ended, r.seed, r.spec_hash, r.tech_name,
       r.shard_i, r.shard_n, r.tool_version,
       coalesce(c.n, 0) + coalesce(m.n, 0) AS points, coalesce(c.n, 0) AS stored
FROM run r
LEFT JOIN (SELECT run_id, count(*) AS n FROM point GROUP BY run_id) c ON c.run_id = r.id
LEFT JOIN (SELECT run_id, count(*) AS n FROM run_point GROUP BY run_id) m ON m.run_id = r.id;
