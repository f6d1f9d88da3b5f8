/*
 * test_point.c - the canonical design-point string: round trips
 * (format(parse(s)) == s for every printed s), equal points print equally,
 * hostile and malformed strings are refused with a message naming the
 * problem, and random mutations of valid strings never crash.
 */
#include "test_util.h"

#include "cm_point.h"

static const char *const good[] = {
    /* TIE, LSTM-UCF */
    "lstm;nin=57600;h=256;dec=partial/wx;f=tt;m=16x4x4x4;n=8x20x20x18;r=1,4,4,4,1;o=1,2,3,4;"
    "df=wp/wh;f=dense;m=1024;n=256;o=W;df=wp/hw;P=16;L=16;b=16;B=16;wm=131072;wg=65536;"
    "bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
    /* FDHT, concat, per-step dataflows */
    "lstm;nin=57600;h=256;dec=concat;pad=58320/wx;f=ht;m=16x4x4x4;n=9x20x18x18;"
    "t=((1:4,2:4):4,(3:4,4:4):4);o=3,4,34,2,1,12,1234;df=wp.wp.wp.wp.op.op.wp/hw;P=16;L=16;"
    "b=16;B=16;wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=transform;tech=28nm",
    /* separate */
    "lstm;nin=16;h=2;dec=separate/wx;f=tt;m=4x2;n=4x4;r=1,2,1;o=2,1;df=op/wh;f=ht;m=4x2;n=1x2;"
    "t=(1:1,2:2);o=1,2,12;df=wp/hw;P=3;L=5;b=8;B=7;wm=1000;wg=0;bw=1;sfu=4096;mhz=1;"
    "map=skew;tech=45nm",
    /* one matrix */
    ("mv/wx;f=dense;m=3x5;n=7x2;o=W;df=op/hw;P=1;L=1;b=2;B=1;wm=2;wg=1099511627776;"
     "bw=10000000;sfu=1;mhz=100000;map=xor;tech=my_node-1.0"),
};

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cm_point p, q;
        char err[CM_ERRLEN], out[CM_POINT_MAXLEN], out2[CM_POINT_MAXLEN];
        if (cm_point_parse(good[i], &p, err, sizeof err) < 0)
            fail_msg("%s: %s", good[i], err);
        int n = cm_point_format(&p, out, sizeof out);
        assert_int_equal(n, (int)strlen(out));
        assert_string_equal(out, good[i]);
        assert_int_equal(cm_point_parse(out, &q, err, sizeof err), 0);
        cm_point_format(&q, out2, sizeof out2);
        assert_string_equal(out, out2);
        assert_null(strchr(out, ' '));
    }
}

/* Different spellings of one point print one canonical string. */
static void test_equal_points_print_equally(void **state)
{
    (void)state;
    const char *a = "mv/wx;f=ht;m=2x2x2;n=3x3x3;t=((1:2,2:2):3,3:2);o=1,2,12,3,123;df=wp/hw;"
                    "P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm";
    /* children swapped, every df spelled out, fields of a section in another order */
    const char *b = "mv/wx;n=3x3x3;f=ht;m=2x2x2;t=(3:2,(2:2,1:2):3);o=1,2,12,3,123;"
                    "df=wp.wp.wp.wp.wp/hw;tech=28nm;map=linear;P=2;L=2;b=8;B=4;wm=64;wg=64;"
                    "bw=100;sfu=1;mhz=100";
    cm_point p, q;
    char err[CM_ERRLEN], sa[CM_POINT_MAXLEN], sb[CM_POINT_MAXLEN];
    if (cm_point_parse(a, &p, err, sizeof err) < 0)
        fail_msg("a: %s", err);
    if (cm_point_parse(b, &q, err, sizeof err) < 0)
        fail_msg("b: %s", err);
    cm_point_format(&p, sa, sizeof sa);
    cm_point_format(&q, sb, sizeof sb);
    assert_string_equal(sa, sb);
    assert_string_equal(sa, a);
}

static void test_truncated_buffer(void **state)
{
    (void)state;
    cm_point p;
    char err[CM_ERRLEN], small[16];
    assert_int_equal(cm_point_parse(good[0], &p, err, sizeof err), 0);
    int n = cm_point_format(&p, small, sizeof small);
    assert_int_equal(n, (int)strlen(good[0]));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(strncmp(small, good[0], sizeof small - 1), 0);
}

