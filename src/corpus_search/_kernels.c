/* The engine's inner loops in C: what a query does once per occurrence, or once per step of a binary
 * search, where numpy would make several passes over the occurrences and Python one call per step.
 *
 * Arrays come in through the buffer protocol (numpy arrays, contiguous), so this module needs Python's
 * headers only, not numpy's. segment.py, reader.py and matching.py call it with arrays of the types the
 * index format (segment.py) stores; tests/test_kernels.py checks every function against a numpy or
 * Python oracle.
 *
 * - sa_range(codes, sa, pattern): the range of the suffix array whose suffixes start with `pattern`.
 * - suffix_array(codes, out): a part's suffix array, sorted by sais-lite (sais.c, a file of its own).
 * - place(...): occurrences (rising part positions) placed in blocks and passages, with whole-word marks.
 * - rising(values, keys, right, out): np.searchsorted for keys that rise.
 * - shortest(...): the shortest match from each start of a pattern of one or two literal parts.
 * - tally(...): occurrences counted per passage: all, whole words, spelled as typed.
 * - rows_in(...): a tally's rows at some passages, and which occurrences those rows hold.
 * - bm25(...): one term's BM25 added to each passage's score, in one pass.
 * - near(...): the pairs of a NEAR or ADJ, passage by passage.
 * - spelled(...): which occurrences are spelled as the typed text, by the text's code points.
 * - utf8_offsets(data, chars, out): the byte offsets of character indices in UTF-8, so that a hit
 *   decodes its passage only, not its whole block.
 * - map_codes(codes, table, out): code points through a dense table, for codetable.py.
 * - windows(...): the words around each occurrence that collocates count, walking the word flags.
 * - word_flags(...), word_characters(...): a block's word flags from jieba's pieces, at indexing.
 * - block_word_counts(pieces, han): a block's `word<TAB>count` table from jieba's pieces, at indexing.
 * - sum_counts(tables): blocks' `word<TAB>count` tables summed into a part's, at indexing.
 * - counts_in(table, wanted): some words' counts in a part's table, and its total, for collocates.
 * - join_whitespace(...): normalisation's step 1, whitespace dropped or kept as one space, with offsets.
 * - passage_bounds(...), line_numbers(text, offsets): where a file's passages start, and on which lines.
 *
 * (About 1,600 lines, in one file: the helpers for buffers and galloping serve the query functions, and
 * the text scanners of indexing share theirs (whitespace, Han ranges, word tables); each function is one
 * loop and its argument checks. The suffix sort is vendored code, kept apart in sais.c as its authors
 * wrote it.)
 *
 * Positions rise in every call the engine makes, so each lookup gallops from the previous answer: the
 * cost is O(n log(m / n)) for n positions in a table of m, not n binary searches over the whole table.
 * Positions that do not rise are still answered correctly (the search starts again from the left).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* -- buffers ------------------------------------------------------------------------------------- */

typedef struct {
    Py_buffer view;
    Py_ssize_t length; /* items */
    int size;          /* bytes per item */
    int held;
} Array;

/* Take a contiguous buffer of items of one of the sizes allowed (a mask of 1, 2, 4, 8 bytes). */
static int take(PyObject *object, Array *array, int sizes, int writable, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    array->held = 0;
    if (PyObject_GetBuffer(object, &array->view, flags) < 0) return -1;
    array->held = 1;
    array->size = (int)array->view.itemsize;
    if (!(array->size & sizes) || array->view.ndim > 1) {
        PyErr_Format(PyExc_TypeError, "%s: unexpected item size %d", name, array->size);
        return -1;
    }
    array->length = array->view.len / array->size;
    return 0;
}

static void release(Array *array) {
    if (array->held) PyBuffer_Release(&array->view);
    array->held = 0;
}

/* take() for `count` arguments at once: objects[i] as arrays[i] (item sizes sizes[i]), writable from
 * index `first_out` on; at index `optional` (or none: -1) None leaves the array unheld. Every array is
 * marked unheld first, so release_all() is right after a failure too. */
static int take_all(PyObject **objects, Array *arrays, int count, const char **names, const int *sizes,
                    int first_out, int optional) {
    for (int i = 0; i < count; i++) arrays[i].held = 0;
    for (int i = 0; i < count; i++) {
        if (i == optional && objects[i] == Py_None) continue;
        if (take(objects[i], &arrays[i], sizes[i], i >= first_out, names[i]) < 0) return -1;
    }
    return 0;
}

static void release_all(Array *arrays, int count) {
    for (int i = 0; i < count; i++) release(&arrays[i]);
}

/* Item `i` as a signed 64-bit integer (the sizes the format uses: unsigned 1, 2 and 4, signed 4 and 8
 * bytes; the caller says which by the buffer's format). */
static inline int64_t item(const Array *array, Py_ssize_t i) {
    const char *data = (const char *)array->view.buf;
    switch (array->size) {
    case 1: return ((const uint8_t *)data)[i];
    case 2: return ((const uint16_t *)data)[i];
    case 4:
        if (array->view.format && (array->view.format[0] == 'i' || array->view.format[0] == 'l'))
            return ((const int32_t *)data)[i];
        return ((const uint32_t *)data)[i];
    default: return ((const int64_t *)data)[i];
    }
}

static inline const int64_t *longs(const Array *array) { return (const int64_t *)array->view.buf; }

/* The first index in [low, length) whose value is > key (right) or >= key (not right), galloping from
 * `low`: steps of 1, 2, 4… until passed, then a binary search inside the last step. */
static inline Py_ssize_t gallop(const int64_t *values, Py_ssize_t length, Py_ssize_t low, int64_t key, int right) {
    Py_ssize_t step = 1, high = low;
#define BEFORE(v) (right ? (v) <= key : (v) < key)
    while (high < length && BEFORE(values[high])) {
        low = high + 1;
        high += step;
        step <<= 1;
    }
    if (high > length) high = length;
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (BEFORE(values[middle])) low = middle + 1;
        else high = middle;
    }
#undef BEFORE
    return low;
}

/* np.searchsorted(values, keys[i], side) for keys taken in turn: from the previous answer when the key
 * did not fall, else from the left. */
typedef struct {
    const int64_t *values;
    Py_ssize_t length;
    Py_ssize_t at;
    int64_t last;
    int right;
} Cursor;

static inline Py_ssize_t seek(Cursor *cursor, int64_t key) {
    if (key < cursor->last) cursor->at = 0;
    cursor->last = key;
    /* A few steps one by one first: where keys are dense, the answer is a step or two on, and a
     * straight scan mispredicts one branch where a gallop mispredicts several. */
    const int64_t *values = cursor->values;
    Py_ssize_t at = cursor->at, length = cursor->length;
    for (int step = 0; step < 8; step++, at++) {
        if (at == length || (cursor->right ? values[at] > key : values[at] >= key)) return cursor->at = at;
    }
    cursor->at = gallop(values, length, at, key, cursor->right);
    return cursor->at;
}

static Cursor cursor(const Array *array, int right) {
    Cursor made = {longs(array), array->length, 0, INT64_MIN, right};
    return made;
}

/* -- sa_range ------------------------------------------------------------------------------------ */

/* -1, 0 or 1 as the suffix at `start`, cut to the pattern's length, sorts before, equal to or after
 * the pattern (a suffix shorter than the pattern and equal as far as it goes sorts before it). */
static inline int compare(const Array *codes, Py_ssize_t start, const Array *pattern) {
    for (Py_ssize_t k = 0; k < pattern->length; k++) {
        if (start + k >= codes->length) return -1;
        int64_t code = item(codes, start + k), wanted = item(pattern, k);
        if (code != wanted) return code < wanted ? -1 : 1;
    }
    return 0;
}

static Py_ssize_t bound(const Array *codes, const Array *sa, const Array *pattern, int upper) {
    Py_ssize_t low = 0, high = sa->length;
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        int order = compare(codes, (Py_ssize_t)item(sa, middle), pattern);
        if (order < 0 || (upper && order == 0)) low = middle + 1;
        else high = middle;
    }
    return low;
}

