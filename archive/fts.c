/* archive/fts: the analysts' full-text query language, parsed by hand and
 * re-emitted as an FTS5 expression in which every word is a folded, quoted
 * string. Hand-written because FTS5's own parser would see raw user text
 * and answer a mistake with a message that names no column. */
#include "archive/archive.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

#define MAX_QUERY 2000   /* bytes of user query */
#define MAX_DEPTH 32     /* nesting of groups */
#define MAX_NEAR 100     /* largest NEAR distance */

enum tk { T_END, T_LPAREN, T_RPAREN, T_COMMA, T_AND, T_OR, T_NOT, T_NEAR, T_NEARN,
	  T_COL, T_WORD, T_PHRASE };

struct lex {
	const char *s;
	size_t pos;
	/* current token */
	enum tk t;
	size_t start, len;  /* byte range in s (for words/phrases: the text) */
	int prefix;         /* word or phrase followed by '*' */
	long n;             /* NEAR/n */
	struct pm_buf out;
	struct pm_err *err;
	int depth;
};

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' ||
	       c == '"' || c == ',';
}

static int fail(struct lex *l, size_t at, const char *what)
{
	return pm_err_set(l->err, PM_EINPUT, "query: %s at column %zu", what, at + 1);
}

static int next(struct lex *l)
{
	const char *s = l->s;
	size_t i = l->pos;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	l->start = i;
	l->prefix = 0;
	if (!s[i]) {
		l->t = T_END;
		l->pos = i;
		return 0;
	}
	if (s[i] == '(' || s[i] == ')' || s[i] == ',') {
		l->t = s[i] == '(' ? T_LPAREN : s[i] == ')' ? T_RPAREN : T_COMMA;
		l->len = 1;
		l->pos = i + 1;
		return 0;
	}
	if (s[i] == '"') {
		size_t j = i + 1;
		while (s[j] && s[j] != '"')
			j++;
		if (!s[j])
			return fail(l, i, "unterminated quote");
		l->t = T_PHRASE;
		l->start = i + 1;
		l->len = j - i - 1;
		j++;
		if (s[j] == '*') {
			l->prefix = 1;
			j++;
		}
		l->pos = j;
		return 0;
	}
	size_t j = i;
	while (s[j] && !is_sep(s[j]))
		j++;
	l->len = j - i;
	l->pos = j;
	if (l->len == 3 && !strncmp(s + i, "AND", 3))
		l->t = T_AND;
	else if (l->len == 2 && !strncmp(s + i, "OR", 2))
		l->t = T_OR;
	else if (l->len == 3 && !strncmp(s + i, "NOT", 3))
		l->t = T_NOT;
	else if (l->len == 4 && !strncmp(s + i, "NEAR", 4) && s[j] == '(')
		l->t = T_NEAR;
	else if (l->len > 5 && !strncmp(s + i, "NEAR/", 5)) {
		char *end;
		l->n = strtol(s + i + 5, &end, 10);
		if (end != s + j || l->n < 0 || l->n > MAX_NEAR)
			return fail(l, i, "NEAR/N needs a distance from 0 to 100");
		l->t = T_NEARN;
	} else if ((l->len == 6 && !strncmp(s + i, "title:", 6)) ||
		   (l->len == 5 && !strncmp(s + i, "text:", 5))) {
		l->t = T_COL;
		l->len--; /* without the colon */
	} else if ((!strncmp(s + i, "title:", 6) || !strncmp(s + i, "text:", 5))) {
		/* "title:word": split into the column and the word */
		l->t = T_COL;
		l->len = s[i + 1] == 'i' ? 5 : 4;
		l->pos = i + l->len + 1;
	} else {
		l->t = T_WORD;
		if (l->len > 1 && s[j - 1] == '*') {
			l->prefix = 1;
			l->len--;
		}
	}
	return 0;
}

