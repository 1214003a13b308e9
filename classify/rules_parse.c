/* classify/rules_parse: lexer and recursive-descent parser of the rule
 * language (docs/rules.md). Every error names file:line:col; nothing is skipped. */
#include "classify/classify_int.h"
#include "core/mem.h"
#include "core/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { T_EOF, T_WORD, T_STRING, T_NUMBER, T_PUNCT };

struct tok {
	enum tok_kind kind;
	char *text;       /* word/string contents (unescaped), number digits, punct char */
	int star;         /* word written with a trailing '*' */
	int bol;          /* first token of a statement (column 1) */
	struct srcpos pos;
};

struct lexer {
	struct pm_rules *r;
	int file;
	const char *s;
	size_t len, i;
	int line, col;
	struct tok cur;   /* the look-ahead token */
	struct tok next;  /* one more, for "NOT NEAR" */
	int have_next;
	int depth;
	struct pm_err *err;
	char shown[64];   /* the token as quoted in error messages */
};

int rl_error(const struct pm_rules *r, struct srcpos pos, struct pm_err *err,
	     const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pm_err_set(err, PM_EINPUT, "%s:%d:%d: %s",
			  pos.file >= 0 && (size_t)pos.file < r->nfiles ? r->files[pos.file] : "?",
			  pos.line, pos.col, msg);
}

void rl_node_free(struct node *n)
{
	if (!n)
		return;
	rl_node_free(n->a);
	rl_node_free(n->b);
	free(n->ref_name);
	free(n);
}

/* ---- lexer ------------------------------------------------------------- */

static void advance(struct lexer *lx)
{
	unsigned char c = (unsigned char)lx->s[lx->i++];

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xC0) != 0x80) { /* columns count characters, not bytes */
		lx->col++;
	}
}

static int word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '\'' || c >= 0x80;
}

static int lex_error(struct lexer *lx, struct srcpos pos, const char *fmt, const char *arg)
{
	return rl_error(lx->r, pos, lx->err, fmt, arg);
}