static PyObject *sa_range(PyObject *self, PyObject *args) {
    PyObject *codes_object, *sa_object, *pattern_object;
    Array codes, sa, pattern;
    codes.held = sa.held = pattern.held = 0;
    if (!PyArg_ParseTuple(args, "OOO", &codes_object, &sa_object, &pattern_object)) return NULL;
    PyObject *result = NULL;
    if (take(codes_object, &codes, 2 | 4, 0, "codes") < 0 || take(sa_object, &sa, 4 | 8, 0, "sa") < 0 ||
        take(pattern_object, &pattern, 4 | 8, 0, "pattern") < 0)
        goto done;
    Py_ssize_t low, high;
    Py_BEGIN_ALLOW_THREADS
    low = bound(&codes, &sa, &pattern, 0);
    high = low;
    /* The upper bound lies at or after the lower one. */
    Py_ssize_t top = sa.length;
    while (high < top) {
        Py_ssize_t middle = high + (top - high) / 2;
        if (compare(&codes, (Py_ssize_t)item(&sa, middle), &pattern) <= 0) high = middle + 1;
        else top = middle;
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("nn", low, high);
done:
    release(&codes);
    release(&sa);
    release(&pattern);
    return result;
}

/* -- suffix_array ---------------------------------------------------------------------------------- */

int cs_suffix_array(const void *T, int32_t *SA, int32_t n, int32_t k, int cs); /* sais.c */

/* suffix_array(codes, out): out[i] = the start of the i-th smallest suffix of `codes` (uint16, or
 * uint32 below 2**31), a suffix that is a prefix of another sorting first: a part's suffix array, sorted
 * as its codes by SA-IS (sais.c), with the GIL released. */
static PyObject *suffix_array(PyObject *self, PyObject *args) {
    PyObject *objects[2];
    if (!PyArg_ParseTuple(args, "OO", &objects[0], &objects[1])) return NULL;
    static const char *names[] = {"codes", "out"};
    static const int sizes[] = {2 | 4, 4};
    Array arrays[2];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 2, names, sizes, 1, -1) < 0) goto done;
    Py_ssize_t count = arrays[0].length;
    if (arrays[1].length != count) {
        PyErr_SetString(PyExc_ValueError, "suffix_array: out is not as long as codes");
        goto done;
    }
    if (count > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "suffix_array: more than 2**31 - 1 codes");
        goto done;
    }
    int status = 0, size = arrays[0].size;
    const void *codes = arrays[0].view.buf;
    Py_BEGIN_ALLOW_THREADS
    uint32_t largest = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint32_t code = size == 2 ? ((const uint16_t *)codes)[i] : ((const uint32_t *)codes)[i];
        if (code > largest) largest = code;
    }
    if (largest >= INT32_MAX) status = -1;
    else status = cs_suffix_array(codes, (int32_t *)arrays[1].view.buf, (int32_t)count, (int32_t)largest + 1, size);
    Py_END_ALLOW_THREADS
    if (status == -2) PyErr_NoMemory();
    else if (status != 0) PyErr_SetString(PyExc_ValueError, "suffix_array: a code of 2**31 - 1 or more");
    else result = Py_NewRef(Py_None);
done:
    release_all(arrays, 2);
    return result;
}

/* -- place --------------------------------------------------------------------------------------- */

/* place(starts, ends, length, block_start, block_end, live, passage_start, flags, boundary, offsets,
 *       out_start, out_end, out_block, out_passage, out_whole, out_at) -> count
 *
 * For each occurrence [start, end) of a part (starts: int32 or int64; ends: int64, or None for
 * start + length): its block (the last block_start <= start), kept only when start lies before that
 * block's end and the block is live (one byte each); its passage (the last passage_start <= start),
 * found from `buckets` when the part has them (int32: how many passages start before each run of
 * 2**shift positions, so the answer is a step or two on from its run's count) or else by seeking from
 * the last answer (parts written before buckets were); and
 * whether it is whole words: flags[start] has `boundary`, and so has flags[end] unless the end reaches
 * the block's end. The kept ones are written in order from index `out_at` of the out arrays (int64;
 * whole: one byte), with `offsets` = (position, passage, block) added to make them global, and their
 * number is returned. */
static PyObject *place(PyObject *self, PyObject *args) {
    PyObject *starts_object, *ends_object, *buckets_object, *objects[11];
    Py_ssize_t length, out_at;
    int boundary, shift;
    long long position_offset, passage_offset, block_offset;
    if (!PyArg_ParseTuple(args, "OOnOOOOOiOi(LLL)OOOOOn", &starts_object, &ends_object, &length, &objects[0],
                          &objects[1], &objects[2], &objects[3], &objects[4], &boundary, &buckets_object, &shift,
                          &position_offset, &passage_offset, &block_offset, &objects[5], &objects[6], &objects[7],
                          &objects[8], &objects[9], &out_at))
        return NULL;
    static const char *names[] = {"block_start", "block_end", "live",      "passage_start", "flags",
                                  "out_start",   "out_end",   "out_block", "out_passage",   "out_whole"};
    static const int sizes[] = {8, 8, 1, 8, 1, 8, 8, 8, 8, 1};
    Array arrays[10], starts, ends, buckets;
    starts.held = ends.held = buckets.held = 0;
    PyObject *result = NULL;
    if (take_all(objects, arrays, 10, names, sizes, 5, -1) < 0) goto done;
    if (take(starts_object, &starts, 4 | 8, 0, "starts") < 0) goto done;
    if (ends_object != Py_None && take(ends_object, &ends, 8, 0, "ends") < 0) goto done;
    if (buckets_object != Py_None && take(buckets_object, &buckets, 4, 0, "buckets") < 0) goto done;
    Array *block_end = &arrays[1], *live = &arrays[2], *flags = &arrays[4];
    Py_ssize_t count = starts.length;
    if ((ends.held && ends.length != count) || block_end->length != arrays[0].length ||
        live->length != arrays[0].length) {
        PyErr_SetString(PyExc_ValueError, "place: arrays of different lengths");
        goto done;
    }
    /* Every position a start may take (below the flags' length) has its run's count. */
    if (buckets.held && (shift < 0 || shift > 30 || buckets.length < ((flags->length - 1) >> shift) + 1)) {
        PyErr_SetString(PyExc_ValueError, "place: too few buckets for the part");
        goto done;
    }
    for (int i = 5; i < 10; i++)
        if (out_at < 0 || arrays[i].length < out_at + count) {
            PyErr_SetString(PyExc_ValueError, "place: an out array is too short");
            goto done;
        }
    Py_ssize_t kept = 0;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Cursor blocks = cursor(&arrays[0], 1), passages = cursor(&arrays[3], 1);
    const int64_t *end_at = ends.held ? longs(&ends) : NULL, *block_ends = longs(block_end);
    const uint8_t *alive = (const uint8_t *)live->view.buf, *flag = (const uint8_t *)flags->view.buf;
    const int32_t *bucket = buckets.held ? (const int32_t *)buckets.view.buf : NULL;
    const int64_t *passage_at = longs(&arrays[3]);
    Py_ssize_t passage_count = arrays[3].length;
    int64_t *out_start = (int64_t *)arrays[5].view.buf + out_at, *out_end = (int64_t *)arrays[6].view.buf + out_at;
    int64_t *out_block = (int64_t *)arrays[7].view.buf + out_at, *out_passage = (int64_t *)arrays[8].view.buf + out_at;
    uint8_t *out_whole = (uint8_t *)arrays[9].view.buf + out_at;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i + 8 < count) { /* the flags (and bucket) of an occurrence a few ahead: far away */
            int64_t ahead = item(&starts, i + 8);
            if (ahead >= 0 && ahead < flags->length) {
                __builtin_prefetch(flag + ahead);
                if (bucket) __builtin_prefetch(bucket + (ahead >> shift));
            }
        }
        if (bucket && i + 4 < count) { /* and the passage starts its bucket, fetched before, points to */
            int64_t ahead = item(&starts, i + 4);
            if (ahead >= 0 && ahead < flags->length) {
                int32_t first = bucket[ahead >> shift];
                if (first >= 0 && first < passage_count) __builtin_prefetch(passage_at + first);
            }
        }
        int64_t start = item(&starts, i), end = end_at ? end_at[i] : start + length;
        Py_ssize_t block = seek(&blocks, start) - 1;
        if (block < 0 || start >= block_ends[block] || !alive[block]) continue;
        if (start < 0 || end < start || end >= flags->length) {
            bad = 1;
            break;
        }
        Py_ssize_t passage;
        if (bucket) {
            Py_ssize_t after = bucket[start >> shift]; /* passages before the run: none of them after it */
            if (after < 0 || after > passage_count) {
                bad = 1;
                break;
            }
            while (after < passage_count && passage_at[after] <= start) after++;
            passage = after - 1;
        } else {
            passage = seek(&passages, start) - 1;
        }
        out_start[kept] = start + position_offset;
        out_end[kept] = end + position_offset;
        out_block[kept] = block + block_offset;
        out_passage[kept] = passage + passage_offset;
        out_whole[kept] = (flag[start] & boundary) && (end >= block_ends[block] || (flag[end] & boundary));
        kept++;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_IndexError, "place: a position outside the part");
        goto done;
    }
    result = PyLong_FromSsize_t(kept);
done:
    release_all(arrays, 10);
    release(&starts);
    release(&ends);
    release(&buckets);
    return result;
}

/* -- rising -------------------------------------------------------------------------------------- */

/* rising(values, keys, right, out) -> None: out[i] = np.searchsorted(values, keys[i], side), values and
 * keys int64, galloping from the previous answer (fast when keys rise). */
