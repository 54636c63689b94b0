#!/usr/bin/python3
"""Generate engine/text/unicode_tables.c: the Unicode data the CLIP tokenizer needs.

Run with the same interpreter that produced the reference ids (/usr/bin/python3, CPython 3.11,
unicodedata 14.0.0) so that the tables agree with it exactly:

    /usr/bin/python3 tools/gen_unicode_tables.py > engine/text/unicode_tables.c

The tokenizer mirrors these Python behaviours (see engine/text/clip_tokenizer.c):
  * regex `\\s`          -> Unicode White_Space (the `regex` module's \\s), used to collapse runs;
  * str.strip()          -> str.isspace(), which adds U+001C..U+001F to White_Space;
  * `[\\p{L}]`, `[\\p{N}]`  -> general category L* / N*;
  * str.lower()          -> full lowercase mapping (one multi-code-point case, U+0130), plus
                            CPython's Final_Sigma rule for U+03A3, which needs the Cased and
                            Case_Ignorable properties.  Those two are *probed* from str.lower()
                            itself, so they are exactly what CPython uses;
  * IGNORECASE matching  -> the `regex` module compares case variants (simple case folding
                            classes). That matters in two places only: the negated class
                            `[^\\s\\p{L}\\p{N}]` rejects a character one of whose case variants
                            is a letter/number/space (U+0345 is then matched by no alternative
                            and dropped), and literal pattern letters match non-ASCII variants
                            (U+017F long s matches `s`).
"""

import sys
import unicodedata

MAX_CP = 0x110000
SURROGATES = range(0xD800, 0xE000)
FINAL_SIGMA = "\u03c2"


def code_points():
    return (c for c in range(MAX_CP) if c not in SURROGATES)


def ranges_of(pred):
    """Sorted, merged [lo, hi] ranges of the code points where pred holds."""
    out = []
    for c in code_points():
        if not pred(c):
            continue
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def is_letter(c):
    return unicodedata.category(chr(c)).startswith("L")


def is_number(c):
    return unicodedata.category(chr(c)).startswith("N")


def is_py_space(c):
    return chr(c).isspace()


# White_Space is str.isspace() minus the four information separators (bidi class B/S but not
# White_Space). Checked against the (stable since Unicode 6.3) White_Space list below.
WHITE_SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
               0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def is_regex_space(c):
    return chr(c).isspace() and not 0x1C <= c <= 0x1F


def sigma_probe(prefix, c):
    """True when CPython lowercases the trailing U+03A3 of prefix+chr(c)+U+03A3 to final sigma."""
    return (prefix + chr(c) + "\u03a3").lower()[-1] == FINAL_SIGMA


def is_case_ignorable(c):
    # After a cased 'a', an ignorable c is skipped, so the sigma is final; after an uncased '!'
    # it is skipped too, and the sigma is not final. A non-ignorable cased c gives final sigma
    # in both probes; a non-ignorable uncased c in neither.
    return sigma_probe("a", c) and not sigma_probe("!", c)


def is_sigma_cased(c):
    """Cased and not Case_Ignorable: what CPython's Final_Sigma scan stops on and accepts."""
    return sigma_probe("!", c)


def case_classes():
    """Union-find classes of code points linked by single-code-point lower/upper/casefold."""
    parent = list(range(MAX_CP))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in code_points():
        for t in (chr(c).lower(), chr(c).upper(), chr(c).casefold()):
            if len(t) == 1:
                a, b = find(c), find(ord(t))
                if a != b:
                    parent[a] = b
    classes = {}
    for c in code_points():
        classes.setdefault(find(c), []).append(c)
    return [m for m in classes.values() if len(m) > 1]


def pattern_tables():
    """(unmatched code points, {non-ASCII code point: ASCII letter it case-matches})."""
    unmatched, ascii_fold = [], {}

    def in_negated_class(c):
        return is_regex_space(c) or is_letter(c) or is_number(c)

    for members in case_classes():
        hit = any(in_negated_class(m) for m in members)
        ascii_letters = [m for m in members if m < 0x80 and chr(m).isalpha()]
        for m in members:
            if hit and not in_negated_class(m):
                unmatched.append(m)
            if m >= 0x80 and ascii_letters:
                ascii_fold[m] = chr(min(ascii_letters, key=lambda a: chr(a).lower())).lower()
    return sorted(unmatched), ascii_fold


def lower_tables():
    single, multi = [], []
    for c in code_points():
        low = chr(c).lower()
        if low == chr(c):
            continue
        if len(low) == 1:
            single.append((c, ord(low)))
        else:
            multi.append((c, [ord(x) for x in low]))
    return single, multi


def emit_ranges(out, name, ranges):
    out.append(f"static const uni_range {name}[] = {{")
    line = []
    for lo, hi in ranges:
        line.append(f"{{0x{lo:X}, 0x{hi:X}}},")
        if len(line) == 5:
            out.append("    " + " ".join(line))
            line = []
    if line:
        out.append("    " + " ".join(line))
    out.append("};")
    out.append("")