/* Reads one token into *t. */
static int lex_one(struct lexer *lx, struct tok *t)
{
	int line_start;

	memset(t, 0, sizeof(*t));
	for (;;) {
		while (lx->i < lx->len && (lx->s[lx->i] == ' ' || lx->s[lx->i] == '\t' ||
					   lx->s[lx->i] == '\r' || lx->s[lx->i] == '\n'))
			advance(lx);
		if (lx->i < lx->len && lx->s[lx->i] == '#') {
			while (lx->i < lx->len && lx->s[lx->i] != '\n')
				advance(lx);
			continue;
		}
		break;
	}
	t->pos.file = lx->file;
	t->pos.line = lx->line;
	t->pos.col = lx->col;
	line_start = lx->col == 1;
	t->bol = line_start;
	if (lx->i >= lx->len) {
		t->kind = T_EOF;
		t->text = xstrdup("end of file");
		return 0;
	}
	unsigned char c = (unsigned char)lx->s[lx->i];
	if (c == '"') {
		struct { char *p; size_t n, a; } b = { NULL, 0, 0 };
		advance(lx);
		for (;;) {
			if (lx->i >= lx->len || lx->s[lx->i] == '\n') {
				free(b.p);
				return lex_error(lx, t->pos, "unterminated string%s", "");
			}
			char ch = lx->s[lx->i];
			if (ch == '"') {
				advance(lx);
				break;
			}
			if (ch == '\\') {
				advance(lx);
				if (lx->i >= lx->len || (lx->s[lx->i] != '"' && lx->s[lx->i] != '\\')) {
					struct srcpos p = { lx->file, lx->line, lx->col };
					free(b.p);
					return lex_error(lx, p, "unknown escape in string (only \\\" and \\\\)%s", "");
				}
				ch = lx->s[lx->i];
			}
			XGROW(b.p, b.a, b.n + 2);
			b.p[b.n++] = ch;
			advance(lx);
		}
		XGROW(b.p, b.a, b.n + 1);
		b.p[b.n] = '\0';
		t->kind = T_STRING;
		t->text = b.p;
		return 0;
	}
	if ((c >= '0' && c <= '9') ||
	    (c == '-' && lx->i + 1 < lx->len && lx->s[lx->i + 1] >= '0' && lx->s[lx->i + 1] <= '9')) {
		size_t st = lx->i;
		advance(lx);
		while (lx->i < lx->len && lx->s[lx->i] >= '0' && lx->s[lx->i] <= '9')
			advance(lx);
		if (lx->i < lx->len && word_byte((unsigned char)lx->s[lx->i]) &&
		    lx->s[lx->i] != '-' && lx->s[lx->i] != '.') {
			/* a word that starts with digits ("1593rd") */
			while (lx->i < lx->len && word_byte((unsigned char)lx->s[lx->i]))
				advance(lx);
			t->kind = T_WORD;
		} else {
			t->kind = T_NUMBER;
		}
		t->text = xstrndup(lx->s + st, lx->i - st);
		if (t->kind == T_WORD && lx->i < lx->len && lx->s[lx->i] == '*') {
			t->star = 1;
			advance(lx);
		}
		return 0;
	}
	if (word_byte(c) && c != '-' && c != '.' && c != '\'') {
		size_t st = lx->i;
		while (lx->i < lx->len) {
			unsigned char d = (unsigned char)lx->s[lx->i];
			if (word_byte(d)) {
				advance(lx);
			} else if (d == ':' && lx->i + 1 < lx->len &&
				   word_byte((unsigned char)lx->s[lx->i + 1]) &&
				   lx->s[lx->i + 1] != '-' && lx->s[lx->i + 1] != '.') {
				advance(lx); /* "situation:sudan" is one name */
			} else {
				break;
			}
		}
		t->kind = T_WORD;
		t->text = xstrndup(lx->s + st, lx->i - st);
		if (lx->i < lx->len && lx->s[lx->i] == '*') {
			t->star = 1;
			advance(lx);
		}
		return 0;
	}
	if (strchr("=,[]():/$@", (int)c)) {
		char p[2] = { (char)c, 0 };
		advance(lx);
		t->kind = T_PUNCT;
		t->text = xstrdup(p);
		return 0;
	}
	{
		char shown[8];
		if (c >= 0x20 && c < 0x7F)
			snprintf(shown, sizeof(shown), "%c", c);
		else
			snprintf(shown, sizeof(shown), "\\x%02X", c);
		return lex_error(lx, t->pos, "unexpected character '%s'", shown);
	}
}

static int next(struct lexer *lx)
{
	free(lx->cur.text);
	if (lx->have_next) {
		lx->cur = lx->next;
		lx->have_next = 0;
		return 0;
	}
	return lex_one(lx, &lx->cur);
}

static int peek2(struct lexer *lx, struct tok **out)
{
	if (!lx->have_next) {
		if (lex_one(lx, &lx->next))
			return -1;
		lx->have_next = 1;
	}
	*out = &lx->next;
	return 0;
}

static int is_punct(const struct tok *t, char c)
{
	return t->kind == T_PUNCT && t->text[0] == c;
}

static int is_word(const struct tok *t, const char *w)
{
	return t->kind == T_WORD && !t->star && !strcmp(t->text, w);
}

/* The current token starts a new statement: column 1 of a line. */
static int at_stmt_end(const struct lexer *lx)
{
	return lx->cur.kind == T_EOF || lx->cur.bol;
}

/* The token as an error message shows it; strings keep their quotes and
 * long ones are cut on a character boundary. */
static const char *shown_tok(struct lexer *lx, const struct tok *t)
{
	size_t n;

	if (t->kind == T_EOF)
		return "end of file";
	snprintf(lx->shown, sizeof(lx->shown), t->kind == T_STRING ? "\"%s\"" : "%s", t->text);
	n = strlen(lx->shown);
	if (n == sizeof(lx->shown) - 1) {
		size_t k = n, need;
		while (k > 0 && ((unsigned char)lx->shown[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)lx->shown[k - 1] >= 0xC0) {
			unsigned char lead = (unsigned char)lx->shown[k - 1];
			need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
			if (n - (k - 1) < need)
				lx->shown[k - 1] = '\0';
		}
	}
	return lx->shown;
}
#define shown(t) shown_tok(lx, (t))

static int expect_punct(struct lexer *lx, char c, const char *what)
{
	if (!is_punct(&lx->cur, c) || lx->cur.bol)
		return rl_error(lx->r, lx->cur.pos, lx->err, "expected '%c' %s, found '%s'",
				c, what, shown(&lx->cur));
	return next(lx);
}

static int name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == ':' || *s == '.'))
			return 0;
	return 1;
}