static PyObject *rising(PyObject *self, PyObject *args) {
    PyObject *values_object, *keys_object, *out_object;
    int right;
    if (!PyArg_ParseTuple(args, "OOpO", &values_object, &keys_object, &right, &out_object)) return NULL;
    Array values, keys, out;
    values.held = keys.held = out.held = 0;
    PyObject *result = NULL;
    if (take(values_object, &values, 8, 0, "values") < 0 || take(keys_object, &keys, 8, 0, "keys") < 0 ||
        take(out_object, &out, 8, 1, "out") < 0)
        goto done;
    if (out.length < keys.length) {
        PyErr_SetString(PyExc_ValueError, "rising: the out array is too short");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    Cursor at = cursor(&values, right);
    const int64_t *key = longs(&keys);
    int64_t *answer = (int64_t *)out.view.buf;
    for (Py_ssize_t i = 0; i < keys.length; i++) answer[i] = seek(&at, key[i]);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release(&values);
    release(&keys);
    release(&out);
    return result;
}

/* -- shortest ------------------------------------------------------------------------------------ */

/* True when every position in [start, end) holds a word character, and end lies inside the flags. */
static inline int word_run(const uint8_t *flags, int64_t size, int64_t start, int64_t end, int word) {
    if (end >= size || start > end || start < 0) return 0;
    for (int64_t at = start; at < end; at++)
        if (!(flags[at] & word)) return 0;
    return 1;
}

/* shortest(firsts, seconds, flags, word, own_length, first_length, gaps, second_length, out_start, out_end)
 *     -> count
 *
 * The shortest match from each start of a pattern of one or two literal parts (matching.py's
 * shortest_matches, for these): `firsts` are where the first part starts and `seconds` where the
 * second does (int64, rising; None for a pattern of one part); `gaps` = (before, fewest, most, after)
 * word characters: before the first part, between the parts (the fewest to the most, shortest first)
 * and after the last. A match starts `before` characters ahead of its first part, below `own_length`;
 * every gap holds word characters only (flags & word) and ends inside the flags. Matches are written
 * in order of their starts, and their number returned. */
static PyObject *shortest(PyObject *self, PyObject *args) {
    PyObject *firsts_object, *seconds_object, *flags_object, *out_start_object, *out_end_object;
    int word;
    long long own_length, first_length, second_length, before, fewest, most, after;
    if (!PyArg_ParseTuple(args, "OOOiLL(LLLL)LOO", &firsts_object, &seconds_object, &flags_object, &word,
                          &own_length, &first_length, &before, &fewest, &most, &after, &second_length,
                          &out_start_object, &out_end_object))
        return NULL;
    Array firsts, seconds, flags, out_start, out_end;
    firsts.held = seconds.held = flags.held = out_start.held = out_end.held = 0;
    PyObject *result = NULL;
    if (take(firsts_object, &firsts, 8, 0, "firsts") < 0 ||
        (seconds_object != Py_None && take(seconds_object, &seconds, 8, 0, "seconds") < 0) ||
        take(flags_object, &flags, 1, 0, "flags") < 0 || take(out_start_object, &out_start, 8, 1, "out_start") < 0 ||
        take(out_end_object, &out_end, 8, 1, "out_end") < 0)
        goto done;
    if (out_start.length < firsts.length || out_end.length < firsts.length) {
        PyErr_SetString(PyExc_ValueError, "shortest: an out array is too short");
        goto done;
    }
    Py_ssize_t found = 0;
    Py_BEGIN_ALLOW_THREADS
    const uint8_t *flag = (const uint8_t *)flags.view.buf;
    const int64_t *first_at = longs(&firsts);
    int64_t size = flags.length, limit = size - 1;
    int64_t *starts = (int64_t *)out_start.view.buf, *ends = (int64_t *)out_end.view.buf;
    Cursor later = seconds.held ? cursor(&seconds, 0) : cursor(&firsts, 0);
    for (Py_ssize_t i = 0; i < firsts.length; i++) {
        if (i + 8 < firsts.length) { /* the flags after a first part a few ahead: far away, as in place */
            int64_t ahead = first_at[i + 8] + first_length;
            if (ahead >= 0 && ahead < size) __builtin_prefetch(flag + ahead);
        }
        int64_t first = first_at[i], start = first - before, at = first + first_length;
        if (start < 0 || start >= own_length || !word_run(flag, size, start, first, word)) continue;
        if (!word_run(flag, size, at, at + fewest, word)) continue;
        if (!seconds.held) {
            starts[found] = start;
            ends[found++] = at + fewest;
            continue;
        }
        /* The first place rises from one start to the next; the later ones are a few steps on. */
        const int64_t *second_at = longs(&seconds);
        Py_ssize_t j = seek(&later, at + fewest);
        for (int64_t gap = fewest; gap <= most; gap++) {
            int64_t place = at + gap;
            while (j < seconds.length && second_at[j] < place) j++;
            if (j < seconds.length && second_at[j] == place &&
                word_run(flag, size, place + second_length, place + second_length + after, word)) {
                starts[found] = start;
                ends[found++] = place + second_length + after;
                break;
            }
            if (gap == most || place >= limit || !(flag[place] & word)) break;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    release(&firsts);
    release(&seconds);
    release(&flags);
    release(&out_start);
    release(&out_end);
    return result;
}

/* -- tally --------------------------------------------------------------------------------------- */

/* tally(passage, whole, exact, out_passage, out_count, out_whole, out_exact) -> count
 *
 * Occurrences whose passages rise (int64), with their whole-word marks and whether each is spelled as
 * typed (one byte each; exact may be None: all are): each distinct passage once, with how many
 * occurrences it holds, how many of them are whole words, and how many are spelled as typed (int64).
 * Returns the number of distinct passages. */
static PyObject *tally(PyObject *self, PyObject *args) {
    PyObject *objects[7];
    if (!PyArg_ParseTuple(args, "OOOOOOO", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &objects[6]))
        return NULL;
    static const char *names[] = {"passage", "whole", "exact", "out_passage", "out_count", "out_whole", "out_exact"};
    static const int sizes[] = {8, 1, 1, 8, 8, 8, 8};
    Array arrays[7];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 7, names, sizes, 3, 2) < 0) goto done;
    Py_ssize_t count = arrays[0].length;
    if (arrays[1].length != count || (arrays[2].held && arrays[2].length != count)) {
        PyErr_SetString(PyExc_ValueError, "tally: arrays of different lengths");
        goto done;
    }
    for (int i = 3; i < 7; i++)
        if (arrays[i].length < count) {
            PyErr_SetString(PyExc_ValueError, "tally: an out array is too short");
            goto done;
        }
    Py_ssize_t distinct = 0;
    Py_BEGIN_ALLOW_THREADS
    const int64_t *passage = longs(&arrays[0]);
    const uint8_t *whole = (const uint8_t *)arrays[1].view.buf;
    const uint8_t *exact = arrays[2].held ? (const uint8_t *)arrays[2].view.buf : NULL;
    int64_t *out_passage = (int64_t *)arrays[3].view.buf, *out_count = (int64_t *)arrays[4].view.buf;
    int64_t *out_whole = (int64_t *)arrays[5].view.buf, *out_exact = (int64_t *)arrays[6].view.buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!distinct || passage[i] != out_passage[distinct - 1]) {
            out_passage[distinct] = passage[i];
            out_count[distinct] = out_whole[distinct] = out_exact[distinct] = 0;
            distinct++;
        }
        out_count[distinct - 1]++;
        out_whole[distinct - 1] += whole[i] != 0;
        out_exact[distinct - 1] += exact ? exact[i] != 0 : 1;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(distinct);
done:
    release_all(arrays, 7);
    return result;
}

/* rows_in(distinct, count, wanted, out_rows, out_index) -> (rows, occurrences)
 *
 * A tally's rows (distinct passages, rising, and the occurrences counted in each; int64) read at the
 * passages of `wanted` (rising, int64): the row of each wanted passage the tally holds, in order, into
 * out_rows, and the index of every occurrence of those rows among all the tally's occurrences (they lie
 * row after row) into out_index. One pass over both, summing the occurrences before each row on the way,
 * where numpy took a lookup, two running sums over every row and five gathers. */
static PyObject *rows_in(PyObject *self, PyObject *args) {
    PyObject *objects[5];
    if (!PyArg_ParseTuple(args, "OOOOO", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4]))
        return NULL;
    static const char *names[] = {"distinct", "count", "wanted", "out_rows", "out_index"};
    static const int sizes[] = {8, 8, 8, 8, 8};
    Array arrays[5];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 5, names, sizes, 3, -1) < 0) goto done;
    if (arrays[1].length != arrays[0].length) {
        PyErr_SetString(PyExc_ValueError, "rows_in: distinct and count of different lengths");
        goto done;
    }
    if (arrays[3].length < arrays[2].length) {
        PyErr_SetString(PyExc_ValueError, "rows_in: out_rows is shorter than wanted");
        goto done;
    }
    Py_ssize_t rows = 0, written = 0, room = arrays[4].length;
    int short_of_room = 0;
    Py_BEGIN_ALLOW_THREADS
    const int64_t *distinct = longs(&arrays[0]), *count = longs(&arrays[1]), *wanted = longs(&arrays[2]);
    int64_t *out_rows = (int64_t *)arrays[3].view.buf, *out_index = (int64_t *)arrays[4].view.buf;
    Py_ssize_t row = 0, size = arrays[0].length;
    int64_t before = 0; /* the occurrences of the rows before `row` */
    for (Py_ssize_t i = 0; i < arrays[2].length && row < size; i++) {
        while (row < size && distinct[row] < wanted[i]) before += count[row++];
        if (row == size || distinct[row] != wanted[i]) continue;
        if (count[row] < 0 || written + count[row] > room) {
            short_of_room = 1;
            break;
        }
        out_rows[rows++] = row;
        for (int64_t k = 0; k < count[row]; k++) out_index[written++] = before + k;
    }
    Py_END_ALLOW_THREADS
    if (short_of_room) {
        PyErr_SetString(PyExc_ValueError, "rows_in: out_index is too short for the rows' occurrences");
        goto done;
    }
    result = Py_BuildValue("nn", rows, written);