def main():
    regex_space = ranges_of(is_regex_space)
    assert {c for lo, hi in regex_space for c in range(lo, hi + 1)} == WHITE_SPACE
    single, multi = lower_tables()
    assert all(len(m) <= 3 for _, m in multi)
    unmatched, ascii_fold = pattern_tables()
    cased = ranges_of(is_sigma_cased)
    ignorable = ranges_of(is_case_ignorable)
    # Sanity: what the probes call cased agrees with CPython's Lowercase/Uppercase/Lt.
    for lo, hi in cased:
        for c in range(lo, hi + 1):
            ch = chr(c)
            assert ch.islower() or ch.isupper() or unicodedata.category(ch) == "Lt", hex(c)

    out = [
        "/* GENERATED by tools/gen_unicode_tables.py -- do not edit.",
        f" * Python {sys.version.split()[0]}, unicodedata {unicodedata.unidata_version}. */",
        '#include "unicode_tables.h"',
        "",
        "#include <stddef.h>",
        "",
        "typedef struct {",
        "    uint32_t lo, hi;",
        "} uni_range;",
        "",
        "typedef struct {",
        "    uint32_t cp, lower;",
        "} uni_pair;",
        "",
        "typedef struct {",
        "    uint32_t cp;",
        "    int n;",
        "    uint32_t lower[3];",
        "} uni_multi;",
        "",
        "/* clang-format off */",
    ]
    emit_ranges(out, "letter_ranges", ranges_of(is_letter))
    emit_ranges(out, "number_ranges", ranges_of(is_number))
    emit_ranges(out, "regex_space_ranges", regex_space)
    emit_ranges(out, "py_space_ranges", ranges_of(is_py_space))
    emit_ranges(out, "sigma_cased_ranges", cased)
    emit_ranges(out, "case_ignorable_ranges", ignorable)
    emit_ranges(out, "unmatched_ranges", [(c, c) for c in unmatched])

    out.append("static const uni_pair lower_single[] = {")
    for i in range(0, len(single), 4):
        out.append("    " + " ".join(f"{{0x{c:X}, 0x{l:X}}}," for c, l in single[i:i + 4]))
    out.append("};")
    out.append("")
    out.append("static const uni_multi lower_multi[] = {")
    for c, low in multi:
        vals = ", ".join(f"0x{x:X}" for x in low)
        out.append(f"    {{0x{c:X}, {len(low)}, {{{vals}}}}},")
    out.append("};")
    out.append("")
    out.append("static const uni_pair ascii_fold[] = {")
    for c in sorted(ascii_fold):
        out.append(f"    {{0x{c:X}, '{ascii_fold[c]}'}},")
    out.append("};")
    out.append("/* clang-format on */")
    out.append("")
    out.append("const char *uni_table_version(void) {")
    out.append(f'    return "{unicodedata.unidata_version}";')
    out.append("}")
    out.append(RUNTIME)
    print("\n".join(out))


RUNTIME = r"""
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_ranges(const uni_range *r, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static const uni_pair *find_pair(const uni_pair *p, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < p[mid].cp)
            hi = mid;
        else if (cp > p[mid].cp)
            lo = mid + 1;
        else
            return &p[mid];
    }
    return NULL;
}

bool uni_is_letter(uint32_t cp) {
    return in_ranges(letter_ranges, COUNT(letter_ranges), cp);
}

bool uni_is_number(uint32_t cp) {
    return in_ranges(number_ranges, COUNT(number_ranges), cp);
}

bool uni_is_regex_space(uint32_t cp) {
    return in_ranges(regex_space_ranges, COUNT(regex_space_ranges), cp);
}

bool uni_is_py_space(uint32_t cp) {
    return in_ranges(py_space_ranges, COUNT(py_space_ranges), cp);
}

bool uni_is_sigma_cased(uint32_t cp) {
    return in_ranges(sigma_cased_ranges, COUNT(sigma_cased_ranges), cp);
}

bool uni_is_case_ignorable(uint32_t cp) {
    return in_ranges(case_ignorable_ranges, COUNT(case_ignorable_ranges), cp);
}

bool uni_is_pattern_unmatched(uint32_t cp) {
    return in_ranges(unmatched_ranges, COUNT(unmatched_ranges), cp);
}

int uni_lower(uint32_t cp, uint32_t out[3]) {
    const uni_pair *p = find_pair(lower_single, COUNT(lower_single), cp);
    if (p) {
        out[0] = p->lower;
        return 1;
    }
    for (size_t i = 0; i < COUNT(lower_multi); i++) {
        if (lower_multi[i].cp == cp) {
            for (int k = 0; k < lower_multi[i].n; k++)
                out[k] = lower_multi[i].lower[k];
            return lower_multi[i].n;
        }
    }
    out[0] = cp;
    return 1;
}

char uni_ascii_case_variant(uint32_t cp) {
    if (cp >= 'A' && cp <= 'Z') return (char)(cp - 'A' + 'a');
    if (cp < 0x80) return (char)cp;
    const uni_pair *p = find_pair(ascii_fold, COUNT(ascii_fold), cp);
    return p ? (char)p->lower : 0;
}"""

if __name__ == "__main__":
    main()