/* ---- terms ------------------------------------------------------------- */

/* Adds a term written as text (exact: =TERM; star: bare word with '*') to
 * list. Returns -1 with err on a phrase that is too long. A term that folds
 * to nothing is kept with zero tokens: the linter reports it. */
static int add_term(struct lexer *lx, int list, const char *text, int exact, int star,
		    struct srcpos pos)
{
	struct pm_rules *r = lx->r;
	struct pm_tokens tk;
	struct term *t;
	size_t len = strlen(text);

	pm_tokens_init(&tk);
	pm_text_tokenize(text, len, &tk);
	if (tk.n > RL_MAX_TERM_TOKENS) {
		pm_tokens_release(&tk);
		return rl_error(r, pos, lx->err, "phrase has more than %d words", RL_MAX_TERM_TOKENS);
	}
	XGROW(r->terms, r->aterms, r->nterms + 1);
	t = &r->terms[r->nterms++];
	memset(t, 0, sizeof(*t));
	t->list = list;
	t->pos = pos;
	t->display = xasprintf("%s%s%s", exact ? "=" : "", text, star ? "*" : "");
	t->ntok = tk.n;
	t->tok = tk.n ? xcalloc(tk.n, sizeof(*t->tok)) : NULL;
	for (size_t i = 0; i < tk.n; i++) {
		t->tok[i].norm = xstrndup(pm_token_str(&tk, i), tk.v[i].norm_len);
		t->tok[i].len = tk.v[i].norm_len;
		if (exact)
			t->tok[i].exact = xstrndup(text + tk.v[i].start,
						   tk.v[i].end - tk.v[i].start);
		/* '*' right after a word inside a phrase: "mandat* d'arrêt" */
		t->tok[i].prefix = tk.v[i].end < len && text[tk.v[i].end] == '*';
	}
	if (star && tk.n)
		t->tok[tk.n - 1].prefix = 1;
	pm_tokens_release(&tk);
	return 0;
}

static int new_list(struct pm_rules *r, const char *name, struct srcpos pos)
{
	struct list *l;

	XGROW(r->lists, r->alists, r->nlists + 1);
	l = &r->lists[r->nlists];
	memset(l, 0, sizeof(*l));
	l->name = name ? xstrdup(name) : NULL;
	l->pos = pos;
	return (int)r->nlists++;
}

/* term := STRING | WORD | NUMBER | '=' (STRING | WORD) */
static int parse_term(struct lexer *lx, int list)
{
	struct srcpos pos = lx->cur.pos;
	int exact = 0;

	if (is_punct(&lx->cur, '=') && !lx->cur.bol) {
		exact = 1;
		if (next(lx))
			return -1;
	}
	if (lx->cur.bol || (lx->cur.kind != T_STRING && lx->cur.kind != T_WORD &&
			    lx->cur.kind != T_NUMBER))
		return rl_error(lx->r, lx->cur.pos, lx->err, "expected a term, found '%s'",
				shown(&lx->cur));
	if (add_term(lx, list, lx->cur.text, exact, lx->cur.star, pos))
		return -1;
	return next(lx);
}

/* ---- expressions --------------------------------------------------------- */

static struct node *new_node(enum node_kind k, struct srcpos pos)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = k;
	n->pos = pos;
	return n;
}

static struct node *parse_or(struct lexer *lx);

static int scope_mask(const char *w, unsigned *mask)
{
	if (!strcmp(w, "title"))
		*mask = SC_TITLE;
	else if (!strcmp(w, "lead"))
		*mask = SC_LEAD;
	else if (!strcmp(w, "body"))
		*mask = SC_SUMMARY | SC_LEAD | SC_TEXT;
	else if (!strcmp(w, "summary"))
		*mask = SC_SUMMARY;
	else
		return -1;
	return 0;
}