done:
    release_all(arrays, 5);
    return result;
}

/* -- bm25 ---------------------------------------------------------------------------------------- */

/* bm25(count, whole, length, scores, idf, k1, b, average_length, inside_word_weight) -> None
 *
 * One term's BM25 added to the score of each passage it occurs in (int64 count, whole and length per
 * passage; float64 scores): k1 * (1 - b + b * length / average_length) is the length's norm, whole +
 * w * (count - whole) the weighted frequency f, and idf * f * (k1 + 1) / (f + norm) the term's part.
 * Each step is the one ranking.BM25.scores takes with numpy, in the same order, in double precision
 * and never fused into a multiply-add (the build turns contraction off), so the scores are the same
 * to the last bit; one pass here is ten over the passages there. */
static PyObject *bm25(PyObject *self, PyObject *args) {
    PyObject *objects[4];
    double idf, k1, b, average_length, inside_word_weight;
    if (!PyArg_ParseTuple(args, "OOOOddddd", &objects[0], &objects[1], &objects[2], &objects[3], &idf, &k1, &b,
                          &average_length, &inside_word_weight))
        return NULL;
    static const char *names[] = {"count", "whole", "length", "scores"};
    static const int sizes[] = {8, 8, 8, 8};
    Array arrays[4];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 4, names, sizes, 3, -1) < 0) goto done;
    Py_ssize_t count = arrays[3].length;
    for (int i = 0; i < 3; i++)
        if (arrays[i].length != count || !arrays[i].view.format || arrays[i].view.format[0] == 'd') {
            PyErr_SetString(PyExc_ValueError, "bm25: count, whole and length must be int64, one per score");
            goto done;
        }
    if (!arrays[3].view.format || arrays[3].view.format[0] != 'd') {
        PyErr_SetString(PyExc_TypeError, "bm25: scores must be float64");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    const int64_t *counts = longs(&arrays[0]), *wholes = longs(&arrays[1]), *lengths = longs(&arrays[2]);
    double *scores = (double *)arrays[3].view.buf;
    const double rest = 1 - b, saturation = k1 + 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        double norm = (double)lengths[i] * b;
        norm /= average_length;
        norm += rest;
        norm *= k1;
        double weighted = (double)counts[i] - (double)wholes[i];
        weighted *= inside_word_weight;
        weighted += (double)wholes[i];
        double term = weighted * idf;
        term *= saturation;
        weighted += norm;
        term /= weighted;
        scores[i] += term;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release_all(arrays, 4);
    return result;
}

/* -- near ---------------------------------------------------------------------------------------- */

/* near(left_start, left_end, left_passage, right_start, right_end, right_passage, distance, ordered,
 *      out_left, out_right) -> count
 *
 * The pairs of a NEAR: (i, j) for a left occurrence i and a right one j of the same passage where j
 * starts at or after i's end and at most `distance` characters after it; unless `ordered`, also (j, i)
 * written as (-1 - j, i): j first, when i starts at or after j's end and at most `distance` after it.
 * Both sides rise by passage (int64 arrays). Pairs are written up to the out arrays' length; the number
 * found is returned, so a caller whose arrays were too short calls again with longer ones. */
static PyObject *near(PyObject *self, PyObject *args) {
    PyObject *objects[8];
    long long distance;
    int ordered;
    if (!PyArg_ParseTuple(args, "OOOOOOLpOO", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &distance, &ordered, &objects[6], &objects[7]))
        return NULL;
    static const char *names[] = {"left_start",    "left_end", "left_passage", "right_start",
                                  "right_end",     "right_passage", "out_left", "out_right"};
    static const int sizes[] = {8, 8, 8, 8, 8, 8, 8, 8};
    Array arrays[8];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 8, names, sizes, 6, -1) < 0) goto done;
    Py_ssize_t lefts = arrays[0].length, rights = arrays[3].length, room = arrays[6].length;
    if (arrays[1].length != lefts || arrays[2].length != lefts || arrays[4].length != rights ||
        arrays[5].length != rights || arrays[7].length != room) {
        PyErr_SetString(PyExc_ValueError, "near: arrays of different lengths");
        goto done;
    }
    Py_ssize_t found = 0;
    Py_BEGIN_ALLOW_THREADS
    const int64_t *ls = longs(&arrays[0]), *le = longs(&arrays[1]), *lp = longs(&arrays[2]);
    const int64_t *rs = longs(&arrays[3]), *re = longs(&arrays[4]), *rp = longs(&arrays[5]);
    int64_t *out_left = (int64_t *)arrays[6].view.buf, *out_right = (int64_t *)arrays[7].view.buf;
    Py_ssize_t i = 0, j = 0;
    while (i < lefts && j < rights) {
        if (lp[i] < rp[j]) { i++; continue; }
        if (rp[j] < lp[i]) { j++; continue; }
        int64_t passage = lp[i];
        Py_ssize_t i_end = i, j_end = j;
        while (i_end < lefts && lp[i_end] == passage) i_end++;
        while (j_end < rights && rp[j_end] == passage) j_end++;
        for (Py_ssize_t a = i; a < i_end; a++)
            for (Py_ssize_t b = j; b < j_end; b++) {
                if (rs[b] >= le[a] && rs[b] - le[a] <= distance) {
                    if (found < room) { out_left[found] = a; out_right[found] = b; }
                    found++;
                }
                if (!ordered && ls[a] >= re[b] && ls[a] - re[b] <= distance) {
                    if (found < room) { out_left[found] = -1 - b; out_right[found] = a; }
                    found++;
                }
            }
        i = i_end;
        j = j_end;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    release_all(arrays, 8);
    return result;
}

/* -- spelled ------------------------------------------------------------------------------------- */

/* spelled(starts, codes, alphabet, diff_at, diff_char, text, out) -> None
 *
 * out[i] = 1 when the characters at starts[i], starts[i] + 1, … read as `text` (code points, uint32):
 * the character at a position is diff_char[j] where diff_at[j] is that position (the text as
 * normalised, where folding changed it), else alphabet[codes[position]]. */
static PyObject *spelled(PyObject *self, PyObject *args) {
    PyObject *objects[7];
    if (!PyArg_ParseTuple(args, "OOOOOOO", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &objects[6]))
        return NULL;
    static const char *names[] = {"starts", "codes", "alphabet", "diff_at", "diff_char", "text", "out"};
    static const int sizes[] = {8, 2 | 4, 4, 8, 4, 4, 1};
    Array arrays[7];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 7, names, sizes, 6, -1) < 0) goto done;
    Array *starts = &arrays[0], *codes = &arrays[1], *alphabet = &arrays[2], *diff_at = &arrays[3];
    Array *diff_char = &arrays[4], *text = &arrays[5], *out = &arrays[6];
    if (out->length < starts->length || diff_char->length != diff_at->length) {
        PyErr_SetString(PyExc_ValueError, "spelled: arrays of different lengths");
        goto done;
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Cursor differences = cursor(diff_at, 0);
    const int64_t *start_at = longs(starts), *changed = longs(diff_at);
    const uint32_t *letters = (const uint32_t *)alphabet->view.buf, *wanted = (const uint32_t *)text->view.buf;
    const uint32_t *was = (const uint32_t *)diff_char->view.buf;
    uint8_t *result_at = (uint8_t *)out->view.buf;
    const char *code_bytes = (const char *)codes->view.buf;
    for (Py_ssize_t i = 0; i < starts->length && !bad; i++) {
        if (i + 8 < starts->length) { /* the codes of a start a few ahead: far away, as in place */
            int64_t ahead = start_at[i + 8];
            if (ahead >= 0 && ahead < codes->length) __builtin_prefetch(code_bytes + ahead * codes->size);
        }
        int64_t start = start_at[i];
        if (start < 0 || start + text->length > codes->length) {
            bad = 1;
            break;
        }
        Py_ssize_t j = seek(&differences, start); /* the first difference at or after the start */
        uint8_t same = 1;
        for (Py_ssize_t k = 0; k < text->length && same; k++) {
            int64_t at = start + k;
            while (j < diff_at->length && changed[j] < at) j++;
            uint32_t written;
            if (j < diff_at->length && changed[j] == at) written = was[j];
            else {
                int64_t code = item(codes, at);
                if (code >= alphabet->length) {
                    bad = 1;
                    break;
                }
                written = letters[code];
            }
            same = written == wanted[k];
        }
        result_at[i] = same;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_IndexError, "spelled: a position outside the part");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    release_all(arrays, 7);
    return result;
}

/* -- characters in UTF-8 ---------------------------------------------------------------------------- */

/* utf8_offsets(data, chars, out): out[i] = the byte offset in the UTF-8 `data` where character chars[i]
 * starts (len(data) for one at or past the end). Characters are counted by their lead bytes, eight bytes
 * at a time: a continuation byte is 10xxxxxx. Indices that rise are one pass; one that falls starts
 * again from the front. */
