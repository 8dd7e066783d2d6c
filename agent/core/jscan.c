#include <stdio.h>

#include "agent/core/jscan.h"

static bool
js_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A byte that starts a value: a container, a string, or a scalar's first
 * byte (true, false, null, a number); ',' ':' and closers do not. */
static bool
js_starts_value(char c)
{
	return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
	       c == 'f' || c == 'n';
}

void
jscan_shape(const char *buf, size_t len, struct jscan_shape *out)
{
	int depth = 0;
	bool str = false, esc = false, scalar = false;

	out->depth = 0;
	out->values = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				str = false;
			continue;
		}
		/* A scalar counts once, at its first byte. */
		if (scalar && (js_space(c) || c == ',' || c == ':' || c == ']' || c == '}'))
			scalar = false;
		if (c == '"') {
			str = true;
			out->values++;
		} else if (c == '[' || c == '{') {
			out->values++;
			if (++depth > out->depth)
				out->depth = depth;
		} else if (c == ']' || c == '}')
			depth--;
		else if (!scalar && js_starts_value(c)) {
			scalar = true;
			out->values++;
		}
	}
}

bool
jscan_bounded(const char *buf, size_t len, int max_depth, size_t max_values, const char *what,
	      char *err, size_t errlen)
{
	struct jscan_shape sh;

	jscan_shape(buf, len, &sh);
	if (sh.depth > max_depth)
		snprintf(err, errlen, "%s nested deeper than %d", what, max_depth);
	else if (sh.values > max_values)
		snprintf(err, errlen, "%s of more than %zu JSON values", what, max_values);
	else
		return true;
	return false;
}

char
jscan_peek(const char *buf, size_t len, size_t *pos)
{
	while (*pos < len && js_space(buf[*pos]))
		(*pos)++;
	return *pos < len ? buf[*pos] : '\0';
}

/* Past the string whose opening quote is at buf[i]; len when unterminated. */
static size_t
js_string_end(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return len + 1;
}

bool
jscan_value(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end)
{
	char c = jscan_peek(buf, len, pos);
	size_t i = *pos, depth = 0;

	*start = i;
	if (!js_starts_value(c))
		return false;
	if (c == '"')
		i = js_string_end(buf, len, i);
	else if (c != '[' && c != '{') {
		while (i < len && !js_space(buf[i]) && buf[i] != ',' && buf[i] != ']' &&
		       buf[i] != '}' && buf[i] != ':')
			i++;
	} else {
		/* Brackets are matched by count, not kind: jansson checks the
		 * value itself; here only its end matters. */
		do {
			if (buf[i] == '"') {
				i = js_string_end(buf, len, i);
				continue;
			}
			if (buf[i] == '[' || buf[i] == '{')
				depth++;
			else if (buf[i] == ']' || buf[i] == '}')
				depth--;
			i++;
		} while (i < len && depth);
		if (depth)
			return false;
	}
	if (i > len)
		return false;
	*pos = *end = i;
	return true;
}