static struct node *parse_primary(struct lexer *lx)
{
	struct tok *t = &lx->cur;
	struct srcpos pos = t->pos;
	struct node *n;
	unsigned mask;

	if (t->bol || t->kind == T_EOF) {
		rl_error(lx->r, pos, lx->err, "expression ends too early: expected a term, '$list', "
			 "'@tag' or '('");
		return NULL;
	}
	if (++lx->depth > RL_MAX_DEPTH) {
		rl_error(lx->r, pos, lx->err, "expression nested deeper than %d", RL_MAX_DEPTH);
		return NULL;
	}
	if (is_punct(t, '(')) {
		if (next(lx))
			return NULL;
		n = parse_or(lx);
		if (!n)
			return NULL;
		if (!is_punct(&lx->cur, ')') || lx->cur.bol) {
			rl_error(lx->r, lx->cur.pos, lx->err,
				 "expected ')' to close the '(' of line %d column %d, found '%s'",
				 pos.line, pos.col, shown(&lx->cur));
			rl_node_free(n);
			return NULL;
		}
		if (next(lx)) {
			rl_node_free(n);
			return NULL;
		}
		lx->depth--;
		return n;
	}
	if (is_punct(t, '$') || is_punct(t, '@')) {
		int tag = is_punct(t, '@');
		if (next(lx))
			return NULL;
		if (lx->cur.kind != T_WORD || lx->cur.bol || lx->cur.star || !name_ok(lx->cur.text) ||
		    lx->cur.pos.col != pos.col + 1) {
			rl_error(lx->r, lx->cur.pos, lx->err, "expected a %s name right after '%c'",
				 tag ? "tag" : "list", tag ? '@' : '$');
			return NULL;
		}
		n = new_node(tag ? N_TAG : N_LIST, pos);
		n->ref = -1;
		n->ref_name = xstrdup(lx->cur.text);
		if (next(lx)) {
			rl_node_free(n);
			return NULL;
		}
		lx->depth--;
		return n;
	}
	/* scope: "title:" ... ; the lexer joins "title:x" into one word */
	if (t->kind == T_WORD && !t->star) {
		char *colon = strchr(t->text, ':');
		char head[16];
		size_t hl = colon ? (size_t)(colon - t->text) : strlen(t->text);
		if (hl < sizeof(head)) {
			memcpy(head, t->text, hl);
			head[hl] = '\0';
		} else {
			head[0] = '\0';
		}
		if (!scope_mask(head, &mask)) {
			struct tok *p2 = NULL;
			if (colon) {
				/* "title:icc": re-lex the rest as its own word */
				char *rest = xstrdup(colon + 1);
				free(t->text);
				t->text = rest;
				t->pos.col += (int)hl + 1;
			} else {
				if (peek2(lx, &p2))
					return NULL;
				if (!is_punct(p2, ':') || p2->bol)
					goto literal;
				if (next(lx) || next(lx))
					return NULL;
			}
			n = new_node(N_SCOPE, pos);
			n->scope = mask;
			n->a = parse_primary(lx);
			if (!n->a) {
				rl_node_free(n);
				return NULL;
			}
			lx->depth--;
			return n;
		}
		if (!strcmp(t->text, "AND") || !strcmp(t->text, "OR") || !strcmp(t->text, "NEAR") ||
		    !strcmp(t->text, "SENT")) {
			rl_error(lx->r, pos, lx->err, "operator '%s' needs a term before it", t->text);
			return NULL;
		}
	}
literal:
	if (is_punct(t, '=') || t->kind == T_STRING || t->kind == T_WORD || t->kind == T_NUMBER) {
		int list = new_list(lx->r, NULL, pos);
		lx->r->lists[list].used = 1;
		if (parse_term(lx, list))
			return NULL;
		n = new_node(N_LIST, pos);
		n->ref = list;
		lx->depth--;
		return n;
	}
	rl_error(lx->r, pos, lx->err, "expected a term, '$list', '@tag' or '(', found '%s'", shown(t));
	return NULL;
}