static PyObject *utf8_offsets(PyObject *self, PyObject *args) {
    PyObject *objects[3];
    if (!PyArg_ParseTuple(args, "OOO", &objects[0], &objects[1], &objects[2])) return NULL;
    static const char *names[] = {"data", "chars", "out"};
    static const int sizes[] = {1, 8, 8};
    Array arrays[3];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 3, names, sizes, 2, -1) < 0) goto done;
    if (arrays[2].length < arrays[1].length) {
        PyErr_SetString(PyExc_ValueError, "utf8_offsets: out is shorter than chars");
        goto done;
    }
    const uint8_t *data = (const uint8_t *)arrays[0].view.buf;
    const int64_t *chars = (const int64_t *)arrays[1].view.buf;
    int64_t *out = (int64_t *)arrays[2].view.buf;
    Py_ssize_t length = arrays[0].length, count = arrays[1].length;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t at = 0; /* a byte offset, and `seen` the characters that start before it */
    int64_t seen = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t wanted = chars[i];
        if (wanted < seen) at = 0, seen = 0;
        while (at + 8 <= length) {
            uint64_t word;
            memcpy(&word, data + at, 8);
            uint64_t continuation = word & ~(word << 1) & 0x8080808080808080ULL;
            int64_t leads = 8 - (int64_t)(((continuation >> 7) * 0x0101010101010101ULL) >> 56);
            if (seen + leads > wanted) break;
            seen += leads;
            at += 8;
        }
        for (; at < length; at++) {
            if ((data[at] & 0xC0) == 0x80) continue;
            if (seen == wanted) break;
            seen++;
        }
        out[i] = at;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_all(arrays, 3);
    return result;
}

/* map_codes(codes, table, out): out[i] = table[codes[i]], or codes[i] itself past the table's end (a
 * character-for-character table over a text's UTF-32 code units; out may be codes). */
static PyObject *map_codes(PyObject *self, PyObject *args) {
    PyObject *objects[3];
    if (!PyArg_ParseTuple(args, "OOO", &objects[0], &objects[1], &objects[2])) return NULL;
    static const char *names[] = {"codes", "table", "out"};
    static const int sizes[] = {4, 4, 4};
    Array arrays[3];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 3, names, sizes, 2, -1) < 0) goto done;
    if (arrays[2].length < arrays[0].length) {
        PyErr_SetString(PyExc_ValueError, "map_codes: out is shorter than codes");
        goto done;
    }
    const uint32_t *codes = (const uint32_t *)arrays[0].view.buf, *table = (const uint32_t *)arrays[1].view.buf;
    uint32_t *out = (uint32_t *)arrays[2].view.buf;
    Py_ssize_t count = arrays[0].length, size = arrays[1].length;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        uint32_t code = codes[i];
        out[i] = (Py_ssize_t)code < size ? table[code] : code;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_all(arrays, 3);
    return result;
}

/* -- windows ------------------------------------------------------------------------------------- */

/* Whether a word character is flagged in flags[start, end). */
static inline int has_word(const uint8_t *flags, Py_ssize_t start, Py_ssize_t end, uint8_t word) {
    for (Py_ssize_t at = start; at < end; at++)
        if (flags[at] & word) return 1;
    return 0;
}

/* windows(flags, length, starts, ends, count, boundary, word, out_start, out_end) -> written
 *
 * The words of a block around each span [starts[i], ends[i]) (int64, block offsets): up to `count`
 * words that end at or before its start (walking left from the last boundary there), and up to `count`
 * that start at or after its end, counting only words with a `word` flag (the others are stepped over).
 * Words run between offsets flagged `boundary`, offset 0 and `length`; flags holds one byte per offset
 * 0…length at least (a block's word flags). Each word is written as (start, end); out arrays of
 * 2 · count · len(starts) items hold every answer. */
