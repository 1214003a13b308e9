/* classify/classify_int.h: what the rule parser, the compiler, the matcher
 * and the linter share. Nothing outside classify/ includes this file. */
#ifndef PM_CLASSIFY_INT_H
#define PM_CLASSIFY_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "classify/classify.h"
#include "core/err.h"

/* Bounds of the rule language; each is checked with a file:line:col error. */
#define RL_MAX_TERM_TOKENS 16   /* tokens in one phrase */
#define RL_MAX_NEAR 100         /* largest n in NEAR/n */
#define RL_MAX_DEPTH 64         /* nesting of parentheses and operators */
#define RL_MAX_FILE (4u << 20)  /* bytes of one rule file */
#define RL_MAX_LANGS 16         /* languages on one list */

/* Bounds of one classification (output size, not correctness). */
#define CL_MAX_EVIDENCE_PER_RULE 5
#define CL_MAX_EVIDENCE_PER_TAG 20
#define CL_MAX_MISINFO_PER_CLAIM 3
#define CL_MAX_SENTENCE_BYTES 1000

struct srcpos {
	int file;   /* index into pm_rules.files */
	int line, col;
};

/* One token of a term: folded form; for exact-case terms also the source
 * spelling the text must repeat byte for byte. */
struct term_tok {
	char *norm;
	char *exact;      /* NULL unless the term was written =TERM */
	uint32_t len;     /* strlen(norm) */
	int prefix;       /* written with a trailing '*' */
};

struct term {
	struct term_tok *tok;
	size_t ntok;
	int list;         /* index into pm_rules.lists */
	char *display;    /* the term as written, for lint messages */
	struct srcpos pos;
};

struct list {
	char *name;       /* NULL for the anonymous list of a literal in a rule */
	char langs[RL_MAX_LANGS][12];
	int nlangs;       /* 0: every language */
	int used;
	struct srcpos pos;
};

enum node_kind {
	N_LIST,      /* occurrences of a list (named or a literal term) */
	N_TAG,       /* @tag: the evidence of another tag, when it is emitted */
	N_AND, N_OR, N_NOT,
	N_NEAR,      /* a NEAR/n b */
	N_SENT,      /* a SENT b: same sentence */
	N_NOTNEAR,   /* a NOT NEAR/n b: occurrences of a with no b near */
	N_NOTSENT,   /* a NOT SENT b */
	N_SCOPE      /* title: / lead: / body: around a sub-expression */
};

/* Field masks of scopes. */
enum {
	SC_TITLE = 1, SC_SUMMARY = 2, SC_LEAD = 4, SC_TEXT = 8,
	SC_ALL = SC_TITLE | SC_SUMMARY | SC_LEAD | SC_TEXT
};

struct node {
	enum node_kind kind;
	struct node *a, *b;
	int ref;          /* list or tag index */
	char *ref_name;   /* name as written, until resolved */
	int n;            /* NEAR distance */
	unsigned scope;   /* N_SCOPE mask */
	struct srcpos pos;
};

struct rule {
	char *name;       /* "tag/name" */
	int tag;
	char *tag_name;   /* until resolved */
	int weight;
	struct node *expr;
	struct srcpos pos;
};

struct tag {
	char *name;
	int threshold;
	int nrules;
	int order;        /* evaluation rank (dependencies first) */
	struct srcpos pos;
};

struct claim {
	char *id;
	char *verdict;
	char *correction;
	char *reference;
	struct node *expr;
	struct srcpos pos;
};

/* The term index: a byte trie over the first folded token of every
 * distinct term. One walk along a token reaches the state of its whole
 * spelling (terms whose first token is exactly it) and passes the state of
 * each of its prefixes (terms whose first token was written prefix*): no
 * hashing, and one walk whatever the number of prefix lengths. It is laid
 * out as a double array: the child of state x along byte b is slot
 * base + b when that slot's check names x, so a step costs two loads
 * instead of a search among the children. */
