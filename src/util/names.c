/* names.c - see names.h. */
#include "util/names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* The NUL marker: C0 80. */
static bool is_nul_marker(const unsigned char *p)
{
	return p[0] == 0xC0 && p[1] == 0x80;
}

/* Length of the valid UTF-8 sequence at P with its code point, or 0. */
static int utf8_next(const unsigned char *p, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int n;
	uint32_t c, min;
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2, c = p[0] & 0x1F, min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3, c = p[0] & 0x0F, min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

static bool is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

static bool is_bidi_or_separator(uint32_t c)
{
	return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

static __thread char problem_buf[96];

const char *name_entry_problem(const char *name)
{
	const char *p = name_storage_problem(name);
	if (p)
		return p;
	if (name[0] == '.')
		return "starts with '.' (reserved for ucfs)";
	for (const unsigned char *s = (const unsigned char *)name; *s;) {
		uint32_t c;
		int n = utf8_next(s, &c);
		if (!n)
			return "is not valid UTF-8";
		if (is_control(c) || is_bidi_or_separator(c)) {
			snprintf(problem_buf, sizeof(problem_buf), "contains a %s (U+%04X)",
				 is_control(c) ? "control character" : "bidirectional or line control",
				 (unsigned)c);
			return problem_buf;
		}
		s += n;
	}
	return NULL;
}

const char *name_storage_problem(const char *name)
{
	if (!name || !*name)
		return "is empty";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "is '.' or '..'";
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		if (is_nul_marker(s))
			return "contains a NUL character";
	if (strchr(name, '/'))
		return "contains '/'";
	if (strlen(name) > NAME_MAX_BYTES)
		return "is longer than 255 bytes";
	return NULL;
}

char *name_escape(const char *s)
{
	if (!s)
		return xstrdup("(null)");
	struct strbuf sb = {0};
	int r = sb_append(&sb, "", 0);
	for (const unsigned char *p = (const unsigned char *)s; *p && !r;) {
		uint32_t c;
		int n = utf8_next(p, &c);
		if (is_nul_marker(p)) {
			r = sb_puts(&sb, "\\u0000");
			p += 2;
		} else if (!n) {
			r = sb_printf(&sb, "\\x%02X", *p);
			p++;
		} else if (c == '\\') {
			r = sb_puts(&sb, "\\\\");
			p++;
		} else if (c < 0x20 || c == 0x7F) {
			r = sb_printf(&sb, "\\x%02X", (unsigned)c);
			p++;
		} else if (is_control(c) || is_bidi_or_separator(c)) {
			r = sb_printf(&sb, "\\u%04X", (unsigned)c);
			p += n;
		} else {
			r = sb_append(&sb, (const char *)p, (size_t)n);
			p += n;
		}
	}
	if (r) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

int name_json_mark_nul(const char *json, size_t len, char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (!json || !memmem(json, len, "\\u0000", 6))
		return 0;
	char *o = malloc(len + 1);
	if (!o)
		return -ENOMEM;
	size_t w = 0;
	for (size_t i = 0; i < len;) {
		if (json[i] == '\\' && i + 5 < len && !memcmp(json + i + 1, "u0000", 5)) {
			o[w++] = (char)0xC0;
			o[w++] = (char)0x80;
			i += 6;
		} else if (json[i] == '\\' && i + 1 < len) {
			o[w++] = json[i++]; /* an escape: copy both, so "\\u0000" stays text */
			o[w++] = json[i++];
		} else {
			o[w++] = json[i++];
		}
	}
	o[w] = '\0';
	*out = o;
	*outlen = w;
	return 0;
}

char *name_mark_nul(const char *buf, size_t len)
{
	size_t nuls = 0;
	for (size_t i = 0; i < len; i++)
		nuls += buf[i] == '\0';
	char *o = malloc(len + nuls + 1), *w = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (buf[i]) {
			*w++ = buf[i];
		} else {
			*w++ = (char)0xC0;
			*w++ = (char)0x80;
		}
	}
	*w = '\0';
	return o;
}

int64_t delta_log_version(const char *name, bool *checkpoint)
{
	int64_t v = 0;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
		if (v > (int64_t)1 << 53)
			return -1;
	}
	*checkpoint = !strncmp(name + 20, ".checkpoint.", 12);
	return *checkpoint || !strcmp(name + 20, ".json") ? v : -1;
}