static PyObject *windows(PyObject *self, PyObject *args) {
    PyObject *objects[5];
    Py_ssize_t length, count;
    int boundary_flag, word_flag;
    if (!PyArg_ParseTuple(args, "OnOOniiOO", &objects[0], &length, &objects[1], &objects[2], &count, &boundary_flag,
                          &word_flag, &objects[3], &objects[4]))
        return NULL;
    static const char *names[] = {"flags", "starts", "ends", "out_start", "out_end"};
    static const int sizes[] = {1, 8, 8, 8, 8};
    Array arrays[5];
    PyObject *result = NULL;
    if (take_all(objects, arrays, 5, names, sizes, 3, -1) < 0) goto done;
    Py_ssize_t spans = arrays[1].length;
    if (length < 0 || count < 0 || arrays[0].length <= length || arrays[2].length != spans) {
        PyErr_SetString(PyExc_ValueError, "windows: flags shorter than the block, or spans of unequal sides");
        goto done;
    }
    if (arrays[3].length < 2 * count * spans || arrays[4].length < 2 * count * spans) {
        PyErr_SetString(PyExc_ValueError, "windows: an out array is too short");
        goto done;
    }
    Py_ssize_t written = 0;
    Py_BEGIN_ALLOW_THREADS
    const uint8_t *flags = (const uint8_t *)arrays[0].view.buf, boundary = (uint8_t)boundary_flag,
                  word = (uint8_t)word_flag;
    const int64_t *starts = longs(&arrays[1]), *ends = longs(&arrays[2]);
    int64_t *out_start = (int64_t *)arrays[3].view.buf, *out_end = (int64_t *)arrays[4].view.buf;
    for (Py_ssize_t i = 0; i < spans; i++) {
        Py_ssize_t end = starts[i] < length ? (Py_ssize_t)starts[i] : length, found = 0;
        if (end < 0) end = 0;
        while (end > 0 && !(flags[end] & boundary)) end--;
        while (end > 0 && found < count) {
            Py_ssize_t begin = end - 1;
            while (begin > 0 && !(flags[begin] & boundary)) begin--;
            if (has_word(flags, begin, end, word)) {
                out_start[written] = begin, out_end[written] = end, written++;
                found++;
            }
            end = begin;
        }
        Py_ssize_t start = ends[i] > 0 ? (Py_ssize_t)ends[i] : 0;
        found = 0;
        while (start < length && !(flags[start] & boundary)) start++;
        while (start < length && found < count) {
            Py_ssize_t stop = start + 1;
            while (stop < length && !(flags[stop] & boundary)) stop++;
            if (has_word(flags, start, stop, word)) {
                out_start[written] = start, out_end[written] = stop, written++;
                found++;
            }
            start = stop;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(written);
done:
    release_all(arrays, 5);
    return result;
}

/* -- word counts summed, at indexing ---------------------------------------------------------------- */

typedef struct {
    const char *word; /* into one of the tables, which the caller holds */
    Py_ssize_t length;
    long long count;
    uint64_t hash; /* 0: an empty slot (a word's hash is never 0) */
} WordCount;

static int compare_words(const void *a, const void *b) {
    const WordCount *x = (const WordCount *)a, *y = (const WordCount *)b;
    int order = memcmp(x->word, y->word, (size_t)(x->length < y->length ? x->length : y->length));
    if (order) return order;
    return (x->length > y->length) - (x->length < y->length);
}

/* Add a word's count to the table (capacity a power of two, at most half full); 1 if the word is new. */
static int add_count(WordCount *slots, size_t mask, const char *word, Py_ssize_t length, long long count,
                     uint64_t hash) {
    for (size_t at = (size_t)hash & mask;; at = (at + 1) & mask) {
        WordCount *slot = &slots[at];
        if (!slot->hash) {
            *slot = (WordCount){word, length, count, hash};
            return 1;
        }
        if (slot->hash == hash && slot->length == length && !memcmp(slot->word, word, (size_t)length)) {
            slot->count += count;
            return 0;
        }
    }
}

/* Read the `word<TAB>count` line at *data (before `end`) into `line` and move *data past it; -1 with a
 * ValueError naming `function` if it is not such a line. */
static int read_count_line(const char **data, const char *end, WordCount *line, const char *function) {
    const char *start = *data, *tab = memchr(start, '\t', (size_t)(end - start));
    const char *newline = tab ? memchr(tab, '\n', (size_t)(end - tab)) : NULL;
    if (newline == NULL || newline == tab + 1 || memchr(start, '\n', (size_t)(tab - start))) {
        PyErr_Format(PyExc_ValueError, "%s: a line is not word<TAB>count", function);
        return -1;
    }
    long long number = 0;
    for (const char *digit = tab + 1; digit < newline; digit++) {
        if (*digit < '0' || *digit > '9' || number > (LLONG_MAX - 9) / 10) {
            PyErr_Format(PyExc_ValueError, "%s: a count is not a number", function);
            return -1;
        }
        number = number * 10 + (*digit - '0');
    }
    *line = (WordCount){start, tab - start, number, 0};
    *data = newline + 1;
    return 0;
}

static uint64_t word_hash(const char *word, Py_ssize_t length) {
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a; never 0, which marks an empty slot */
    for (Py_ssize_t i = 0; i < length; i++) hash = (hash ^ (unsigned char)word[i]) * 1099511628211ULL;
    return hash | 1;
}

/* sum_counts(tables) -> bytes
 *
 * Tables of `word<TAB>count` lines (UTF-8 bytes, analysis.word_counts: a block's word counts)
 * summed into one such table, its words in byte order, which is the order of their code points (a
 * part's word counts, segment.py). The tables are read where they lie, with the GIL held. */
static PyObject *sum_counts(PyObject *self, PyObject *args) {
    PyObject *given;
    if (!PyArg_ParseTuple(args, "O", &given)) return NULL;
    PyObject *tables = PySequence_Fast(given, "sum_counts: tables must be a sequence of bytes");
    if (tables == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(tables);
    PyObject **items = PySequence_Fast_ITEMS(tables);
    for (Py_ssize_t t = 0; t < count; t++) {
        if (!PyBytes_Check(items[t])) {
            PyErr_SetString(PyExc_TypeError, "sum_counts: tables must be bytes");
            Py_DECREF(tables);
            return NULL;
        }
    }
    /* Sized by the distinct words, growing as they come: a table sized by all the lines would be many
     * times bigger than the words (common words are in every block), and slower for the misses. */
    size_t capacity = 1024, used = 0;
    WordCount *slots = PyMem_Calloc(capacity, sizeof(WordCount));
    PyObject *result = NULL;
    if (slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t t = 0; t < count; t++) {
        const char *data = PyBytes_AS_STRING(items[t]), *end = data + PyBytes_GET_SIZE(items[t]);
        while (data < end) {
            WordCount line;
            if (read_count_line(&data, end, &line, "sum_counts") < 0) goto done;
            uint64_t hash = word_hash(line.word, line.length);
            used += add_count(slots, capacity - 1, line.word, line.length, line.count, hash);
            if (2 * used > capacity) {
                WordCount *grown = PyMem_Calloc(2 * capacity, sizeof(WordCount));
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                for (size_t at = 0; at < capacity; at++)
                    if (slots[at].hash)
                        add_count(grown, 2 * capacity - 1, slots[at].word, slots[at].length, slots[at].count,
                                  slots[at].hash);
                PyMem_Free(slots);
                slots = grown;
                capacity *= 2;
            }
        }
    }
    size_t kept = 0, bytes = 0;
    for (size_t at = 0; at < capacity; at++) {
        if (!slots[at].hash) continue;
        slots[kept++] = slots[at]; /* kept <= at: nothing unread is overwritten */
        bytes += (size_t)slots[at].length + 2 + (size_t)snprintf(NULL, 0, "%lld", slots[at].count);
    }
    qsort(slots, kept, sizeof(WordCount), compare_words);
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)bytes);
    if (result == NULL) goto done;
    char *out = PyBytes_AS_STRING(result);
    for (size_t k = 0; k < kept; k++) {
        memcpy(out, slots[k].word, (size_t)slots[k].length);
        out += slots[k].length;
        out += sprintf(out, "\t%lld\n", slots[k].count);
    }
done:
    PyMem_Free(slots);
    Py_DECREF(tables);
    return result;
}

/* counts_in(table, wanted) -> (counts, total)
 *
 * A `word<TAB>count` table whose words rise in byte order (a part's: sum_counts), as bytes or a uint8
 * array, and `wanted`, a list of words (bytes) that rise too: the count of each wanted word in the
 * table (0 where it is not there), as a list, and the sum of all the table's counts. One pass over the
 * table, merging the two sorted lists, so a collocates query reads each part's table at C speed. */
static PyObject *counts_in(PyObject *self, PyObject *args) {
    PyObject *table_object, *given;
    if (!PyArg_ParseTuple(args, "OO", &table_object, &given)) return NULL;
    Array table;
    if (take(table_object, &table, 1, 0, "table") < 0) {
        release(&table);
        return NULL;
    }
    PyObject *wanted = PySequence_Fast(given, "counts_in: wanted must be a sequence of bytes");
    PyObject *counts = NULL, *result = NULL;
    if (wanted == NULL) goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(wanted), next = 0;
    PyObject **items = PySequence_Fast_ITEMS(wanted);
    for (Py_ssize_t w = 0; w < count; w++) {
        if (!PyBytes_Check(items[w])) {
            PyErr_SetString(PyExc_TypeError, "counts_in: wanted must be bytes");
            goto done;
        }
    }
    long long *found = PyMem_Calloc((size_t)count + 1, sizeof(long long)), total = 0;
    if (found == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const char *data = (const char *)table.view.buf, *end = data + table.length;
    WordCount line, before = {NULL, 0, 0, 0};
    while (data < end) {
        if (read_count_line(&data, end, &line, "counts_in") < 0) break;
        total += line.count;
        if (before.word != NULL && compare_words(&before, &line) >= 0) {
            PyErr_SetString(PyExc_ValueError, "counts_in: the table's words do not rise");
            break;
        }
        before = line;
        while (next < count) {
            WordCount want = {PyBytes_AS_STRING(items[next]), PyBytes_GET_SIZE(items[next]), 0, 0};
            int order = compare_words(&want, &line);
            if (order > 0) break;
            if (order == 0) found[next] = line.count;
            next++;
        }
    }
    if (!PyErr_Occurred()) {
        counts = PyList_New(count);
        if (counts != NULL) {
            for (Py_ssize_t w = 0; w < count; w++) {
                PyObject *number = PyLong_FromLongLong(found[w]);
                if (number == NULL) {
                    Py_CLEAR(counts);
                    break;
                }
                PyList_SET_ITEM(counts, w, number);
            }
        }
        if (counts != NULL) result = Py_BuildValue("(OL)", counts, total);
    }
    PyMem_Free(found);
done:
    Py_XDECREF(counts);
    Py_XDECREF(wanted);
    release(&table);
    return result;
}

/* -- word flags of a block, at indexing -------------------------------------------------------------- */

/* Code point ranges, a sequence of at most `most` (first, last) pairs, into `out`; their number, or -1. */
static Py_ssize_t take_ranges(PyObject *ranges, long *out, Py_ssize_t most) {
    Py_ssize_t count = PySequence_Size(ranges);
    if (count < 0) return -1;
    if (count > most) {
        PyErr_Format(PyExc_ValueError, "more than %zd code point ranges", most);
        return -1;
    }
    for (Py_ssize_t r = 0; r < count; r++) {
        PyObject *range = PySequence_GetItem(ranges, r);
        if (range == NULL) return -1;
        int parsed = PyArg_ParseTuple(range, "ll", &out[2 * r], &out[2 * r + 1]);
        Py_DECREF(range);
        if (!parsed) return -1;
    }
    return count;
}

/* Set `flag` in out[i] where text[i] is a word character: str.isalnum() (what a regex's [^\W_] takes) or
 * in one of the Han ranges. */
static inline int is_word_character(Py_UCS4 ch, const long *han, Py_ssize_t ranges) {
    int word = Py_UNICODE_ISALNUM(ch);
    for (Py_ssize_t r = 0; r < ranges && !word; r++) word = (long)ch >= han[2 * r] && (long)ch <= han[2 * r + 1];
    return word;
}

static void mark_word_characters(uint8_t *out, PyObject *text, const long *han, Py_ssize_t ranges, uint8_t flag) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++)
        if (is_word_character(PyUnicode_READ(kind, data, i), han, ranges)) out[i] |= flag;
}

/* word_characters(text, han, word) -> bytes: one byte per offset 0…len(text), `word` where the character
 * is a word character (mark_word_characters). */
static PyObject *word_characters(PyObject *self, PyObject *args) {
    PyObject *text, *han_ranges;
    int word_flag;
    long han[16];
    if (!PyArg_ParseTuple(args, "UOi", &text, &han_ranges, &word_flag)) return NULL;
    Py_ssize_t ranges = take_ranges(han_ranges, han, 8), length = PyUnicode_GET_LENGTH(text);
    if (ranges < 0) return NULL;
    PyObject *result = PyBytes_FromStringAndSize(NULL, length + 1);
    if (result == NULL) return NULL;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    memset(out, 0, length + 1);
    mark_word_characters(out, text, han, ranges, (uint8_t)word_flag);
    return result;
}

/* block_word_counts(pieces, han) -> bytes
 *
 * A block's `word<TAB>count` lines (UTF-8, lone surrogates passed through), from jieba's pieces of its
 * text: each distinct piece that holds a word character (mark_word_characters: str.isalnum() or Han),
 * in the order of its first occurrence, with how often it occurs. What analysis.word_counts wrote in
 * Python (a Counter of the pieces, is_collocate, then f-strings), in one pass. */
