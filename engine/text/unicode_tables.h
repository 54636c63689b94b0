/* Unicode character properties for the CLIP tokenizer, generated from CPython's unicodedata
 * (tools/gen_unicode_tables.py) so that they agree with the Python reference exactly. No ICU. */
#ifndef I2I_UNICODE_TABLES_H
#define I2I_UNICODE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

/* unicodedata.unidata_version the tables were generated from (e.g. "14.0.0"). */
const char *uni_table_version(void);

/* General category L* (regex \p{L}). */
bool uni_is_letter(uint32_t cp);
/* General category N* (regex \p{N}). */
bool uni_is_number(uint32_t cp);
/* Unicode White_Space: what the `regex` module's \s matches. */
bool uni_is_regex_space(uint32_t cp);
/* Python str.isspace(): White_Space plus U+001C..U+001F; what str.strip() removes. */
bool uni_is_py_space(uint32_t cp);
/* Cased and not Case_Ignorable, as CPython's Final_Sigma rule sees it. */
bool uni_is_sigma_cased(uint32_t cp);
/* Case_Ignorable, as CPython's Final_Sigma rule sees it. */
bool uni_is_case_ignorable(uint32_t cp);
/* Not a letter/number/space but case-equivalent to one: under IGNORECASE none of the CLIP
 * pattern's alternatives matches it, so it is dropped like whitespace (U+0345). */
bool uni_is_pattern_unmatched(uint32_t cp);

/* Python str.lower() of one code point, without the Final_Sigma context rule (U+03A3 gives
 * U+03C3 here). Writes 1..3 code points to out and returns how many. */
int uni_lower(uint32_t cp, uint32_t out[3]);

/* The lower-case ASCII letter cp matches case-insensitively (its own lower case for ASCII,
 * e.g. 's' for U+017F), cp itself for other ASCII, 0 for non-ASCII with no ASCII variant. */
char uni_ascii_case_variant(uint32_t cp);

#endif