/* Emits the current word/phrase as a folded FTS5 string. */
static int emit_phrase(struct lex *l)
{
	struct pm_tokens t;
	size_t at = l->t == T_PHRASE ? l->start - 1 : l->start;

	pm_tokens_init(&t);
	pm_text_tokenize(l->s + l->start, l->len, &t);
	if (!t.n) {
		pm_tokens_release(&t);
		return fail(l, at, l->t == T_PHRASE ? "a phrase with no searchable word"
						    : "a term with no searchable word");
	}
	pm_buf_addc(&l->out, '"');
	for (size_t i = 0; i < t.n; i++) {
		const char *w = pm_token_str(&t, i);
		if (i)
			pm_buf_addc(&l->out, ' ');
		for (; *w; w++) {
			if (*w == '"')
				pm_buf_addc(&l->out, '"'); /* FTS5 doubles quotes; folded words have none */
			pm_buf_addc(&l->out, *w);
		}
	}
	pm_buf_addc(&l->out, '"');
	if (l->prefix)
		pm_buf_adds(&l->out, " *");
	pm_tokens_release(&t);
	return next(l);
}

static int parse_or(struct lex *l);

static int starts_primary(enum tk t)
{
	return t == T_LPAREN || t == T_NEAR || t == T_COL || t == T_WORD || t == T_PHRASE;
}

static int parse_primary(struct lex *l)
{
	size_t at = l->start;

	switch (l->t) {
	case T_LPAREN:
		if (++l->depth > MAX_DEPTH)
			return fail(l, at, "groups nested too deeply");
		pm_buf_addc(&l->out, '(');
		if (next(l))
			return -1;
		if (l->t == T_RPAREN)
			return fail(l, l->start, "an empty group");
		if (parse_or(l))
			return -1;
		if (l->t != T_RPAREN)
			return fail(l, at, "'(' is never closed");
		pm_buf_addc(&l->out, ')');
		l->depth--;
		return next(l);
	case T_NEAR: {
		int n = 0;
		if (next(l) || next(l)) /* NEAR, ( */
			return -1;
		pm_buf_adds(&l->out, "NEAR(");
		while (l->t == T_WORD || l->t == T_PHRASE) {
			if (n++)
				pm_buf_addc(&l->out, ' ');
			if (emit_phrase(l))
				return -1;
		}
		if (n < 2)
			return fail(l, at, "NEAR( needs at least two terms");
		if (l->t == T_COMMA) {
			char *end;
			long d;
			if (next(l))
				return -1;
			d = l->t == T_WORD ? strtol(l->s + l->start, &end, 10) : -1;
			if (l->t != T_WORD || l->prefix || end != l->s + l->start + l->len || d < 0 ||
			    d > MAX_NEAR)
				return fail(l, l->start, "NEAR( needs a distance from 0 to 100 after the comma");
			pm_buf_addf(&l->out, ", %ld", d);
			if (next(l))
				return -1;
		}
		if (l->t != T_RPAREN)
			return fail(l, at, "NEAR( is never closed");
		pm_buf_addc(&l->out, ')');
		return next(l);
	}
	case T_COL:
		pm_buf_add(&l->out, l->s + l->start, l->len);
		pm_buf_adds(&l->out, " : ");
		if (next(l))
			return -1;
		if (l->t != T_WORD && l->t != T_PHRASE && l->t != T_LPAREN && l->t != T_NEAR)
			return fail(l, at, "a column filter needs a term after the colon");
		return parse_primary(l);
	case T_WORD:
	case T_PHRASE: {
		/* a NEAR/n b [NEAR/n c ...] becomes NEAR(a b c, n) */
		size_t mark = l->out.len;
		long dist = -1;
		if (emit_phrase(l))
			return -1;
		if (l->t != T_NEARN)
			return 0;
		{
			char *head = xstrdup(l->out.data + mark);
			l->out.len = mark;
			l->out.data[mark] = '\0';
			pm_buf_adds(&l->out, "NEAR(");
			pm_buf_adds(&l->out, head);
			free(head);
		}
		while (l->t == T_NEARN) {
			size_t nat = l->start;
			if (l->n > dist)
				dist = l->n;
			if (next(l))
				return -1;
			if (l->t != T_WORD && l->t != T_PHRASE)
				return fail(l, nat, "NEAR/N needs a term on each side");
			pm_buf_addc(&l->out, ' ');
			if (emit_phrase(l))
				return -1;
		}
		pm_buf_addf(&l->out, ", %ld)", dist);
		return 0;
	}
	case T_END:
		return fail(l, at, "a term is missing at the end");
	case T_RPAREN:
		return fail(l, at, "unexpected ')'");
	case T_NOT:
		return fail(l, at, "NOT needs a term before it (write 'a NOT b')");
	case T_NEARN:
		return fail(l, at, "NEAR/N needs a term on each side");
	default:
		return fail(l, at, "a term is missing before this operator");
	}
}