static PyObject *block_word_counts(PyObject *self, PyObject *args) {
    PyObject *pieces, *han_ranges;
    long han[16];
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &pieces, &han_ranges)) return NULL;
    Py_ssize_t ranges = take_ranges(han_ranges, han, 8), count = PyList_GET_SIZE(pieces), distinct = 0;
    if (ranges < 0) return NULL;
    /* Each distinct piece → its number, in the order it first occurs (a dict keeps that order); the
     * counts in a C array, so a piece seen again costs one lookup. */
    PyObject *numbers = PyDict_New(), *result = NULL;
    Py_ssize_t *counts = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    char *out = NULL;
    if (numbers == NULL || counts == NULL) {
        if (numbers != NULL) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *piece = PyList_GET_ITEM(pieces, p);
        if (!PyUnicode_Check(piece)) {
            PyErr_SetString(PyExc_TypeError, "block_word_counts: a piece is not a str");
            goto done;
        }
        PyObject *seen = PyDict_GetItemWithError(numbers, piece); /* borrowed */
        if (seen != NULL) {
            counts[PyLong_AsSsize_t(seen)]++;
            continue;
        }
        if (PyErr_Occurred()) goto done;
        PyObject *number = PyLong_FromSsize_t(distinct);
        if (number == NULL || PyDict_SetItem(numbers, piece, number) < 0) {
            Py_XDECREF(number);
            goto done;
        }
        Py_DECREF(number);
        counts[distinct++] = 1;
    }
    Py_ssize_t at = 0, size = 0, capacity = 4096, index = 0;
    PyObject *word, *number;
    if ((out = PyMem_Malloc((size_t)capacity)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    while (PyDict_Next(numbers, &at, &word, &number)) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(word), seen = counts[index++];
        int kind = PyUnicode_KIND(word), keep = 0;
        const void *data = PyUnicode_DATA(word);
        for (Py_ssize_t i = 0; i < length && !keep; i++)
            keep = is_word_character(PyUnicode_READ(kind, data, i), han, ranges);
        if (!keep) continue;
        PyObject *encoded = PyUnicode_AsEncodedString(word, "utf-8", "surrogatepass");
        if (encoded == NULL) goto done;
        Py_ssize_t bytes = PyBytes_GET_SIZE(encoded);
        if (size + bytes + 24 > capacity) {
            while (size + bytes + 24 > capacity) capacity *= 2;
            char *grown = PyMem_Realloc(out, (size_t)capacity);
            if (grown == NULL) {
                Py_DECREF(encoded);
                PyErr_NoMemory();
                goto done;
            }
            out = grown;
        }
        memcpy(out + size, PyBytes_AS_STRING(encoded), (size_t)bytes);
        Py_DECREF(encoded);
        size += bytes;
        size += sprintf(out + size, "\t%zd\n", seen);
    }
    result = PyBytes_FromStringAndSize(out, size);
done:
    PyMem_Free(out);
    PyMem_Free(counts);
    Py_XDECREF(numbers);
    return result;
}

/* word_flags(own, lookahead, pieces, han, boundary, word) -> bytes: one byte per offset
 * 0…len(own + lookahead). `pieces` is jieba's cut of `own` (every piece, whitespace too, in order):
 * `boundary` is set where a piece starts, except a whitespace piece first in the text or after another
 * whitespace piece (no word ends there), and at len(own); `word` where the character is a word
 * character (mark_word_characters). */
static PyObject *word_flags(PyObject *self, PyObject *args) {
    PyObject *own, *lookahead, *pieces, *han_ranges;
    int boundary_flag, word_flag;
    long han[16];
    if (!PyArg_ParseTuple(args, "UUO!Oii", &own, &lookahead, &PyList_Type, &pieces, &han_ranges, &boundary_flag,
                          &word_flag))
        return NULL;
    Py_ssize_t ranges = take_ranges(han_ranges, han, 8);
    if (ranges < 0) return NULL;
    Py_ssize_t own_length = PyUnicode_GET_LENGTH(own), ahead = PyUnicode_GET_LENGTH(lookahead);
    PyObject *result = PyBytes_FromStringAndSize(NULL, own_length + ahead + 1);
    if (result == NULL) return NULL;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    memset(out, 0, own_length + ahead + 1);
    Py_ssize_t at = 0;
    int after_space = 1; /* the text's start counts as after whitespace */
    for (Py_ssize_t p = 0; p < PyList_GET_SIZE(pieces); p++) {
        PyObject *piece = PyList_GET_ITEM(pieces, p);
        if (!PyUnicode_Check(piece)) {
            PyErr_SetString(PyExc_TypeError, "word_flags: a piece is not a str");
            goto fail;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(piece);
        int kind = PyUnicode_KIND(piece), space = length > 0;
        const void *data = PyUnicode_DATA(piece);
        for (Py_ssize_t i = 0; i < length && space; i++) space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        if (length > own_length - at) {
            PyErr_SetString(PyExc_ValueError, "word_flags: the pieces are longer than the text");
            goto fail;
        }
        if (length > 0 && !(space && after_space)) out[at] |= (uint8_t)boundary_flag;
        after_space = space;
        at += length;
    }
    if (at != own_length) {
        PyErr_SetString(PyExc_ValueError, "word_flags: the pieces are shorter than the text");
        goto fail;
    }
    out[own_length] |= (uint8_t)boundary_flag;
    mark_word_characters(out, own, han, ranges, (uint8_t)word_flag);
    mark_word_characters(out + own_length, lookahead, han, ranges, (uint8_t)word_flag);
    return result;
fail:
    Py_DECREF(result);
    return NULL;
}

/* -- the module ---------------------------------------------------------------------------------- */

/* -- whitespace joined (normalize.py, step 1) ----------------------------------------------------- */

/* Whitespace as Python's regex `\s` sees it (Py_UNICODE_ISSPACE, as _sre tests it), plus the zero-width
 * space and the byte-order mark. */
static int is_space(Py_UCS4 ch) { return Py_UNICODE_ISSPACE(ch) || ch == 0x200B || ch == 0xFEFF; }

/* normalize.is_cjk: one of `punctuation`, or in a CJK range unless a full-width letter or digit. */
static int is_cjk(Py_UCS4 ch, const long *cjk, Py_ssize_t ranges, PyObject *punctuation) {
    Py_ssize_t marks = PyUnicode_GET_LENGTH(punctuation);
    int kind = PyUnicode_KIND(punctuation);
    const void *data = PyUnicode_DATA(punctuation);
    for (Py_ssize_t i = 0; i < marks; i++)
        if (PyUnicode_READ(kind, data, i) == ch) return 1;
    if (ch >= 0xFF00 && ch < 0xFF61 && Py_UNICODE_ISALNUM(ch)) return 0;
    for (Py_ssize_t r = 0; r < ranges; r++)
        if ((long)ch >= cjk[2 * r] && (long)ch <= cjk[2 * r + 1]) return 1;
    return 0;
}

/* join_whitespace(text, cjk, punctuation, offsets) -> (joined, to_original or None)
 *
 * normalize.join_whitespace in one pass: each run of whitespace is dropped where it starts or ends the
 * text or either neighbour is CJK (is_cjk), else it becomes one space; with `offsets`, the index in
 * `text` of each character kept (a run's space: the run's start) and len(text) last, as a list. */
static PyObject *join_whitespace(PyObject *self, PyObject *args) {
    PyObject *text, *cjk_ranges, *punctuation;
    int offsets;
    long cjk[32];
    if (!PyArg_ParseTuple(args, "UOUp", &text, &cjk_ranges, &punctuation, &offsets)) return NULL;
    Py_ssize_t ranges = take_ranges(cjk_ranges, cjk, 16);
    if (ranges < 0) return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), kept = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 *joined = PyMem_Malloc(sizeof(Py_UCS4) * (length + 1));
    Py_ssize_t *from = offsets ? PyMem_Malloc(sizeof(Py_ssize_t) * (length + 1)) : NULL;
    PyObject *string = NULL, *list = NULL, *result = NULL;
    if (joined == NULL || (offsets && from == NULL)) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < length;) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!is_space(ch)) {
            if (from) from[kept] = i;
            joined[kept++] = ch;
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < length && is_space(PyUnicode_READ(kind, data, end))) end++;
        if (i > 0 && end < length && !is_cjk(PyUnicode_READ(kind, data, i - 1), cjk, ranges, punctuation) &&
            !is_cjk(PyUnicode_READ(kind, data, end), cjk, ranges, punctuation)) {
            if (from) from[kept] = i;
            joined[kept++] = ' ';
        }
        i = end;
    }
    string = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, joined, kept);
    if (string == NULL) goto done;
    if (from) {
        from[kept] = length;
        list = PyList_New(kept + 1);
        if (list == NULL) goto done;
        for (Py_ssize_t k = 0; k <= kept; k++) {
            PyObject *number = PyLong_FromSsize_t(from[k]);
            if (number == NULL) goto done;
            PyList_SET_ITEM(list, k, number);
        }
    } else {
        list = Py_NewRef(Py_None);
    }
    result = PyTuple_Pack(2, string, list);
done:
    PyMem_Free(joined);
    PyMem_Free(from);
    Py_XDECREF(string);
    Py_XDECREF(list);
    return result;
}

/* -- passages and lines of a file, at indexing (loader.py) ------------------------------------------- */

/* A few characters to test membership in: a str of at most 32. */
typedef struct {
    Py_UCS4 chars[32];
    Py_ssize_t count;
} CharSet;

static int take_chars(PyObject *text, CharSet *set) {
    set->count = PyUnicode_GET_LENGTH(text);
    if (set->count > 32) {
        PyErr_SetString(PyExc_ValueError, "more than 32 characters in a set");
        return -1;
    }
    for (Py_ssize_t i = 0; i < set->count; i++) set->chars[i] = PyUnicode_READ_CHAR(text, i);
    return 0;
}