/* NEAR/n: the '/' and the number follow without spaces. */
static int parse_near_n(struct lexer *lx, int *n)
{
	struct srcpos pos = lx->cur.pos;
	long v;
	char *end;

	if (next(lx))
		return -1;
	if (!is_punct(&lx->cur, '/') || lx->cur.bol)
		return rl_error(lx->r, pos, lx->err, "NEAR needs a distance: write NEAR/5");
	if (next(lx))
		return -1;
	if (lx->cur.kind != T_NUMBER || lx->cur.bol)
		return rl_error(lx->r, lx->cur.pos, lx->err, "NEAR needs a distance: write NEAR/5");
	v = strtol(lx->cur.text, &end, 10);
	if (*end || v < 0 || v > RL_MAX_NEAR)
		return rl_error(lx->r, lx->cur.pos, lx->err, "NEAR distance '%s' is not 0-%d",
				lx->cur.text, RL_MAX_NEAR);
	*n = (int)v;
	return next(lx);
}

/* prox := primary (( NEAR/n | SENT | NOT NEAR/n | NOT SENT ) primary)* */
static struct node *parse_prox(struct lexer *lx)
{
	struct node *left = parse_primary(lx);

	while (left && !at_stmt_end(lx)) {
		struct tok *t = &lx->cur;
		struct srcpos pos = t->pos;
		enum node_kind k;
		int n = 0;

		if (is_word(t, "NOT")) {
			struct tok *p2;
			if (peek2(lx, &p2))
				goto fail;
			if (p2->bol || !(is_word(p2, "NEAR") || is_word(p2, "SENT")))
				break;
			if (next(lx))
				goto fail;
			if (is_word(&lx->cur, "NEAR")) {
				k = N_NOTNEAR;
				if (parse_near_n(lx, &n))
					goto fail;
			} else {
				k = N_NOTSENT;
				if (next(lx))
					goto fail;
			}
		} else if (is_word(t, "NEAR")) {
			k = N_NEAR;
			if (parse_near_n(lx, &n))
				goto fail;
		} else if (is_word(t, "SENT")) {
			k = N_SENT;
			if (next(lx))
				goto fail;
		} else {
			break;
		}
		struct node *p = new_node(k, pos);
		p->n = n;
		p->a = left;
		left = p;
		p->b = parse_primary(lx);
		if (!p->b)
			goto fail;
	}
	return left;
fail:
	rl_node_free(left);
	return NULL;
}

static struct node *parse_not(struct lexer *lx)
{
	if (!at_stmt_end(lx) && is_word(&lx->cur, "NOT")) {
		struct node *n = new_node(N_NOT, lx->cur.pos);
		if (++lx->depth > RL_MAX_DEPTH) {
			rl_error(lx->r, lx->cur.pos, lx->err, "expression nested deeper than %d",
				 RL_MAX_DEPTH);
			free(n);
			return NULL;
		}
		if (next(lx)) {
			free(n);
			return NULL;
		}
		n->a = parse_not(lx);
		lx->depth--;
		if (!n->a) {
			free(n);
			return NULL;
		}
		return n;
	}
	return parse_prox(lx);
}

static struct node *parse_binary(struct lexer *lx, const char *op, enum node_kind k,
				 struct node *(*sub)(struct lexer *))
{
	struct node *left = sub(lx);

	while (left && !at_stmt_end(lx) && is_word(&lx->cur, op)) {
		struct node *p = new_node(k, lx->cur.pos);
		p->a = left;
		left = p;
		if (next(lx))
			goto fail;
		p->b = sub(lx);
		if (!p->b)
			goto fail;
	}
	return left;
fail:
	rl_node_free(left);
	return NULL;
}

static struct node *parse_and(struct lexer *lx)
{
	return parse_binary(lx, "AND", N_AND, parse_not);
}

static struct node *parse_or(struct lexer *lx)
{
	return parse_binary(lx, "OR", N_OR, parse_and);
}