typedef struct {
    const char *s, *want; /* the error must contain want */
} bad_case;

#define HW "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm"
#define WX "wx;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=wp"

static const bad_case bad[] = {
    {"", "empty"},
    {"mv/" WX, "3 or 4"},
    {"mv/" WX "/" WX "/" WX HW, "3 or 4"},
    {"mv/" WX HW "/", "sections"},
    {"mv /" WX HW, "space"},
    {"mv/" WX HW "\n", "control"},
    {"mlp/" WX HW, "'lstm' or 'mv'"},
    {"mv;x=1/" WX HW, "unknown key 'x'"},
    {"mv/wy;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=wp" HW, "'wx'"},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2" HW, "missing key 'df'"},
    {"mv/wx;f=tt;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=wp" HW, "twice"},
    {"mv/wx;f=qt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=wp" HW, "dense, tt or ht"},
    {"mv/wx;f=tt;m=2x2;n=3x3x3;r=1,2,1;o=1,2;df=wp" HW, "modes"},
    {"mv/wx;f=tt;m=2x0;n=3x3;r=1,2,1;o=1,2;df=wp" HW, "m="},
    {"mv/wx;f=tt;m=2x;n=3x3;r=1,2,1;o=1,2;df=wp" HW, "m="},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2;o=1,2;df=wp" HW, "ranks"},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,3;df=wp" HW, "o:"},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=wp.op.wp" HW, "per step"},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2,1;o=1,2;df=xp" HW, "wp or op"},
    {"mv/wx;f=tt;m=2x2;n=3x3;r=1,2,1;t=(1:2,2:2);o=1,2;df=wp" HW, "r is for tt"},
    {"mv/wx;f=ht;m=2x2;n=3x3;t=(1,2);o=1,2,12;df=wp" HW, "rank"},
    {"mv/wx;f=ht;m=2x2x2;n=3x3x3;t=(1:2,2:2);o=1,2,12;df=wp" HW, "modes"},
    {"mv/wx;f=ht;m=2x2;n=3x3;t=(1:2,2:2;o=1,2,12;df=wp" HW, "t:"},
    {"mv/" WX "/hw;P=0;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm", "P="},
    {"mv/" WX "/hw;P=-1;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm", "P="},
    {"mv/" WX "/hw;P=+2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm", "P="},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=99999999999999999999;wg=64;bw=100;sfu=1;mhz=100;map=linear;"
     "tech=28nm", "wm="},
    {"mv/" WX "/hw;P=2;L=2;b=17;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm", "b="},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=diagonal;tech=28nm",
     "map="},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28/nm",
     "sections"},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=2$nm",
     "technology name"},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear", "'tech'"},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=4;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm",
     "wm"},
    {"lstm;nin=9;h=1;dec=partial/" WX HW, "4 sections"},
    {"lstm;nin=9;h=1;dec=partial/" WX "/wh;f=tt;m=2x2;n=1x1;r=1,1,1;o=1,2;df=wp" HW, "dense"},
    {"lstm;nin=9;h=2;dec=partial/" WX "/wh;f=dense;m=8;n=2;o=W;df=wp" HW, "the layer needs"},
    {"lstm;nin=9;h=1;dec=concat/" WX HW, "pad"},
    {"lstm;nin=9;h=1;dec=concat;pad=9/" WX HW, "pad"},
    {"lstm;nin=9;h=1;dec=partial;pad=9/" WX "/wh;f=dense;m=4;n=1;o=W;df=wp" HW, "pad"},
    {"lstm;nin=9;h=1;dec=fused/" WX HW, "dec="},
    {"lstm;nin=9;h=1;dec=separate/" WX "/wx;f=dense;m=4;n=1;o=W;df=wp" HW, "'wh'"},
    {"mv/" WX "/hw;P=2;L=2;b=8;B=4;wm=64;wg=64;bw=100;sfu=1;mhz=100;map=linear;tech=28nm;x",
     "key=value"},
};