static inline int one_of(Py_UCS4 ch, const CharSet *set) {
    for (Py_ssize_t i = 0; i < set->count; i++)
        if (set->chars[i] == ch) return 1;
    return 0;
}

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length;
    CharSet enders, closers, weak;
    Py_UCS4 mark; /* a line mark, as whitespace, in a file with markup; 0 for none */
    Py_ssize_t most;
} Bounds;

/* Past the whitespace (is_space, and the line mark) from i. */
static Py_ssize_t past_space(const Bounds *b, Py_ssize_t i) {
    while (i < b->length) {
        Py_UCS4 ch = PyUnicode_READ(b->kind, b->data, i);
        if (!is_space(ch) && !(b->mark && ch == b->mark)) break;
        i++;
    }
    return i;
}

/* Where a sentence longer than `most` is cut (tests/test_loader.py holds the regex oracle): after the
 * last weak break (one of `weak`, or whitespace) of the `most` characters from start, when it ends past
 * half of them; else after all of them. */
static Py_ssize_t forced_cut(const Bounds *b, Py_ssize_t start) {
    Py_ssize_t window = b->length - start < b->most ? b->length - start : b->most, best = -1;
    for (Py_ssize_t i = 0; i < window; i++) {
        Py_UCS4 ch = PyUnicode_READ(b->kind, b->data, start + i);
        if (Py_UNICODE_ISSPACE(ch) || one_of(ch, &b->weak)) best = i + 1;
    }
    return start + (best > b->most / 2 ? best : window);
}

/* Whether a line break (\r\n, \r or \n) ends with the character at i, in a text of `length`. */
static inline int ends_line(int kind, const void *data, Py_ssize_t i, Py_ssize_t length) {
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    return ch == '\n' || (ch == '\r' && !(i + 1 < length && PyUnicode_READ(kind, data, i + 1) == '\n'));
}

static int append_offset(PyObject *list, Py_ssize_t offset) {
    PyObject *number = PyLong_FromSsize_t(offset);
    if (number == NULL) return -1;
    int failed = PyList_Append(list, number);
    Py_DECREF(number);
    return failed;
}

/* passage_bounds(text, begin, enders, closers, weak, mark, most, short, long) -> list
 *
 * loader.passage_bounds in one pass: a sentence ends after a run of `enders` and the `closers` after it;
 * the passage ends there when the whitespace after it holds two line breaks (\r\n, \r or \n), or one and
 * the passage is `short` characters or more, or the passage is `long` or more. A passage longer than
 * `most` is cut (forced_cut). `mark` (a str of at most one character) counts as whitespace. */
static PyObject *passage_bounds(PyObject *self, PyObject *args) {
    PyObject *text, *enders, *closers, *weak, *mark;
    Py_ssize_t begin, short_passage, long_passage;
    Bounds b;
    if (!PyArg_ParseTuple(args, "UnUUUUnnn", &text, &begin, &enders, &closers, &weak, &mark, &b.most, &short_passage,
                          &long_passage))
        return NULL;
    if (take_chars(enders, &b.enders) < 0 || take_chars(closers, &b.closers) < 0 || take_chars(weak, &b.weak) < 0)
        return NULL;
    if (PyUnicode_GET_LENGTH(mark) > 1 || b.most < 2 || begin < 0) {
        PyErr_SetString(PyExc_ValueError, "passage_bounds: a mark of one character at most, most >= 2, begin >= 0");
        return NULL;
    }
    b.mark = PyUnicode_GET_LENGTH(mark) ? PyUnicode_READ_CHAR(mark, 0) : 0;
    b.kind = PyUnicode_KIND(text);
    b.data = PyUnicode_DATA(text);
    b.length = PyUnicode_GET_LENGTH(text);
    PyObject *starts = PyList_New(0);
    if (starts == NULL) return NULL;
    Py_ssize_t start = past_space(&b, begin < b.length ? begin : b.length), i;
    if (start == b.length) return starts;
    if (append_offset(starts, start) < 0) goto failed;
    for (i = start; i < b.length;) {
        if (!one_of(PyUnicode_READ(b.kind, b.data, i), &b.enders)) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < b.length && one_of(PyUnicode_READ(b.kind, b.data, end), &b.enders)) end++;
        while (end < b.length && one_of(PyUnicode_READ(b.kind, b.data, end), &b.closers)) end++;
        i = end;
        if (end <= start) continue;
        while (end - start > b.most) {
            start = past_space(&b, forced_cut(&b, start));
            if (append_offset(starts, start) < 0) goto failed;
        }
        if (end <= start) continue;
        Py_ssize_t after = past_space(&b, end), breaks = 0;
        for (Py_ssize_t k = end; k < after; k++) breaks += ends_line(b.kind, b.data, k, after);
        Py_ssize_t length = end - start;
        if (breaks >= 2 || (breaks == 1 && length >= short_passage) || length >= long_passage) {
            if (after >= b.length) return starts;
            start = after;
            if (append_offset(starts, start) < 0) goto failed;
        }
    }
    while (b.length - start > b.most) {
        Py_ssize_t cut = past_space(&b, forced_cut(&b, start));
        if (cut >= b.length) break;
        start = cut;
        if (append_offset(starts, start) < 0) goto failed;
    }
    return starts;
failed:
    Py_DECREF(starts);
    return NULL;
}

/* line_numbers(text, offsets) -> list
 *
 * The 1-based line of each offset (rising, from 0 to len(text)): one more than the line breaks (\r\n, \r
 * or \n) that end at or before it. */
static PyObject *line_numbers(PyObject *self, PyObject *args) {
    PyObject *text, *offsets;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyList_Type, &offsets)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), count = PyList_GET_SIZE(offsets), at = 0, line = 1;
    PyObject *lines = PyList_New(count);
    if (lines == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t offset = PyLong_AsSsize_t(PyList_GET_ITEM(offsets, k));
        if (offset == -1 && PyErr_Occurred()) goto failed;
        if (offset < at || offset > length) {
            PyErr_SetString(PyExc_ValueError, "line_numbers: offsets must rise and lie in the text");
            goto failed;
        }
        for (; at < offset; at++) line += ends_line(kind, data, at, length);
        PyObject *number = PyLong_FromSsize_t(line);
        if (number == NULL) goto failed;
        PyList_SET_ITEM(lines, k, number);
    }
    return lines;
failed:
    Py_DECREF(lines);
    return NULL;
}

static PyMethodDef methods[] = {
    {"sa_range", sa_range, METH_VARARGS, "sa_range(codes, sa, pattern) -> (low, high)"},
    {"place", place, METH_VARARGS,
     "place(starts, ends, length, block_start, block_end, live, passage_start, flags, boundary, buckets, "
     "shift, offsets, out_start, out_end, out_block, out_passage, out_whole, out_at) -> count"},
    {"rising", rising, METH_VARARGS, "rising(values, keys, right, out) -> None"},
    {"suffix_array", suffix_array, METH_VARARGS, "suffix_array(codes, out) -> None"},
    {"shortest", shortest, METH_VARARGS,
     "shortest(firsts, seconds, flags, word, own_length, first_length, gaps, second_length, out_start, "
     "out_end) -> count"},
    {"tally", tally, METH_VARARGS,
     "tally(passage, whole, exact, out_passage, out_count, out_whole, out_exact) -> count"},
    {"rows_in", rows_in, METH_VARARGS, "rows_in(distinct, count, wanted, out_rows, out_index) -> (rows, occurrences)"},
    {"bm25", bm25, METH_VARARGS,
     "bm25(count, whole, length, scores, idf, k1, b, average_length, inside_word_weight) -> None"},
    {"near", near, METH_VARARGS,
     "near(left_start, left_end, left_passage, right_start, right_end, right_passage, distance, ordered, "
     "out_left, out_right) -> count"},
    {"spelled", spelled, METH_VARARGS, "spelled(starts, codes, alphabet, diff_at, diff_char, text, out) -> None"},
    {"utf8_offsets", utf8_offsets, METH_VARARGS, "utf8_offsets(data, chars, out) -> None"},
    {"map_codes", map_codes, METH_VARARGS, "map_codes(codes, table, out) -> None"},
    {"windows", windows, METH_VARARGS,
     "windows(flags, length, starts, ends, count, boundary, word, out_start, out_end) -> written"},
    {"word_flags", word_flags, METH_VARARGS, "word_flags(own, lookahead, pieces, han, boundary, word) -> bytes"},
    {"sum_counts", sum_counts, METH_VARARGS, "sum_counts(tables) -> bytes"},
    {"counts_in", counts_in, METH_VARARGS, "counts_in(table, wanted) -> (counts, total)"},
    {"word_characters", word_characters, METH_VARARGS, "word_characters(text, han, word) -> bytes"},
    {"block_word_counts", block_word_counts, METH_VARARGS, "block_word_counts(pieces, han) -> bytes"},
    {"join_whitespace", join_whitespace, METH_VARARGS,
     "join_whitespace(text, cjk, punctuation, offsets) -> (joined, to_original or None)"},
    {"passage_bounds", passage_bounds, METH_VARARGS,
     "passage_bounds(text, begin, enders, closers, weak, mark, most, short, long) -> list"},
    {"line_numbers", line_numbers, METH_VARARGS, "line_numbers(text, offsets) -> list"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "The engine's inner loops in C.", -1, methods,
                                   NULL,         NULL,       NULL,                             NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