/* A whole expression: it must end where the statement ends. */
static struct node *parse_expr(struct lexer *lx)
{
	struct node *n;

	lx->depth = 0;
	n = parse_or(lx);
	if (n && !at_stmt_end(lx)) {
		const char *w = shown(&lx->cur);
		if (is_punct(&lx->cur, ')'))
			rl_error(lx->r, lx->cur.pos, lx->err, "')' without a matching '('");
		else
			rl_error(lx->r, lx->cur.pos, lx->err,
				 "expected AND, OR, NOT, NEAR/n or SENT before '%s'", w);
		rl_node_free(n);
		return NULL;
	}
	return n;
}

/* ---- statements -------------------------------------------------------- */

static int parse_int(struct lexer *lx, const char *what, int lo, int hi, int *out)
{
	long v;
	char *end;

	if (lx->cur.kind != T_NUMBER || lx->cur.bol)
		return rl_error(lx->r, lx->cur.pos, lx->err, "expected a number after '%s'", what);
	v = strtol(lx->cur.text, &end, 10);
	if (*end || v < lo || v > hi)
		return rl_error(lx->r, lx->cur.pos, lx->err, "%s '%s' is not %d to %d", what,
				lx->cur.text, lo, hi);
	*out = (int)v;
	return next(lx);
}

static int expect_name(struct lexer *lx, const char *what)
{
	if (lx->cur.kind != T_WORD || lx->cur.bol || lx->cur.star || !name_ok(lx->cur.text))
		return rl_error(lx->r, lx->cur.pos, lx->err,
				"expected a %s name (a-z, 0-9, '_', '-', ':', '.'), found '%s'",
				what, shown(&lx->cur));
	return 0;
}

/* list NAME [ '[' LANG (',' LANG)* ']' ] '=' term (',' term)* */
static int parse_list(struct lexer *lx)
{
	struct pm_rules *r = lx->r;
	struct srcpos pos = lx->cur.pos;
	int li;

	if (next(lx) || expect_name(lx, "list"))
		return -1;
	for (size_t i = 0; i < r->nlists; i++)
		if (r->lists[i].name && !strcmp(r->lists[i].name, lx->cur.text)) {
			struct srcpos p = r->lists[i].pos;
			return rl_error(r, lx->cur.pos, lx->err,
					"list '%s' is already defined at %s:%d:%d",
					lx->cur.text, r->files[p.file], p.line, p.col);
		}
	li = new_list(r, lx->cur.text, pos);
	if (next(lx))
		return -1;
	if (is_punct(&lx->cur, '[') && !lx->cur.bol) {
		do {
			struct list *l = &r->lists[li];
			if (next(lx))
				return -1;
			if (lx->cur.kind != T_WORD || lx->cur.bol || strlen(lx->cur.text) >= sizeof(l->langs[0]) ||
			    strspn(lx->cur.text, "abcdefghijklmnopqrstuvwxyz") != strlen(lx->cur.text))
				return rl_error(r, lx->cur.pos, lx->err,
						"expected a language code like 'fr', found '%s'",
						shown(&lx->cur));
			if (l->nlangs >= RL_MAX_LANGS)
				return rl_error(r, lx->cur.pos, lx->err, "more than %d languages on one list",
						RL_MAX_LANGS);
			snprintf(l->langs[l->nlangs++], sizeof(l->langs[0]), "%s", lx->cur.text);
			if (next(lx))
				return -1;
		} while (is_punct(&lx->cur, ',') && !lx->cur.bol);
		if (expect_punct(lx, ']', "after the languages"))
			return -1;
	}
	if (expect_punct(lx, '=', "after the list name"))
		return -1;
	for (;;) {
		if (parse_term(lx, li))
			return -1;
		if (at_stmt_end(lx))
			return 0;
		if (!is_punct(&lx->cur, ','))
			return rl_error(r, lx->cur.pos, lx->err,
					"expected ',' between terms, found '%s' (quote phrases: \"a b\")",
					shown(&lx->cur));
		if (next(lx))
			return -1;
	}
}