static void test_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cm_point p;
        char err[CM_ERRLEN] = "";
        if (cm_point_parse(bad[i].s, &p, err, sizeof err) == 0)
            fail_msg("accepted: %s", bad[i].s);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': error '%s' does not mention '%s'", bad[i].s, err, bad[i].want);
    }
    /* too long, NULL, no error buffer */
    char *longs = malloc(4 * CM_POINT_MAXLEN);
    memset(longs, 'a', 4 * CM_POINT_MAXLEN - 1);
    longs[4 * CM_POINT_MAXLEN - 1] = '\0';
    cm_point p;
    char err[CM_ERRLEN];
    assert_int_equal(cm_point_parse(longs, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer"));
    free(longs);
    assert_int_equal(cm_point_parse(NULL, &p, err, sizeof err), -1);
    assert_int_equal(cm_point_parse("mv", &p, NULL, 0), -1);
}

/* Random byte edits of valid strings: never a crash; whatever parses is
 * canonical after one round (format(parse(format(parse(s')))) stable). */
/* The hardware part prints every number as printf's %lld would (its own
 * digit-pair writer must agree, e.g. on the pair "99" and on 19 digits). */
static void test_hw_numbers(void **state)
{
    (void)state;
    const char *base = "mv/wx;f=dense;m=3x5;n=7x2;o=W;df=op/hw;P=1;L=1;b=2;B=1;wm=2;wg=10;"
                       "bw=1;sfu=1;mhz=1;map=linear;tech=28nm";
    cm_point p;
    char err[CM_ERRLEN], hw[CM_POINT_HWMAX], want[CM_POINT_HWMAX];
    assert_int_equal(cm_point_parse(base, &p, err, sizeof err), 0);
    const int64_t vals[] = {0, 1, 9, 10, 99, 100, 909, 990, 999, 1099, 109911627776,
                            INT64_C(999999999999999999), INT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        p.hw.wgt_words = vals[i];
        int n = cm_point_format_hw(&p, hw, sizeof hw);
        int m = snprintf(want, sizeof want,
                         "/hw;P=1;L=1;b=2;B=1;wm=2;wg=%lld;bw=1;sfu=1;mhz=1;map=linear;tech=28nm",
                         (long long)vals[i]);
        assert_int_equal(n, m);
        assert_string_equal(hw, want);
    }
    assert_int_equal(cm_point_format_hw(&p, hw, 64), -1); /* buffer under CM_POINT_HWMAX */
}

static void test_mutations(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789x,;=/():.abcdefghijklmnopqrstuvwxyzPLBW- ";
    uint64_t rng = 12345;
    int parsed = 0;
    for (int it = 0; it < 20000; it++) {
        const char *src = good[cm_rand_next(&rng) % (sizeof good / sizeof good[0])];
        char s[CM_POINT_MAXLEN + 8];
        snprintf(s, sizeof s, "%s", src);
        int edits = 1 + (int)(cm_rand_next(&rng) % 3);
        for (int e = 0; e < edits; e++) {
            size_t n = strlen(s);
            size_t at = n ? (size_t)(cm_rand_next(&rng) % n) : 0;
            switch (cm_rand_next(&rng) % 3) {
            case 0: /* replace */
                s[at] = alphabet[cm_rand_next(&rng) % (sizeof alphabet - 1)];
                break;
            case 1: /* delete */
                memmove(s + at, s + at + 1, n - at);
                break;
            default: /* truncate */
                s[at] = '\0';
                break;
            }
        }
        cm_point p, q;
        char err[CM_ERRLEN], a[CM_POINT_MAXLEN], b[CM_POINT_MAXLEN];
        if (cm_point_parse(s, &p, err, sizeof err) < 0) {
            assert_true(err[0] != '\0');
            continue;
        }
        parsed++;
        assert_true(cm_point_format(&p, a, sizeof a) > 0);
        if (cm_point_parse(a, &q, err, sizeof err) < 0)
            fail_msg("printed form of a parsed mutation does not parse: %s (from %s): %s", a, s, err);
        cm_point_format(&q, b, sizeof b);
        assert_string_equal(a, b);
    }
    printf("mutations: %d of 20000 still valid points\n", parsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_equal_points_print_equally),
        cmocka_unit_test(test_truncated_buffer), cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_hw_numbers),   cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