/* Binary operators are emitted inside parentheses so that FTS5's own
 * precedence never changes what the user wrote. */
static int parse_not(struct lex *l)
{
	size_t mark = l->out.len;

	if (parse_primary(l))
		return -1;
	while (l->t == T_NOT) {
		size_t at = l->start;
		char *left = xstrdup(l->out.data + mark);
		l->out.len = mark;
		l->out.data[mark] = '\0';
		pm_buf_addf(&l->out, "(%s NOT ", left);
		free(left);
		if (next(l))
			return -1;
		if (!starts_primary(l->t))
			return fail(l, at, "NOT needs a term after it");
		if (parse_primary(l))
			return -1;
		pm_buf_addc(&l->out, ')');
	}
	return 0;
}

static int parse_and(struct lex *l)
{
	size_t mark = l->out.len;

	if (parse_not(l))
		return -1;
	while (l->t == T_AND || starts_primary(l->t)) {
		size_t at = l->start;
		char *left = xstrdup(l->out.data + mark);
		l->out.len = mark;
		l->out.data[mark] = '\0';
		pm_buf_addf(&l->out, "(%s AND ", left);
		free(left);
		if (l->t == T_AND) {
			if (next(l))
				return -1;
			if (!starts_primary(l->t))
				return fail(l, at, "AND needs a term on each side");
		}
		if (parse_not(l))
			return -1;
		pm_buf_addc(&l->out, ')');
	}
	return 0;
}

static int parse_or(struct lex *l)
{
	size_t mark = l->out.len;

	if (l->t == T_OR || l->t == T_AND)
		return fail(l, l->start, l->t == T_OR ? "OR needs a term on each side"
						      : "AND needs a term on each side");
	if (parse_and(l))
		return -1;
	while (l->t == T_OR) {
		size_t at = l->start;
		char *left = xstrdup(l->out.data + mark);
		l->out.len = mark;
		l->out.data[mark] = '\0';
		pm_buf_addf(&l->out, "(%s OR ", left);
		free(left);
		if (next(l))
			return -1;
		if (!starts_primary(l->t))
			return fail(l, at, "OR needs a term on each side");
		if (parse_and(l))
			return -1;
		pm_buf_addc(&l->out, ')');
	}
	return 0;
}

int pm_fts_translate(const char *query, char **out, struct pm_err *err)
{
	struct lex l;

	*out = NULL;
	if (strlen(query) > MAX_QUERY)
		return pm_err_set(err, PM_EINPUT, "query: longer than %d bytes", MAX_QUERY);
	memset(&l, 0, sizeof(l));
	l.s = query;
	l.err = err;
	pm_buf_init(&l.out, 0);
	pm_buf_add(&l.out, "", 0);
	if (next(&l))
		goto fail;
	if (l.t == T_END) {
		pm_err_set(err, PM_EINPUT, "query: empty");
		goto fail;
	}
	if (parse_or(&l))
		goto fail;
	if (l.t != T_END) {
		fail(&l, l.start, l.t == T_RPAREN ? "unexpected ')'" : "unexpected text");
		goto fail;
	}
	*out = pm_buf_detach(&l.out, NULL);
	return 0;
fail:
	pm_buf_release(&l.out);
	return -1;
}