/* tag NAME [threshold N] */
static int parse_tag(struct lexer *lx)
{
	struct pm_rules *r = lx->r;
	struct srcpos pos = lx->cur.pos;
	struct tag *t;

	if (next(lx) || expect_name(lx, "tag"))
		return -1;
	for (size_t i = 0; i < r->ntags; i++)
		if (!strcmp(r->tags[i].name, lx->cur.text)) {
			struct srcpos p = r->tags[i].pos;
			return rl_error(r, lx->cur.pos, lx->err, "tag '%s' is already declared at %s:%d:%d",
					lx->cur.text, r->files[p.file], p.line, p.col);
		}
	XGROW(r->tags, r->atags, r->ntags + 1);
	t = &r->tags[r->ntags++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(lx->cur.text);
	t->threshold = 1;
	t->pos = pos;
	if (next(lx))
		return -1;
	if (!at_stmt_end(lx)) {
		if (!is_word(&lx->cur, "threshold"))
			return rl_error(r, lx->cur.pos, lx->err, "expected 'threshold' or a new line, found '%s'",
					shown(&lx->cur));
		if (next(lx) || parse_int(lx, "threshold", 1, 1000000, &t->threshold))
			return -1;
	}
	if (!at_stmt_end(lx))
		return rl_error(r, lx->cur.pos, lx->err, "unexpected '%s' after the tag", shown(&lx->cur));
	return 0;
}

/* rule TAG '/' NAME [weight N] ':' expr */
static int parse_rule(struct lexer *lx)
{
	struct pm_rules *r = lx->r;
	struct srcpos pos = lx->cur.pos;
	struct rule *ru;
	char *tag;
	int weight = 1;

	if (next(lx) || expect_name(lx, "tag"))
		return -1;
	tag = xstrdup(lx->cur.text);
	if (next(lx) || expect_punct(lx, '/', "between tag and rule name") ||
	    expect_name(lx, "rule")) {
		free(tag);
		return -1;
	}
	char *name = xasprintf("%s/%s", tag, lx->cur.text);
	for (size_t i = 0; i < r->nrules; i++)
		if (!strcmp(r->rules[i].name, name)) {
			struct srcpos p = r->rules[i].pos;
			rl_error(r, lx->cur.pos, lx->err, "rule '%s' is already defined at %s:%d:%d",
				 name, r->files[p.file], p.line, p.col);
			free(tag);
			free(name);
			return -1;
		}
	if (next(lx))
		goto fail;
	if (is_word(&lx->cur, "weight") && !lx->cur.bol) {
		if (next(lx) || parse_int(lx, "weight", -1000, 1000, &weight))
			goto fail;
	}
	if (expect_punct(lx, ':', "before the rule's expression"))
		goto fail;
	struct node *e = parse_expr(lx);
	if (!e)
		goto fail;
	XGROW(r->rules, r->arules, r->nrules + 1);
	ru = &r->rules[r->nrules++];
	memset(ru, 0, sizeof(*ru));
	ru->name = name;
	ru->tag = -1;
	ru->tag_name = tag;
	ru->weight = weight;
	ru->expr = e;
	ru->pos = pos;
	return 0;
fail:
	free(tag);
	free(name);
	return -1;
}

static int take_string(struct lexer *lx, const char *key, char **out)
{
	if (next(lx))
		return -1;
	if (*out)
		return rl_error(lx->r, lx->cur.pos, lx->err, "'%s' given twice", key);
	if (lx->cur.kind != T_STRING || lx->cur.bol || !lx->cur.text[0])
		return rl_error(lx->r, lx->cur.pos, lx->err, "expected a non-empty \"string\" after '%s'",
				key);
	*out = xstrdup(lx->cur.text);
	return next(lx);
}

/* claim ID verdict WORD correction STRING reference STRING when expr */
static int parse_claim(struct lexer *lx)
{
	struct pm_rules *r = lx->r;
	struct claim c;

	memset(&c, 0, sizeof(c));
	c.pos = lx->cur.pos;
	if (next(lx) || expect_name(lx, "claim"))
		return -1;
	for (size_t i = 0; i < r->nclaims; i++)
		if (!strcmp(r->claims[i].id, lx->cur.text)) {
			struct srcpos p = r->claims[i].pos;
			return rl_error(r, lx->cur.pos, lx->err, "claim '%s' is already defined at %s:%d:%d",
					lx->cur.text, r->files[p.file], p.line, p.col);
		}
	c.id = xstrdup(lx->cur.text);
	if (next(lx))
		goto fail;
	for (;;) {
		if (at_stmt_end(lx)) {
			rl_error(r, lx->cur.pos, lx->err, "claim '%s' needs 'when EXPRESSION'", c.id);
			goto fail;
		}
		if (is_word(&lx->cur, "verdict")) {
			if (next(lx))
				goto fail;
			if (c.verdict) {
				rl_error(r, lx->cur.pos, lx->err, "'verdict' given twice");
				goto fail;
			}
			if (lx->cur.bol || lx->cur.kind != T_WORD ||
			    (strcmp(lx->cur.text, "false") && strcmp(lx->cur.text, "misleading") &&
			     strcmp(lx->cur.text, "contested"))) {
				rl_error(r, lx->cur.pos, lx->err,
					 "verdict must be false, misleading or contested, found '%s'",
					 shown(&lx->cur));
				goto fail;
			}
			c.verdict = xstrdup(lx->cur.text);
			if (next(lx))
				goto fail;
		} else if (is_word(&lx->cur, "correction")) {
			if (take_string(lx, "correction", &c.correction))
				goto fail;
		} else if (is_word(&lx->cur, "reference")) {
			if (take_string(lx, "reference", &c.reference))
				goto fail;
		} else if (is_word(&lx->cur, "when")) {
			struct srcpos wpos = lx->cur.pos;
			if (!c.verdict || !c.correction || !c.reference) {
				rl_error(r, wpos, lx->err, "claim '%s' needs %s before 'when'", c.id,
					 !c.verdict ? "a verdict" : !c.correction ? "a correction" :
					 "a reference");
				goto fail;
			}
			if (next(lx))
				goto fail;
			c.expr = parse_expr(lx);
			if (!c.expr)
				goto fail;
			break;
		} else {
			rl_error(r, lx->cur.pos, lx->err,
				 "expected verdict, correction, reference or when, found '%s'",
				 shown(&lx->cur));
			goto fail;
		}
	}
	XGROW(r->claims, r->aclaims, r->nclaims + 1);
	r->claims[r->nclaims++] = c;
	return 0;
fail:
	free(c.id);
	free(c.verdict);
	free(c.correction);
	free(c.reference);
	rl_node_free(c.expr);
	return -1;
}

int rl_parse(struct pm_rules *r, int file, const char *text, size_t len, struct pm_err *err)
{
	struct lexer lx;
	int rc = 0;

	memset(&lx, 0, sizeof(lx));
	lx.r = r;
	lx.file = file;
	lx.s = text;
	lx.len = len;
	lx.line = 1;
	lx.col = 1;
	lx.err = err;
	if (memchr(text, '\0', len)) {
		struct srcpos p = { file, 1, 1 };
		return rl_error(r, p, err, "rule file contains a NUL byte");
	}
	if (lex_one(&lx, &lx.cur))
		return -1;
	while (lx.cur.kind != T_EOF) {
		if (!lx.cur.bol) {
			rc = rl_error(r, lx.cur.pos, err, "unexpected '%s': a statement starts in column 1, "
				      "continuation lines are indented", shown_tok(&lx, &lx.cur));
			break;
		}
		if (is_word(&lx.cur, "list"))
			rc = parse_list(&lx);
		else if (is_word(&lx.cur, "tag"))
			rc = parse_tag(&lx);
		else if (is_word(&lx.cur, "rule"))
			rc = parse_rule(&lx);
		else if (is_word(&lx.cur, "claim"))
			rc = parse_claim(&lx);
		else
			rc = rl_error(r, lx.cur.pos, err,
				      "unknown statement '%s' (expected list, tag, rule or claim)",
				      shown_tok(&lx, &lx.cur));
		if (rc)
			break;
	}
	free(lx.cur.text);
	if (lx.have_next)
		free(lx.next.text);
	return rc;
}