struct dt_state {
	int32_t base;       /* children at base + byte (>= 1); 0: none */
	uint32_t check;     /* parent state + 1; 0: a free slot */
	uint32_t cand;      /* candidates: cands[cand .. + nexact) whole, then nprefix prefix */
	uint32_t nexact, nprefix;
};

/* A distinct term to verify where its first token matched. */
struct dt_cand {
	const struct term_tok *tok; /* its tokens (terms[uterm_rep[u]].tok) */
	uint32_t u;                 /* distinct term */
	uint32_t ntok;
};

struct dtrie {
	struct dt_state *s;  /* s[0] is the root (the empty key) */
	size_t n;            /* slots; base + 255 < n for every base */
	struct dt_cand *cands;
	size_t ncands;
};

/* The state after x along byte b, or 0 (no path: 0 is the root, never a
 * child). A state without children has base 0, and no slot names it. */
static inline uint32_t dt_step(const struct dtrie *t, uint32_t x, uint8_t b)
{
	uint32_t y = (uint32_t)t->s[x].base + b;

	return t->s[y].check == x + 1 ? y : 0;
}

/* A compressed reverse index: the entries of key k are v[start[k] ..
 * start[k + 1]). */
struct csr {
	uint32_t *start;
	uint32_t *v;
};

struct cl_scratch;

struct pm_rules {
	char **files;
	size_t nfiles;
	struct term *terms;
	size_t nterms, aterms;
	struct list *lists;
	size_t nlists, alists;
	struct tag *tags;
	size_t ntags, atags;
	struct rule *rules;
	size_t nrules, arules;
	struct claim *claims;
	size_t nclaims, aclaims;
	int *tag_order;     /* tag indices, dependencies before dependants */
	/* rules grouped by tag: those of tag t are rule_by_tag[tag_rules[t] ..
	 * tag_rules[t + 1]) — made once at compile, not per article */
	int *tag_rules;
	size_t *rule_by_tag;
	/* Identical terms of different lists are matched once: the index holds
	 * distinct terms ("uterms"); a list gathers its uterms' occurrences. */
	size_t *uterm_rep;      /* uterm -> a term with that spelling */
	size_t nuterms;
	size_t **list_uterms;   /* list -> its distinct uterms */
	size_t *list_nuterms;
	struct dtrie index;     /* first token (or its prefix) -> uterms */
	/* What an article can fire: a rule or claim whose lists all stayed
	 * empty and whose @tags all stayed off has the value it has on an
	 * empty document, so only those reached from a matched term (or an
	 * emitted tag) are evaluated, plus the few true on an empty document. */
	struct csr uterm_lists;   /* distinct term -> lists holding it */
	struct csr list_rules;    /* list -> rules naming it */
	struct csr list_claims;   /* list -> claims naming it */
	struct csr tag_rules_ref; /* tag -> rules naming @tag */
	struct csr tag_claims;    /* tag -> claims naming @tag */
	uint32_t *always_rules;   /* rules true on an empty document */
	size_t nalways_rules;
	uint32_t *always_claims;  /* claims true on an empty document */
	size_t nalways_claims;
	/* The per-article state of one classification, kept for the next one
	 * (sized by the rule set, so allocating it per article would cost per
	 * rule). Taken and given back atomically: concurrent callers each get
	 * their own. The only part of a compiled pm_rules that changes. */
	_Atomic(struct cl_scratch *) spare;
	int compiled;
};

/* rules_parse.c: parses one file's text into r (names still unresolved). */
int rl_parse(struct pm_rules *r, int file, const char *text, size_t len, struct pm_err *err);
/* Formats "file:line:col" of pos into err with the message. Returns -1. */
int rl_error(const struct pm_rules *r, struct srcpos pos, struct pm_err *err,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rl_node_free(struct node *n);

/* classify.c: frees a spare per-article state (NULL is fine). */
void cl_scratch_free(struct cl_scratch *s);

/* rules_compile.c: resolves names, orders tags, builds the term index. */
int rl_compile(struct pm_rules *r, struct pm_err *err);

#endif
